// Owns turning a resolved spec into one tfjs-layers functional model: one tf.input per spec input,
// the shared backbone, and one output per task named after the task (hard parameter sharing).
import * as tf from '@tensorflow/tfjs';
import { activationOf, layers } from '../layers/index';
import type { PathSeg } from '../spec/load';
import type { LayerItem, ResolvedSpec } from '../spec/types';

export interface BuiltModel {
  model: tf.LayersModel;
  taskNames: string[];
  inputNames: string[];
  /** Layer name → 'input' | 'shared' | task name (for plots and for splitting parameters). */
  groups: Record<string, string>;
  /** Activation the last layer of each head ends with ('linear' when none). */
  outputActivation: Record<string, string>;
}

/** A layer that could not be built or applied, with the YAML path of its spec entry. */
export class LayerBuildError extends Error {
  constructor(readonly path: PathSeg[], message: string) {
    super(message);
  }
}

function layerTypeOf(item: LayerItem): string {
  return Object.keys(item)[0];
}

export function buildModel(spec: ResolvedSpec): BuiltModel {
  let seedCounter = 0;
  const nextSeed = () => (spec.seed * 7919 + ++seedCounter) % 2147483647;
  const groups: Record<string, string> = {};
  const used = new Set<string>();

  const apply = (item: LayerItem, path: PathSeg[], name: string, group: string, x: tf.SymbolicTensor): tf.SymbolicTensor => {
    const type = layerTypeOf(item);
    let layer: tf.layers.Layer;
    try {
      layer = layers.get(type).create(item[type] ?? {}, { name, nextSeed });
    } catch (e) {
      throw new LayerBuildError([...path, type], `cannot create ${type}: ${(e as Error).message}`);
    }
    groups[name] = group;
    used.add(name);
    try {
      return layer.apply(x) as tf.SymbolicTensor;
    } catch (e) {
      const shape = `(${x.shape.map((d) => d ?? '?').join(', ')})`;
      throw new LayerBuildError(path, `${type} cannot take input of shape ${shape}: ${(e as Error).message.split('\n')[0]}`);
    }
  };

  const inputNames = Object.keys(spec.inputs);
  const inputs = inputNames.map((n) => {
    groups[n] = 'input';
    return tf.input({ name: n, shape: spec.inputs[n].shape, dtype: spec.inputs[n].dtype });
  });
  let x: tf.SymbolicTensor = inputs[0];
  if (inputs.length > 1) {
    try {
      x = tf.layers.concatenate({ name: 'shared_inputs_concat', axis: -1 }).apply(inputs) as tf.SymbolicTensor;
      groups.shared_inputs_concat = 'shared';
    } catch (e) {
      throw new LayerBuildError(['inputs'], `inputs cannot be concatenated on the last axis: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  spec.backbone.forEach((item, i) => {
    x = apply(item, ['backbone', i], `shared_${i + 1}_${layerTypeOf(item)}`, 'shared', x);
  });

  const taskNames = Object.keys(spec.tasks);
  const outputActivation: Record<string, string> = {};
  const outputs = taskNames.map((t) => {
    const head = spec.tasks[t].head;
    let h = x;
    head.forEach((item, i) => {
      const last = i === head.length - 1;
      const name = last ? t : `${t}_${i + 1}_${layerTypeOf(item)}`;
      if (used.has(name)) throw new LayerBuildError(['tasks', t], `layer name "${name}" is taken; rename the task`);
      h = apply(item, ['tasks', t, 'head', i], name, t, h);
    });
    const lastItem = head[head.length - 1];
    outputActivation[t] = activationOf(layerTypeOf(lastItem), lastItem[layerTypeOf(lastItem)] ?? {}) ?? 'linear';
    return h;
  });

  const model = tf.model({ inputs, outputs, name: spec.name.replace(/[^A-Za-z0-9_]/g, '_') });
  return { model, taskNames, inputNames, groups, outputActivation };
}

/** Variables of the shared part and of each head, in a fixed order (the flattening order of task gradients). */
export function partitionVariables(built: BuiltModel): { shared: tf.LayerVariable[]; heads: Record<string, tf.LayerVariable[]> } {
  const shared: tf.LayerVariable[] = [];
  const heads: Record<string, tf.LayerVariable[]> = Object.fromEntries(built.taskNames.map((t) => [t, []]));
  for (const layer of built.model.layers) {
    const g = built.groups[layer.name] ?? 'shared';
    for (const w of layer.trainableWeights) {
      if (g === 'shared' || g === 'input') shared.push(w);
      else heads[g].push(w);
    }
  }
  return { shared, heads };
}
