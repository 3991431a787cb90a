// Owns turning a built tfjs functional model into plain plot data (nodes, edges, groups).
// Reads only layer metadata (names, shapes, weight shapes): it creates no tensors.
import type * as tf from '@tensorflow/tfjs';
import { INPUT_GROUP, SHARED_GROUP } from '../tasks';

type Layer = tf.LayersModel['layers'][number];
type Shape = Array<number | null>;
type InboundNode = Layer['inboundNodes'][number];

export interface PlotNode {
  /** The layer name (unique within a model). */
  id: string;
  /** The layer name, as shown. */
  label: string;
  /** tfjs class name, e.g. Conv2D. */
  className: string;
  /** 'input', 'shared', or a task name. */
  group: string;
  /** e.g. "(?, 36, 36, 10)"; several tensors as "[(?, 3), (?, 4)]"; calls with different shapes joined by " | ". */
  outputShape: string;
  inputShape: string;
  params: number;
  /** Weights that training does not update (batch-norm moving statistics, frozen layers). */
  nonTrainableParams: number;
  /** The layer's compute dtype, e.g. float32 (int32 for integer inputs). */
  dtype: string;
  /** The layer's activation when it has one (e.g. relu), else undefined. */
  activation?: string;
  trainable: boolean;
  /** Frozen in the stage the plot shows (stages:): every trainable weight, or some of them. */
  frozen?: 'all' | 'some';
  isOutput: boolean;
  /** Sub-cluster inside the group: experts and gates of mixture-of-experts architectures, nested models. */
  cluster?: string;
  /** How many model layers this node stands for (a collapsed built-in backbone); 1 when absent. */
  layers?: number;
}

/** What a task's output is trained with: shown beside its output and in the legend. */
export interface PlotTask {
  name: string;
  loss: string;
  /** A static weight, or the weighting method's name when the method sets weights during training. */
  weight: number | string;
  /** Parameters of the task's own layers. */
  params: number;
}

export interface PlotEdge {
  from: string;
  to: string;
}

export interface PlotGraph {
  title?: string;
  nodes: PlotNode[];
  edges: PlotEdge[];
  /** Task names, in order. */
  groups: string[];
  /** Per-task loss, weight and parameters, when the caller knows them (from the spec). */
  tasks?: PlotTask[];
  /** Parameters of layers outside every task (inputs and shared). */
  sharedParams?: number;
}

export { INPUT_GROUP, SHARED_GROUP };

/** "(?, 8, 8, 1)": null (batch / unknown) dimensions print as "?". */
export function formatShape(shape: Shape): string {
  return `(${shape.map((d) => (d == null ? '?' : String(d))).join(', ')})`;
}

function isShapeList(s: Shape | Shape[]): s is Shape[] {
  return s.length > 0 && Array.isArray(s[0]);
}

/** One call's shapes: a single tensor as "(…)", several as "[(…), (…)]". */
function formatCallShapes(s: Shape | Shape[] | undefined): string {
  if (s == null) return '?';
  if (!isShapeList(s)) return formatShape(s);
  return s.length === 1 ? formatShape(s[0]) : `[${s.map(formatShape).join(', ')}]`;
}

/** Distinct per-call shape strings, in call order, joined by " | " (a layer reused with different shapes). */
function formatAcrossCalls(nodes: InboundNode[], pick: (n: InboundNode) => Shape | Shape[]): string {
  const seen: string[] = [];
  for (const n of nodes) {
    const s = formatCallShapes(pick(n));
    if (!seen.includes(s)) seen.push(s);
  }
  return seen.length ? seen.join(' | ') : '?';
}

/** The inbound nodes of `layer` that belong to `model` (a layer may also have been called outside it). */
function nodesInModel(model: tf.LayersModel, layer: Layer): InboundNode[] {
  const inModel = (model as unknown as { containerNodes?: Set<string> }).containerNodes;
  const nodes = layer.inboundNodes ?? [];
  if (!(inModel instanceof Set) || inModel.size === 0) return nodes;
  return nodes.filter((_, i) => inModel.has(`${layer.name}_ib-${i}`));
}

const size = (shape: Shape) => shape.reduce<number>((a, d) => a * (d ?? 0), 1);

/** Trainable and non-trainable weight counts (an unbuilt layer has none yet). */
export function countParams(layer: Layer): { trainable: number; nonTrainable: number } {
  const sum = (ws: { shape: Shape }[]) => ws.reduce((a, w) => a + size(w.shape), 0);
  try {
    return { trainable: sum(layer.trainableWeights), nonTrainable: sum(layer.nonTrainableWeights) };
  } catch {
    return { trainable: 0, nonTrainable: 0 };
  }
}

function activationOf(layer: Layer): string | undefined {
  try {
    const a = (layer.getConfig() as { activation?: unknown }).activation;
    return typeof a === 'string' && a !== 'linear' ? a : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Describe `model` as plot data. `groups` maps a layer name to 'input', 'shared' or a task name;
 * unmapped InputLayers go to 'input', every other unmapped layer to 'shared'.
 */
export function modelToGraph(
  model: tf.LayersModel,
  groups: Record<string, string>,
  opts: { title?: string } = {},
): PlotGraph {
  const layers = model.layers;
  const names = new Set(layers.map((l) => l.name));
  const outputs = new Set(model.outputLayers.map((l) => l.name));

  const nodes: PlotNode[] = layers.map((layer) => {
    const className = layer.getClassName();
    const mapped = Object.prototype.hasOwnProperty.call(groups, layer.name) ? groups[layer.name] : undefined;
    const calls = nodesInModel(model, layer);
    const count = countParams(layer);
    const node: PlotNode = {
      id: layer.name,
      label: layer.name,
      className,
      group: mapped ?? (className === 'InputLayer' ? INPUT_GROUP : SHARED_GROUP),
      outputShape: formatAcrossCalls(calls, (n) => n.outputShapes),
      inputShape: formatAcrossCalls(calls, (n) => n.inputShapes),
      params: count.trainable + count.nonTrainable,
      nonTrainableParams: count.nonTrainable,
      dtype: String(layer.dtype ?? 'float32'),
      trainable: layer.trainable,
      isOutput: outputs.has(layer.name),
    };
    const activation = activationOf(layer);
    if (activation !== undefined) node.activation = activation;
    return node;
  });

  const edges: PlotEdge[] = [];
  const seenEdges = new Set<string>();
  for (const layer of layers) {
    for (const call of nodesInModel(model, layer)) {
      for (const from of call.inboundLayers ?? []) {
        if (!names.has(from.name)) continue;
        const key = JSON.stringify([from.name, layer.name]);
        if (seenEdges.has(key)) continue;
        seenEdges.add(key);
        edges.push({ from: from.name, to: layer.name });
      }
    }
  }

  // Task order: first mention in the groups map (the caller builds it in spec order), then first use.
  const present = new Set(nodes.map((n) => n.group));
  const taskNames: string[] = [];
  const addTask = (g: string) => {
    if (g !== INPUT_GROUP && g !== SHARED_GROUP && present.has(g) && !taskNames.includes(g)) taskNames.push(g);
  };
  Object.values(groups).forEach(addTask);
  nodes.forEach((n) => addTask(n.group));

  const graph: PlotGraph = { nodes, edges, groups: taskNames };
  if (opts.title !== undefined) graph.title = opts.title;
  return graph;
}
