// Owns `mtl summary`'s content: Keras' model.summary() table (layer, type, output shape, parameters,
// trainable, connected to) and the split of parameters into shared and per task. Counts are the
// layers' weight sizes, trainable and not (batch-norm moving statistics), as Keras counts them; with a
// stage shown, the weights it freezes count as non-trainable, as Keras counts a frozen layer's.
import type * as tf from '@tensorflow/tfjs';
import { countParams, modelToGraph, INPUT_GROUP, SHARED_GROUP } from './graph';

export interface SummaryRow {
  name: string;
  type: string;
  outputShape: string;
  params: number;
  nonTrainableParams: number;
  trainable: boolean;
  /** Keras' `layer[node][tensor]` for each input of each call. */
  connectedTo: string[];
  group: string;
  /** Frozen in the stage shown: every trainable weight, or some. */
  frozen?: 'all' | 'some';
}

export interface GroupParams {
  params: number;
  trainable: number;
}

export interface ModelSummary {
  name: string;
  layers: SummaryRow[];
  total: GroupParams & { nonTrainable: number };
  /** 'shared' (inputs included), then each task in order. */
  groups: Record<string, GroupParams>;
  /** The stage shown (stages:), its position, and the trainable parameters it freezes. */
  stage?: { name: string; index: number; count: number; frozenParams: number; inactive: string[] };
}

/** A stage to show: its name and position, the layers it freezes and the tasks it leaves out (model/stages.ts' StageView). */
export interface SummaryStage {
  name: string;
  index: number;
  count: number;
  /** Layer name → 'all' (every trainable weight frozen) or 'some'. */
  layers: Map<string, 'all' | 'some'>;
  inactive: string[];
  /** Layer name → trainable parameters of that layer the stage freezes. */
  frozenByLayer: Map<string, number>;
}

type InboundNode = tf.LayersModel['layers'][number]['inboundNodes'][number];

function connections(node: InboundNode): string[] {
  const n = node as unknown as { inboundLayers: Array<{ name: string }>; nodeIndices: number[]; tensorIndices: number[] };
  return (n.inboundLayers ?? []).map((l, i) => `${l.name}[${n.nodeIndices[i]}][${n.tensorIndices[i]}]`);
}

export function summarize(model: tf.LayersModel, groups: Record<string, string>, taskNames: string[], stage?: SummaryStage): ModelSummary {
  const graph = modelToGraph(model, groups);
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const inModel = new Set(model.layers.map((l) => l.name));
  const layers = graph.nodes.map((n): SummaryRow => {
    const layer = byName.get(n.id) as tf.layers.Layer;
    const connectedTo = (layer.inboundNodes ?? []).flatMap(connections).filter((c) => inModel.has(c.slice(0, c.indexOf('['))));
    const frozen = stage?.layers.get(n.id);
    return { name: n.id, type: n.className, outputShape: n.outputShape, params: n.params, nonTrainableParams: n.nonTrainableParams, trainable: n.trainable, connectedTo: [...new Set(connectedTo)], group: n.group, ...(frozen ? { frozen } : {}) };
  });
  const groupsOut: Record<string, GroupParams> = { [SHARED_GROUP]: { params: 0, trainable: 0 } };
  for (const t of taskNames) groupsOut[t] = { params: 0, trainable: 0 };
  const total = { params: 0, trainable: 0, nonTrainable: 0 };
  for (const l of model.layers) {
    const c = countParams(l);
    const frozen = stage?.frozenByLayer.get(l.name) ?? 0;
    c.trainable -= frozen;
    c.nonTrainable += frozen;
    const g = groups[l.name] === undefined || groups[l.name] === INPUT_GROUP ? SHARED_GROUP : groups[l.name];
    groupsOut[g] ??= { params: 0, trainable: 0 };
    groupsOut[g].params += c.trainable + c.nonTrainable;
    groupsOut[g].trainable += c.trainable;
    total.params += c.trainable + c.nonTrainable;
    total.trainable += c.trainable;
    total.nonTrainable += c.nonTrainable;
  }
  const out: ModelSummary = { name: model.name, layers, total, groups: groupsOut };
  if (stage) out.stage = { name: stage.name, index: stage.index, count: stage.count, frozenParams: [...stage.frozenByLayer.values()].reduce((a, b) => a + b, 0), inactive: stage.inactive };
  return out;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** The summary as Keras prints it: a ruled table, then totals, then the shared / per-task split. */
export function formatSummary(s: ModelSummary): string[] {
  const head = ['Layer (type)', 'Output Shape', 'Param #', 'Trainable', 'Connected to'];
  // As Keras 3: "-" for a layer without weights, else Y or N.
  // A layer the shown stage freezes: "frozen" (or "part" when only some of its weights are).
  const trainable = (l: SummaryRow) => (l.params === 0 ? '-' : l.frozen === 'all' ? 'frozen' : l.frozen === 'some' ? 'part' : l.trainable ? 'Y' : 'N');
  const rows = s.layers.map((l) => [`${l.name} (${l.type})`, l.outputShape, fmt(l.params), trainable(l), l.connectedTo]);
  const width = (i: number) => Math.max(head[i].length, ...rows.map((r) => (i === 4 ? Math.max(0, ...(r[4] as string[]).map((c) => c.length)) : (r[i] as string).length)));
  const w = head.map((_, i) => width(i));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd();
  const rule = (ch: string) => ch.repeat(w.reduce((a, b) => a + b + 2, -2));
  const out = [`Model: "${s.name}"`, rule('_'), line(head), rule('=')];
  rows.forEach((r, k) => {
    const conn = r[4] as string[];
    out.push(line([r[0] as string, r[1] as string, r[2] as string, r[3] as string, conn[0] ?? '']));
    for (const c of conn.slice(1)) out.push(line(['', '', '', '', c]));
    out.push(k === rows.length - 1 ? rule('=') : rule('_'));
  });
  out.push(`Total params: ${fmt(s.total.params)}`, `Trainable params: ${fmt(s.total.trainable)}`, `Non-trainable params: ${fmt(s.total.nonTrainable)}`);
  if (s.stage) {
    const off = s.stage.inactive.length ? `; tasks left out: ${s.stage.inactive.join(', ')}` : '';
    out.push(`Stage "${s.stage.name}" (${s.stage.index + 1} of ${s.stage.count}): ${fmt(s.stage.frozenParams)} params frozen${off}`);
  }
  out.push(rule('_'));
  const gw = Math.max(...Object.keys(s.groups).map((g) => g.length));
  const pw = Math.max(...Object.values(s.groups).map((g) => fmt(g.params).length));
  for (const [g, p] of Object.entries(s.groups)) {
    const share = s.total.params ? ` (${((100 * p.params) / s.total.params).toFixed(1)}%)` : '';
    out.push(`${g === SHARED_GROUP ? 'shared' : `task ${g}`}`.padEnd(gw + 5) + `  ${fmt(p.params).padStart(pw)} params${share}, ${fmt(p.trainable)} trainable`);
  }
  return out;
}
