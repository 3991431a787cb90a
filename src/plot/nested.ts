// Owns the two ways a plot changes its level of detail: `--collapse` draws each built-in backbone
// (a layer block such as resnet, whose sub-layers are named <block>_<part>) as one box, and
// `--expand-nested` draws the layers inside a nested model (a pretrained backbone) instead of one box.
import type * as tf from '@tensorflow/tfjs';
import { modelToGraph, type PlotEdge, type PlotGraph, type PlotNode } from './graph';

/**
 * The block a layer belongs to: the shortest `…_<type>` prefix of its name that is not a layer itself,
 * followed by a part name (`shared_1_resnet_conv1_pad`); `…_<type>_<i>_…` is a layer list, not a block.
 */
function blockOf(id: string, layerTypes: readonly string[], ids: Set<string>): { name: string; type: string } | undefined {
  let best: { name: string; type: string } | undefined;
  for (const type of layerTypes) {
    const at = id.indexOf(`_${type}_`);
    if (at < 0) continue;
    const name = id.slice(0, at + type.length + 1);
    if (/^\d+_/.test(id.slice(name.length + 1)) || ids.has(name)) continue;
    if (!best || name.length < best.name.length) best = { name, type };
  }
  return best;
}

function dedupe(edges: PlotEdge[]): PlotEdge[] {
  const seen = new Set<string>();
  return edges.filter((e) => {
    const k = JSON.stringify([e.from, e.to]);
    if (e.from === e.to || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** One node per block: its params summed, input shape where edges enter it, output shape where they leave. */
export function collapseBlocks(graph: PlotGraph, layerTypes: readonly string[]): PlotGraph {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const owner = new Map<string, string>();
  const blocks = new Map<string, PlotNode>();
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const nodes: PlotNode[] = [];
  for (const n of graph.nodes) {
    const b = blockOf(n.id, layerTypes, ids);
    if (!b) {
      nodes.push(n);
      continue;
    }
    owner.set(n.id, b.name);
    const agg = blocks.get(b.name);
    if (agg) {
      agg.params += n.params;
      agg.nonTrainableParams += n.nonTrainableParams;
      agg.layers = (agg.layers ?? 1) + 1;
      agg.isOutput ||= n.isOutput;
      continue;
    }
    const node: PlotNode = { ...n, id: b.name, label: b.name, className: b.type, activation: undefined, layers: 1 };
    delete node.activation;
    blocks.set(b.name, node);
    nodes.push(node);
  }
  const edges = graph.edges.map((e) => {
    const from = owner.get(e.from) ?? e.from;
    const to = owner.get(e.to) ?? e.to;
    if (from !== e.from && to !== e.to) return { from, to };
    if (to !== e.to) blocks.get(to)!.inputShape = byId.get(e.to)!.inputShape;
    if (from !== e.from) blocks.get(from)!.outputShape = byId.get(e.from)!.outputShape;
    return { from, to };
  });
  return { ...graph, nodes, edges: dedupe(edges) };
}

const isModel = (l: unknown): l is tf.LayersModel =>
  typeof l === 'object' && l !== null && Array.isArray((l as tf.LayersModel).layers) && Array.isArray((l as tf.LayersModel).inputLayers);

/** Replace each nested model's node by its layers (ids `<model>/<layer>`, in a cluster named after the model). */
export function expandNested(graph: PlotGraph, model: tf.LayersModel): PlotGraph {
  let nodes = graph.nodes;
  let edges = graph.edges;
  for (const layer of model.layers) {
    if (!isModel(layer)) continue;
    const outer = nodes.find((n) => n.id === layer.name);
    if (!outer) continue;
    const inner = expandNested(modelToGraph(layer, {}), layer);
    const id = (s: string) => `${layer.name}/${s}`;
    const innerNodes = inner.nodes.map((n) => ({
      ...n,
      id: id(n.id),
      group: outer.group,
      cluster: [outer.cluster, layer.name, n.cluster].filter(Boolean).join('/'),
      isOutput: outer.isOutput && n.isOutput,
    }));
    // Entries: inner layers nothing inside feeds (a Sequential lists no InputLayer); exits: its outputs.
    const fed = new Set(inner.edges.map((e) => e.to));
    const entries = inner.nodes.filter((n) => !fed.has(n.id)).map((n) => id(n.id));
    const exits = inner.nodes.filter((n) => n.isOutput).map((n) => id(n.id));
    const rewired = edges.flatMap((e) => {
      if (e.to === outer.id) return entries.map((to) => ({ from: e.from, to }));
      if (e.from === outer.id) return exits.map((from) => ({ from, to: e.to }));
      return [e];
    });
    nodes = nodes.flatMap((n) => (n === outer ? innerNodes : [n]));
    edges = dedupe([...rewired, ...inner.edges.map((e) => ({ from: id(e.from), to: id(e.to) }))]);
  }
  return { ...graph, nodes, edges };
}
