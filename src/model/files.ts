// Owns model files without tfjs-node's file:// handler: model.json + weights.bin in the standard tfjs
// Layers format (loadable by a stock tf.loadLayersModel), read and written synchronously from disk.
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpointError } from '../errors';
import { fuseLoadedModel } from '../layers/fused-rnn';
import { writeFileAtomic } from '../util/fs';
// mtl's custom layer classes must be registered before a stock tf.loadLayersModel can deserialise them.
import './custom-layers';

export interface ModelJson {
  modelTopology: object;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  userDefinedMetadata?: Record<string, unknown>;
}

export function toBytes(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  const buf = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
  return new Uint8Array(buf);
}

/** Write model.json + weights.bin into `dir` (which must exist). */
export async function writeModelFiles(model: tf.LayersModel, dir: string, metadata?: object): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        ...(metadata ? { userDefinedMetadata: metadata } : {}),
      };
      writeFileAtomic(path.join(dir, 'weights.bin'), toBytes(artifacts.weightData ?? new ArrayBuffer(0)));
      writeFileAtomic(path.join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

export function readJson<T>(file: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw checkpointError(code === 'ENOENT' ? `missing checkpoint file ${file}` : `unreadable checkpoint file ${file}: ${(e as Error).message}`);
  }
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/** Bytes a manifest describes (undefined when it has a dtype of no fixed size, or quantization). */
function expectedBytes(specs: tf.io.WeightsManifestEntry[]): number | undefined {
  let n = 0;
  for (const s of specs) {
    const b = DTYPE_BYTES[s.dtype];
    if (b === undefined || s.quantization) return undefined;
    n += s.shape.reduce((a, d) => a * d, 1) * b;
  }
  return n;
}

/** A manifest as model.json and optimizer.json hold it: a list of {paths: [file…], weights: [spec…]}. */
export function checkManifest(file: string, m: unknown): ModelJson['weightsManifest'] {
  const ok = Array.isArray(m) && m.every((g) => g && Array.isArray(g.paths) && g.paths.every((p: unknown) => typeof p === 'string' && !p.includes('..')) && Array.isArray(g.weights));
  if (!ok) throw checkpointError([{ where: { file }, message: 'damaged checkpoint file: weightsManifest must be a list of {paths, weights}', received: m }]);
  return m as ModelJson['weightsManifest'];
}

export function readWeights(dir: string, manifest: ModelJson['weightsManifest']): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const group of manifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const file = path.join(dir, p);
      if (!fs.existsSync(file)) throw checkpointError(`missing weights file ${file}`);
      chunks.push(fs.readFileSync(file));
    }
  }
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const expected = expectedBytes(specs);
  if (expected !== undefined && total !== expected) {
    throw checkpointError([{ where: { file: path.join(dir, manifest.flatMap((g) => g.paths).join(', ')) }, message: `the weights file has ${total} bytes; its manifest describes ${expected} (truncated or damaged)` }]);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return { specs, data: out.buffer };
}

/** Load model.json + weights.bin with the stock tfjs loader (tf.io.fromMemory). */
export async function loadModelFiles(dir: string): Promise<{ model: tf.LayersModel; metadata?: Record<string, unknown> }> {
  const file = path.join(dir, 'model.json');
  const json = readJson<ModelJson | null>(file);
  if (json === null || typeof json !== 'object' || typeof json.modelTopology !== 'object' || json.modelTopology === null) {
    throw checkpointError([{ where: { file }, message: 'damaged checkpoint file: not a tfjs model.json (no modelTopology object)', received: json }]);
  }
  const { specs, data } = readWeights(dir, checkManifest(file, json.weightsManifest));
  try {
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: data }));
    // Stock lstm/gru layers come back: give them the fused call the trained model had (same results, faster).
    fuseLoadedModel(model);
    return { model, metadata: json.userDefinedMetadata };
  } catch (e) {
    throw checkpointError(`cannot load the model in ${dir}: ${(e as Error).message}`);
  }
}
