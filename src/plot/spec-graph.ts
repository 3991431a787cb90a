// Owns the plot graph of a spec's model: layers from the built model, each task's loss and weight
// from the spec (the weighting method's name when the method sets weights while training), parameters
// per group, then the optional nested-model expansion, backbone collapse and expert/gate clusters.
import type * as tf from '@tensorflow/tfjs';
import { layers } from '../layers/index';
import type { ResolvedSpec } from '../spec/types';
import { assignClusters } from './clusters';
import { modelToGraph, type PlotGraph } from './graph';
import { collapseBlocks, expandNested } from './nested';

/** A stage to show (stages:): its name, the layers it freezes and the tasks it leaves out (drawn with weight 0). */
export interface PlotStage {
  name: string;
  frozen: Map<string, 'all' | 'some'>;
  inactive: string[];
}

export function specGraph(spec: ResolvedSpec, model: tf.LayersModel, groups: Record<string, string>, opts: { collapse?: boolean; expandNested?: boolean; stage?: PlotStage } = {}): PlotGraph {
  const stage = opts.stage;
  let graph = modelToGraph(model, groups, { title: stage ? `${spec.name} — stage ${stage.name}` : spec.name });
  if (stage) for (const n of graph.nodes) if (stage.frozen.has(n.id)) n.frozen = stage.frozen.get(n.id);
  const own = (g: string) => graph.nodes.filter((n) => n.group === g).reduce((a, n) => a + n.params, 0);
  const method = spec.weighting.method;
  graph.tasks = graph.groups.map((t) => ({ name: t, loss: spec.tasks[t].loss.type, weight: stage?.inactive.includes(t) ? 0 : method === 'static' ? spec.tasks[t].weight : method, params: own(t) }));
  graph.sharedParams = own('shared') + own('input');
  if (opts.expandNested) graph = expandNested(graph, model);
  if (opts.collapse) graph = collapseBlocks(graph, layers.types());
  return assignClusters(graph);
}
