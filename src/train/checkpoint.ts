// Owns checkpoint IO without tfjs-node's file:// handler: model.json + weights.bin in the standard
// tfjs Layers format (loadable by a stock tf.loadLayersModel), optimizer state, and state.json.
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpointError } from '../errors';
// mtl's custom layer classes must be registered before a stock tf.loadLayersModel can deserialise them.
import '../model/custom-layers';
import { replaceDirAtomic, writeFileAtomic } from '../util/fs';
import type { Json } from '../weighting/strategy';

export interface CheckpointState {
  epoch: number;
  step: number;
  best: { monitor: string; value: number | null; epoch: number | null };
  strategy: Json;
  epochLosses: number[][];
  [k: string]: unknown;
}

function toBytes(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
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

export interface ModelJson {
  modelTopology: object;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  userDefinedMetadata?: Record<string, unknown>;
}

export function readJson<T>(file: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw checkpointError(code === 'ENOENT' ? `missing checkpoint file ${file}` : `unreadable checkpoint file ${file}: ${(e as Error).message}`);
  }
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
  const json = readJson<ModelJson>(path.join(dir, 'model.json'));
  const { specs, data } = readWeights(dir, json.weightsManifest ?? []);
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (data.byteLength !== expected) throw checkpointError(`weights.bin in ${dir} has ${data.byteLength} bytes; model.json describes ${expected}`);
  try {
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: data }));
    return { model, metadata: json.userDefinedMetadata };
  } catch (e) {
    throw checkpointError(`cannot load the model in ${dir}: ${(e as Error).message}`);
  }
}

/**
 * Optimizer slots are named after tfjs variable names, which get a numeric suffix when a model is
 * built twice in one process; they are stored under the weights' stable original names instead.
 */
export interface VariableNames {
  toStable: Map<string, string>;
  fromStable: Map<string, string>;
}

export function variableNames(model: tf.LayersModel): VariableNames {
  const toStable = new Map<string, string>();
  const fromStable = new Map<string, string>();
  for (const w of model.weights) {
    toStable.set(w.name, w.originalName);
    fromStable.set(w.originalName, w.name);
  }
  return { toStable, fromStable };
}

function rename(name: string, map: Map<string, string>): string {
  // Slot names are "<variable>/<slot>" (Adam: /m, /v) and the variable part may itself contain '/'.
  const whole = map.get(name);
  if (whole !== undefined) return whole;
  for (let i = name.lastIndexOf('/'); i > 0; i = name.lastIndexOf('/', i - 1)) {
    const head = map.get(name.slice(0, i));
    if (head !== undefined) return head + name.slice(i);
  }
  return name;
}

export async function writeOptimizerFiles(opt: tf.Optimizer, dir: string, names: VariableNames): Promise<void> {
  const weights = await opt.getWeights();
  const renamed = weights.map((w) => ({ name: rename(w.name, names.toStable), tensor: w.tensor }));
  const { data, specs } = await tf.io.encodeWeights(renamed);
  writeFileAtomic(path.join(dir, 'optimizer.bin'), toBytes(data));
  writeFileAtomic(
    path.join(dir, 'optimizer.json'),
    JSON.stringify({ className: opt.getClassName(), config: opt.getConfig(), weightsManifest: [{ paths: ['optimizer.bin'], weights: specs }] }),
  );
}

export async function restoreOptimizer(opt: tf.Optimizer, dir: string, names: VariableNames): Promise<void> {
  const json = readJson<{ className: string; weightsManifest: ModelJson['weightsManifest'] }>(path.join(dir, 'optimizer.json'));
  if (json.className !== opt.getClassName()) throw checkpointError(`optimizer in ${dir} is ${json.className}, the spec asks for ${opt.getClassName()}`);
  const { specs, data } = readWeights(dir, json.weightsManifest);
  const decoded = tf.io.decodeWeights(data, specs);
  await opt.setWeights(specs.map((s) => ({ name: rename(s.name, names.fromStable), tensor: decoded[s.name] })));
}

export interface CheckpointContents {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  names: VariableNames;
  state: CheckpointState;
  metadata: object;
}

/** Write a whole checkpoint folder atomically (swap of a fully written sibling folder). */
export async function saveCheckpoint(dir: string, c: CheckpointContents): Promise<void> {
  await replaceDirAtomic(dir, async (tmp) => {
    await writeModelFiles(c.model, tmp, c.metadata);
    await writeOptimizerFiles(c.optimizer, tmp, c.names);
    writeFileAtomic(path.join(tmp, 'state.json'), JSON.stringify(c.state, null, 2));
  });
}

export function readCheckpointState(dir: string): CheckpointState {
  return readJson<CheckpointState>(path.join(dir, 'state.json'));
}
