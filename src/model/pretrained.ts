// Owns pretrained backbones: `backbone: {from: model.json, trainable: false, unfreezeAfter: N}` loads a
// tfjs Layers model from disk (an mtl checkpoint folder's model.json, or a Keras model converted with
// tensorflowjs_converter) and uses it, whole, as the shared backbone; frozen by default, optionally
// made trainable at the start of epoch N + 1 (the usual transfer-learning recipe: train the new
// heads first, then fine-tune). The backbone always runs in inference mode, as Keras recommends for
// fine-tuning: its batch-norm layers keep their pretrained statistics and its dropout is off.
import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import type { JSONSchema } from '../registry';
import { checkpointError } from '../errors';
import type { PretrainedBackbone } from '../spec/types';
import { readJson, readWeights, type ModelJson } from './files';
import { fuseLoadedModel } from '../layers/fused-rnn';

/** Suffix of the loaded model's layer name inside the multi-task model (`shared_pretrained` when shared). */
const SUFFIX = '_pretrained';

export const pretrainedSchema: JSONSchema = {
  type: 'object',
  description: 'A pretrained tfjs Layers model used whole as the shared backbone',
  additionalProperties: false,
  required: ['from'],
  properties: {
    from: { type: 'string', minLength: 1, description: 'Path of its model.json (weights files next to it), relative to the spec\'s folder' },
    trainable: { type: 'boolean', default: false, description: 'Whether its weights are trained from the first epoch' },
    unfreezeAfter: { type: ['integer', 'null'], minimum: 1, default: null, description: 'Make it trainable after this many epochs (null: keep `trainable` throughout)' },
  },
};

export function isPretrainedBackbone(b: unknown): b is PretrainedBackbone {
  return typeof b === 'object' && b !== null && !Array.isArray(b) && typeof (b as { from?: unknown }).from === 'string';
}

/** Resolve `from` against the spec's folder (done once, at validation). */
export function resolvePretrainedPath(b: PretrainedBackbone, specDir: string): void {
  b.from = path.resolve(specDir, b.from);
}

/**
 * Load model.json + weights synchronously (validation builds the model synchronously too).
 * tf.models.modelFromJSON deserialises the topology before its first await when given no weights
 * manifest; the class-level fromConfig hook below hands the model back at that point, and the
 * weights are then decoded from the files and set with loadWeights.
 */
export function loadLayersModelSync(file: string): tf.LayersModel {
  const json = readJson<ModelJson & { modelTopology?: object }>(file);
  if (!json.modelTopology) throw checkpointError(`${file} has no modelTopology: it is not a tfjs Layers model (graph models cannot be used as a backbone)`);
  let model: tf.LayersModel | undefined;
  const capture = (base: typeof tf.LayersModel) => [
    base,
    (cls: typeof tf.LayersModel, config: tf.serialization.ConfigDict, custom?: tf.serialization.ConfigDict, fast?: boolean) =>
      (model = base.fromConfig(cls, config, custom, fast) as tf.LayersModel),
  ];
  // Nested models are deserialised first, so the outermost one is captured last.
  const custom = { Model: capture(tf.LayersModel), Functional: capture(tf.LayersModel), Sequential: capture(tf.Sequential as unknown as typeof tf.LayersModel) };
  let failure: unknown;
  const config = { modelTopology: json.modelTopology } as unknown as Parameters<typeof tf.models.modelFromJSON>[0];
  tf.models.modelFromJSON(config, custom as unknown as tf.serialization.ConfigDict).catch((e) => (failure = e));
  if (!model) throw checkpointError(`cannot read the model in ${file}${failure ? `: ${(failure as Error).message}` : ''}`);
  const loaded: tf.LayersModel = model;
  const { specs, data } = readWeights(path.dirname(file), json.weightsManifest ?? []);
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (data.byteLength !== expected) throw checkpointError(`the weights next to ${file} have ${data.byteLength} bytes; model.json describes ${expected}`);
  const values = tf.io.decodeWeights(data, specs);
  try {
    loaded.loadWeights(values, true);
  } catch (e) {
    loaded.dispose();
    throw checkpointError(`the weights next to ${file} do not fit its model: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    tf.dispose(Object.values(values));
  }
  // Its lstm/gru layers are stock after deserialising: give them the fused call (same results, faster).
  fuseLoadedModel(loaded);
  return loaded;
}

/**
 * An mtl checkpoint holds the whole multi-task model: its metadata's groups say which layers were
 * shared, and the backbone is the model up to the last of them. Other models are used whole.
 */
function sharedPart(m: tf.LayersModel, file: string): tf.LayersModel {
  const json = readJson<{ userDefinedMetadata?: { mtl?: { groups?: Record<string, string> } } }>(file);
  const groups = json.userDefinedMetadata?.mtl?.groups;
  if (!groups) return m;
  const shared = m.layers.filter((l) => groups[l.name] === 'shared');
  if (!shared.length) throw checkpointError(`the mtl model in ${file} has no shared layers to use as a backbone`);
  const last = shared[shared.length - 1];
  // A nested model (itself a pretrained backbone) has a node inside and one in the outer model: the last.
  return tf.model({ inputs: m.inputs, outputs: last.getOutputAt(last.inboundNodes.length - 1) as tf.SymbolicTensor });
}

/** Load the backbone for one model build: renamed, frozen unless `trainable`, always in inference mode. */
export function loadPretrainedBackbone(b: PretrainedBackbone, name: string): tf.LayersModel {
  const m = sharedPart(loadLayersModelSync(b.from), b.from);
  (m as unknown as { name: string }).name = name;
  m.trainable = b.trainable;
  const call = m.call.bind(m);
  m.call = (inputs, kwargs) => call(inputs, { ...kwargs, training: false });
  return m;
}

/** The pretrained backbones inside a built model (one, or one per task under soft sharing). */
export function pretrainedIn(model: tf.LayersModel): tf.LayersModel[] {
  return model.layers.filter((l): l is tf.LayersModel => l instanceof tf.LayersModel && l.name.endsWith(SUFFIX));
}

/**
 * At the start of `epoch` (1-based): makes the pretrained backbones trainable once unfreezeAfter
 * epochs are over. Returns true when it changed, so that the caller refreshes its variable lists.
 */
export function unfreezeIfDue(backbone: unknown, model: tf.LayersModel, epoch: number): boolean {
  // `>` rather than `===`: a run resumed after the unfreezing epoch unfreezes at its first epoch.
  if (!isPretrainedBackbone(backbone) || backbone.unfreezeAfter === null || epoch <= backbone.unfreezeAfter) return false;
  const frozen = pretrainedIn(model).filter((m) => !m.trainable);
  for (const m of frozen) m.trainable = true;
  return frozen.length > 0;
}
