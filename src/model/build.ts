// Owns turning a resolved spec into one tfjs-layers functional model: one tf.input per spec input,
// the backbone shared as spec.architecture says (src/architectures/), and one output per task named
// after the task. Layer creation and application live here so that every architecture names, groups
// and reports layers the same way.
import * as tf from '@tensorflow/tfjs';
import { architectures } from '../architectures/index';
import type { ArchitectureContext, BuiltBackbone, Created, Features } from '../architectures/types';
import { activationOf, layers } from '../layers/index';
import { applyCreated, isLayerBlock, type LayerBlock } from '../layers/types';
import type { PathSeg } from '../errors';
import type { LayerItem, ResolvedSpec } from '../spec/types';
import { didYouMean } from '../util/suggest';
import './custom-layers';
import { LayerBuildError } from './errors';
import { buildGraph, isGraphSpec } from './graph-spec';
import { isPretrainedBackbone, loadPretrainedBackbone } from './pretrained';

export { LayerBuildError } from './errors';

export interface BuiltModel {
  model: tf.LayersModel;
  taskNames: string[];
  inputNames: string[];
  /** Layer name → 'input' | 'shared' | task name (for plots and for splitting parameters). */
  groups: Record<string, string>;
  /** Activation the last layer of each head ends with ('linear' when none). */
  outputActivation: Record<string, string>;
  /**
   * Layers grouped under a task whose output also reaches other tasks' losses (cross-stitch columns,
   * lower PLE levels): partitionVariables counts their weights as shared.
   */
  sharedGradients?: string[];
}

function layerTypeOf(item: LayerItem): string {
  return Object.keys(item)[0];
}

