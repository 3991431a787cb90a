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
import type { LayerItem, PretrainedBackbone, ResolvedSpec } from '../spec/types';
import { didYouMean } from '../util/suggest';
import './custom-layers';
import { LayerBuildError } from './errors';
import { buildFeatures } from './features';
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
  /** Layers the architecture made itself (cross-stitch units, gates, attention): the `architecture` parameter group. */
  units?: string[];
}

function layerTypeOf(item: LayerItem): string {
  return Object.keys(item)[0];
}

const shapeOf = (t: tf.SymbolicTensor) => `(${t.shape.map((d) => d ?? '?').join(', ')})`;

/**
 * tfjs computes a window larger than its input (kernelSize 40 on 36 pixels) as a dimension of size
 * −3 or 0 and only fails when the model runs; refuse it where the layer is written instead.
 */
function checkOutputShape(type: string, x: tf.SymbolicTensor | tf.SymbolicTensor[], y: tf.SymbolicTensor, path: PathSeg[]): void {
  if (!y.shape.some((d) => d !== null && d <= 0)) return;
  const input = Array.isArray(x) ? x.map(shapeOf).join(' and ') : shapeOf(x);
  throw new LayerBuildError(path, `${type} on input ${input} gives output ${shapeOf(y)}: a dimension is ${Math.min(...y.shape.filter((d): d is number => d !== null))}, so its window (kernel, pool or crop) is larger than its input`, false, 'use a smaller kernelSize/poolSize, padding: same, or fewer downsampling layers before it');
}

/**
 * What building one model keeps as it goes: the group of every layer name, the names taken, and the
 * seed sequence of initialisers. Every layer is created and applied through it, so that every
 * architecture names, groups and reports layers the same way.
 */
class LayerFactory {
  readonly groups: Record<string, string> = {};
  private readonly used = new Set<string>();
  private readonly layerGroup = new Map<Created, string>();
  private seedCounter = 0;

  constructor(private readonly seed: number) {}

  readonly nextSeed = (): number => (this.seed * 7919 + ++this.seedCounter) % 2147483647;

  isTaken(name: string): boolean {
    return this.used.has(name);
  }

  claim(name: string, group: string, path: PathSeg[]): void {
    if (this.used.has(name)) throw new LayerBuildError(path, `layer name "${name}" is taken twice; rename the task or node`);
    this.groups[name] = group;
    this.used.add(name);
  }

  readonly create = (item: LayerItem, path: PathSeg[], name: string, group: string): Created => {
    const type = layerTypeOf(item);
    let layer: tf.layers.Layer | LayerBlock;
    try {
      layer = layers.get(type).create(item[type] ?? {}, { name, nextSeed: this.nextSeed });
    } catch (e) {
      throw new LayerBuildError([...path, type], `cannot create ${type}: ${(e as Error).message}`);
    }
    this.claim(name, group, path);
    this.layerGroup.set(layer, group);
    return layer;
  };

  readonly applyTo = (layer: Created, item: LayerItem, path: PathSeg[], x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor => {
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
      if (isLayerBlock(layer)) for (const l of layer.layers) this.groups[l.name] = this.layerGroup.get(layer) ?? 'shared';
      checkOutputShape(type, x, y, path);
      return y;
    } catch (e) {
      if (e instanceof LayerBuildError) throw e;
      const shape = Array.isArray(x) ? `inputs of shapes ${x.map(shapeOf).join(' and ')}` : `input of shape ${shapeOf(x)}`;
      throw new LayerBuildError(path, `${type} cannot take ${shape}: ${(e as Error).message.split('\n')[0]}`);
    }
  };

  /** Create and apply a layer list in order; layer i is named `${prefix}_${i + 1}_${type}`. */
  readonly stack = (items: LayerItem[], path: PathSeg[], prefix: string, group: string, x: tf.SymbolicTensor) => {
    const created: Created[] = [];
    let y = x;
    items.forEach((item, i) => {
      const layer = this.create(item, [...path, i], `${prefix}_${i + 1}_${layerTypeOf(item)}`, group);
      created.push(layer);
      y = this.applyTo(layer, item, [...path, i], y);
    });
    return { y, created };
  };
}

/** Several spec inputs concatenated on the last axis (what a layer-list backbone reads). */
function concatInputs(inputs: tf.SymbolicTensor[], f: LayerFactory): tf.SymbolicTensor {
  try {
    const joined = tf.layers.concatenate({ name: 'shared_inputs_concat', axis: -1 }).apply(inputs) as tf.SymbolicTensor;
    f.claim('shared_inputs_concat', 'shared', ['inputs']);
    return joined;
  } catch (e) {
    throw new LayerBuildError(['inputs'], `inputs cannot be concatenated on the last axis: ${(e as Error).message.split('\n')[0]}`, false, 'use a graph backbone to combine inputs of different shapes');
  }
}

