// Owns the plot's sub-clusters, read from the layer names src/architectures gives: each expert copy
// of mmoe / cgc / ple / dselect-k as one box inside an "experts" box, their gates and mixtures in a
// "gates" box, and the cross-stitch units left between the task columns they mix.
import type { PlotGraph, PlotNode } from './graph';

/** `expert3_1_dense`, `l1_shared2_1_dense`, `l2_left_expert1_2_dense` → the expert's prefix. */
const EXPERT = /^((?:l\d+_)?(?:.+_)?(?:expert|shared)\d+)_\d+_/;
/** `left_gate`, `l1_shared_gate_flatten`, `left_mixture`. */
const GATE = /_(gate|gate_flatten|mixture)$/;
const CROSS_STITCH = /^cross_stitch_\d+$/;

/** PLE's levels: `l2_…` layers sit in a "level 2" box, so each level's experts and gates stay together. */
const LEVEL = /^l(\d+)_/;

/** The cluster path of one node ("experts/expert1", "level 1/gates"), or undefined. */
export function clusterOf(n: PlotNode): string | undefined {
  if (n.group === 'input') return undefined;
  const level = LEVEL.exec(n.id);
  const at = level ? `level ${level[1]}/` : '';
  const e = EXPERT.exec(n.id);
  if (e && !CROSS_STITCH.test(n.id)) return `${at}experts/${e[1]}`;
  if (GATE.test(n.id) && n.layers === undefined) return `${at}gates`;
  return undefined;
}

/** True for layers drawn outside every cluster: units that mix task columns (cross-stitch). */
export function isLoose(n: PlotNode): boolean {
  return n.group === 'shared' && CROSS_STITCH.test(n.id);
}

/** Set `cluster` on every node that belongs to an expert or gate box (nested-model clusters stay). */
export function assignClusters(graph: PlotGraph): PlotGraph {
  for (const n of graph.nodes) {
    if (n.cluster !== undefined) continue;
    const c = clusterOf(n);
    if (c !== undefined) n.cluster = c;
  }
  return graph;
}

/** A tree of cluster paths: members at each level, children by name in first-seen order. */
export interface ClusterTree {
  name: string;
  members: PlotNode[];
  children: ClusterTree[];
}

export function clusterTree(name: string, nodes: PlotNode[]): ClusterTree {
  const root: ClusterTree = { name, members: [], children: [] };
  for (const n of nodes) {
    let at = root;
    for (const part of (n.cluster ?? '').split('/').filter(Boolean)) {
      let child = at.children.find((c) => c.name === part);
      if (!child) {
        child = { name: part, members: [], children: [] };
        at.children.push(child);
      }
      at = child;
    }
    at.members.push(n);
  }
  return root;
}