export function buildModel(spec: ResolvedSpec): BuiltModel {
  let seedCounter = 0;
  const nextSeed = () => (spec.seed * 7919 + ++seedCounter) % 2147483647;
  const groups: Record<string, string> = {};
  const used = new Set<string>();

  const claim = (name: string, group: string, path: PathSeg[]) => {
    if (used.has(name)) throw new LayerBuildError(path, `layer name "${name}" is taken twice; rename the task or node`);
    groups[name] = group;
    used.add(name);
  };

  const create = (item: LayerItem, path: PathSeg[], name: string, group: string): Created => {
    const type = layerTypeOf(item);
    let layer: tf.layers.Layer | LayerBlock;
    try {
      layer = layers.get(type).create(item[type] ?? {}, { name, nextSeed });
    } catch (e) {
      throw new LayerBuildError([...path, type], `cannot create ${type}: ${(e as Error).message}`);
    }
    claim(name, group, path);
    layerGroup.set(layer, group);
    return layer;
  };
  const layerGroup = new Map<Created, string>();

  const applyTo = (layer: Created, item: LayerItem, path: PathSeg[], x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor => {
    const type = layerTypeOf(item);
    try {
      let y: tf.SymbolicTensor;
      if (Array.isArray(x)) {
        if (isLayerBlock(layer)) throw new Error(`${type} takes one input, received ${x.length}`);
        y = layer.apply(x) as tf.SymbolicTensor;
      } else {
        y = applyCreated(layer, x);
      }
      // A block's sub-layers (named <name>_...; some are only created when applied) share its group.
      if (isLayerBlock(layer)) for (const l of layer.layers) groups[l.name] = layerGroup.get(layer) ?? 'shared';
      return y;
    } catch (e) {
      const shapeOf = (t: tf.SymbolicTensor) => `(${t.shape.map((d) => d ?? '?').join(', ')})`;
      const shape = Array.isArray(x) ? `inputs of shapes ${x.map(shapeOf).join(' and ')}` : `input of shape ${shapeOf(x)}`;
      throw new LayerBuildError(path, `${type} cannot take ${shape}: ${(e as Error).message.split('\n')[0]}`);
    }
  };

  const apply = (item: LayerItem, path: PathSeg[], name: string, group: string, x: tf.SymbolicTensor): tf.SymbolicTensor =>
    applyTo(create(item, path, name, group), item, path, x);

  const inputNames = Object.keys(spec.inputs);
  const inputs = inputNames.map((n) => {
    groups[n] = 'input';
    return tf.input({ name: n, shape: spec.inputs[n].shape, dtype: spec.inputs[n].dtype });
  });
  const sources = Object.fromEntries(inputNames.map((n, i) => [n, inputs[i]]));
  let joined: tf.SymbolicTensor | undefined;
  const sharedGradients: string[] = [];
  const pretrained = isPretrainedBackbone(spec.backbone) ? spec.backbone : undefined;
  const graph = !pretrained && isGraphSpec(spec.backbone) ? spec.backbone : undefined;

  const ctx: ArchitectureContext = {
    spec,
    taskNames: Object.keys(spec.tasks),
    joined() {
      if (joined) return joined;
      joined = inputs[0];
      if (inputs.length > 1) {
        try {
          joined = tf.layers.concatenate({ name: 'shared_inputs_concat', axis: -1 }).apply(inputs) as tf.SymbolicTensor;
          claim('shared_inputs_concat', 'shared', ['inputs']);
        } catch (e) {
          throw new LayerBuildError(['inputs'], `inputs cannot be concatenated on the last axis: ${(e as Error).message.split('\n')[0]}`, false, 'use a graph backbone to combine inputs of different shapes');
        }
      }
      return joined;
    },
    backbone(prefix, group): BuiltBackbone {
      if (pretrained) {
        // The loaded model is one (nested-model) layer; each call loads its own copy (soft sharing: one per task).
        let model: tf.LayersModel;
        try {
          model = loadPretrainedBackbone(pretrained, `${prefix}_pretrained`);
        } catch (e) {
          throw new LayerBuildError(['backbone', 'from'], (e as Error).message);
        }
        claim(model.name, group, ['backbone']);
        try {
          return { outputs: { backbone: model.apply(ctx.joined()) as tf.SymbolicTensor }, order: ['backbone'], created: [model] };
        } catch (e) {
          const shape = `(${ctx.joined().shape.map((d) => d ?? '?').join(', ')})`;
          throw new LayerBuildError(['backbone', 'from'], `the pretrained model cannot take input of shape ${shape}: ${(e as Error).message.split('\n')[0]}`);
        }
      }
      if (graph) return buildGraph(graph, sources, ['backbone'], prefix, group, { create, applyTo });
      const { y, created } = ctx.stack(spec.backbone as LayerItem[], ['backbone'], prefix, group, ctx.joined());
      return { outputs: { backbone: y }, order: ['backbone'], created };
    },
    backboneList(architecture) {
      if (pretrained) throw new LayerBuildError(['backbone'], `architecture "${architecture}" needs the backbone as a layer list; a pretrained backbone works with hard and soft`);
      if (graph) throw new LayerBuildError(['backbone'], `architecture "${architecture}" needs the backbone as a layer list; a graph backbone works with hard and soft`);
      return spec.backbone as LayerItem[];
    },
    create,
    applyTo,
    stack(items, path, prefix, group, x) {
      const created: Created[] = [];
      let y = x;
      items.forEach((item, i) => {
        const layer = create(item, [...path, i], `${prefix}_${i + 1}_${layerTypeOf(item)}`, group);
        created.push(layer);
        y = applyTo(layer, item, [...path, i], y);
      });
      return { y, created };
    },
    own(layer, group) {
      claim(layer.name, group, ['architecture']);
      return layer;
    },
    shareGradients(created) {
      for (const c of created) sharedGradients.push(...(isLayerBlock(c) ? c.layers.map((l) => l.name) : [c.name]));
    },
    nextSeed,
  };
  const arch = spec.architecture ?? { type: 'hard' };
  const features: Record<string, Features> = architectures.get(arch.type).create(arch, ctx);

  /** The tensor task t's head reads: `tasks.<t>.from`, or the architecture's (single) default output. */
  const headInput = (t: string): tf.SymbolicTensor => {
    const f = features[t];
    const from = spec.tasks[t].from;
    if (from === undefined) {
      if (f.order.length > 1) throw new LayerBuildError(['tasks', t], `the backbone has several outputs (${f.order.join(', ')}); say which one this head reads with "from"`, true);
      return f.outputs[f.order[0]];
    }
    const x = f.outputs[from];
    if (!x) {
      const names = f.order;
      throw new LayerBuildError(['tasks', t, 'from'], `"${from}" is not a backbone output (allowed: ${names.join(', ')})${graph ? '' : '; "from" names an output of a graph backbone'}`, false, didYouMean(from, names));
    }
    return x;
  };

  const taskNames = Object.keys(spec.tasks);
  const outputActivation: Record<string, string> = {};
  const outputs = taskNames.map((t) => {
    const head = spec.tasks[t].head;
    let h = headInput(t);
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
  return { model, taskNames, inputNames, groups, outputActivation, ...(sharedGradients.length ? { sharedGradients } : {}) };
}

/** Variables of the shared part and of each head, in a fixed order (the flattening order of task gradients). */
export function partitionVariables(built: BuiltModel): { shared: tf.LayerVariable[]; heads: Record<string, tf.LayerVariable[]> } {
  const shared: tf.LayerVariable[] = [];
  const heads: Record<string, tf.LayerVariable[]> = Object.fromEntries(built.taskNames.map((t) => [t, []]));
  const alsoShared = new Set(built.sharedGradients ?? []);
  for (const layer of built.model.layers) {
    const g = alsoShared.has(layer.name) ? 'shared' : built.groups[layer.name] ?? 'shared';
    for (const w of layer.trainableWeights) {
      if (g === 'shared' || g === 'input') shared.push(w);
      else heads[g].push(w);
    }
  }
  return { shared, heads };
}

/** partitionVariables as the tf.Variables the train step differentiates: shared first, then each head. */
export function stepVariables(built: BuiltModel): { shared: tf.Variable[]; heads: tf.Variable[][] } {
  const { shared, heads } = partitionVariables(built);
  return { shared: shared.map((v) => v.read() as tf.Variable), heads: built.taskNames.map((t) => heads[t].map((v) => v.read() as tf.Variable)) };
}