/** A pretrained backbone as one (nested-model) layer on `x()`; each call loads its own copy (soft sharing: one per task). */
function pretrainedBackbone(b: PretrainedBackbone, prefix: string, group: string, x: () => tf.SymbolicTensor, f: LayerFactory): BuiltBackbone {
  let model: tf.LayersModel;
  try {
    model = loadPretrainedBackbone(b, `${prefix}_pretrained`);
  } catch (e) {
    throw new LayerBuildError(['backbone', 'from'], (e as Error).message);
  }
  f.claim(model.name, group, ['backbone']);
  try {
    return { outputs: { backbone: model.apply(x()) as tf.SymbolicTensor }, order: ['backbone'], created: [model] };
  } catch (e) {
    throw new LayerBuildError(['backbone', 'from'], `the pretrained model cannot take input of shape ${shapeOf(x())}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** What an architecture may build with (src/architectures/types.ts), over the spec's inputs and backbone. */
function architectureContext(spec: ResolvedSpec, f: LayerFactory, inputs: tf.SymbolicTensor[], sharedGradients: string[], units: string[]): ArchitectureContext {
  const sources = Object.fromEntries(Object.keys(spec.inputs).map((n, i) => [n, inputs[i]]));
  const pretrained = isPretrainedBackbone(spec.backbone) ? spec.backbone : undefined;
  const graph = !pretrained && isGraphSpec(spec.backbone) ? spec.backbone : undefined;
  let joined: tf.SymbolicTensor | undefined;
  const ctx: ArchitectureContext = {
    spec,
    taskNames: Object.keys(spec.tasks),
    joined() {
      if (joined) return joined;
      joined = inputs[0]; // set first: after a failed concatenation, callers see the first input (as before the split)
      if (spec.features) joined = buildFeatures(spec.features, sources, f);
      else if (inputs.length > 1) joined = concatInputs(inputs, f);
      return joined;
    },
    backbone(prefix, group): BuiltBackbone {
      if (pretrained) return pretrainedBackbone(pretrained, prefix, group, () => ctx.joined(), f);
      if (graph) return buildGraph(graph, sources, ['backbone'], prefix, group, { create: f.create, applyTo: f.applyTo, taskNames: ctx.taskNames });
      const { y, created } = f.stack(spec.backbone as LayerItem[], ['backbone'], prefix, group, ctx.joined());
      return { outputs: { backbone: y }, order: ['backbone'], created };
    },
    backboneList(architecture) {
      if (pretrained) throw new LayerBuildError(['backbone'], `architecture "${architecture}" needs the backbone as a layer list; a pretrained backbone works with hard and soft`);
      if (graph) throw new LayerBuildError(['backbone'], `architecture "${architecture}" needs the backbone as a layer list; a graph backbone works with hard and soft`);
      return spec.backbone as LayerItem[];
    },
    create: f.create,
    applyTo: f.applyTo,
    stack: f.stack,
    own(layer, group) {
      f.claim(layer.name, group, ['architecture']);
      units.push(layer.name);
      return layer;
    },
    shareGradients(created) {
      for (const c of created) sharedGradients.push(...(isLayerBlock(c) ? c.layers.map((l) => l.name) : [c.name]));
    },
    nextSeed: f.nextSeed,
  };
  return ctx;
}

/** The tensor task t's head reads: `tasks.<t>.from`, or the architecture's (single) default output. */
function headInput(spec: ResolvedSpec, t: string, f: Features): tf.SymbolicTensor {
  const from = spec.tasks[t].from;
  if (from === undefined) {
    if (f.order.length > 1) throw new LayerBuildError(['tasks', t], `the backbone has several outputs (${f.order.join(', ')}); say which one this head reads with "from"`, true);
    return f.outputs[f.order[0]];
  }
  const x = f.outputs[from];
  if (!x) {
    const graph = !isPretrainedBackbone(spec.backbone) && isGraphSpec(spec.backbone);
    throw new LayerBuildError(['tasks', t, 'from'], `"${from}" is not a backbone output (allowed: ${f.order.join(', ')})${graph ? '' : '; "from" names an output of a graph backbone'}`, false, didYouMean(from, f.order));
  }
  const owner = isGraphSpec(spec.backbone) && !isPretrainedBackbone(spec.backbone) ? spec.backbone.nodes[from]?.task : undefined;
  if (owner !== undefined && owner !== t) throw new LayerBuildError(['tasks', t, 'from'], `"${from}" is a node of task ${owner}; only that task's head may read it`);
  return x;
}

/** Task t's head on its input; the last layer is named after the task. Returns the output and its activation. */
function buildHead(spec: ResolvedSpec, t: string, x: tf.SymbolicTensor, f: LayerFactory): { y: tf.SymbolicTensor; activation: string } {
  const head = spec.tasks[t].head;
  let h = x;
  head.forEach((item, i) => {
    const last = i === head.length - 1;
    const name = last ? t : `${t}_${i + 1}_${layerTypeOf(item)}`;
    if (f.isTaken(name)) throw new LayerBuildError(['tasks', t], `layer name "${name}" is taken; rename the task`);
    const path = ['tasks', t, 'head', i];
    h = f.applyTo(f.create(item, path, name, t), item, path, h);
  });
  const lastItem = head[head.length - 1];
  return { y: h, activation: activationOf(layerTypeOf(lastItem), lastItem[layerTypeOf(lastItem)] ?? {}) ?? 'linear' };
}

export function buildModel(spec: ResolvedSpec): BuiltModel {
  const f = new LayerFactory(spec.seed);
  const inputNames = Object.keys(spec.inputs);
  const inputs = inputNames.map((n) => {
    f.groups[n] = 'input';
    return tf.input({ name: n, shape: spec.inputs[n].shape, dtype: spec.inputs[n].dtype });
  });
  const sharedGradients: string[] = [];
  const units: string[] = [];
  const ctx = architectureContext(spec, f, inputs, sharedGradients, units);
  const arch = spec.architecture ?? { type: 'hard' };
  const features: Record<string, Features> = architectures.get(arch.type).create(arch, ctx);

  const taskNames = Object.keys(spec.tasks);
  const outputActivation: Record<string, string> = {};
  const outputs = taskNames.map((t) => {
    const { y, activation } = buildHead(spec, t, headInput(spec, t, features[t]), f);
    outputActivation[t] = activation;
    return y;
  });

  const model = tf.model({ inputs, outputs, name: spec.name.replace(/[^A-Za-z0-9_]/g, '_') });
  return { model, taskNames, inputNames, groups: f.groups, outputActivation, ...(sharedGradients.length ? { sharedGradients } : {}), ...(units.length ? { units } : {}) };
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
