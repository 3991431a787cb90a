// The multi-task views: experts and gates boxed per architecture, cross-stitch units between the task
// columns, soft-sharing copies in their task's box, --collapse and --expand-nested.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../helpers/backend';
import { specGraph } from '../../../src/plot/spec-graph';
import { buildModel } from '../../../src/model/build';
import { toDot } from '../../../src/plot/dot';
import { modelToGraph, type PlotGraph } from '../../../src/plot/graph';
import { expandNested } from '../../../src/plot/nested';
import { plotView } from '../../../src/plot/view';
import { validateSpecText } from '../../../src/spec/validate';

before(async () => {
  await useBackend('cpu');
});

const CARS = '{type: cars}';
/** Files data that validation does not read: any input shape. */
const SEQUENCES = `
  type: files
  inputs: {features: {field: f, encoding: numeric, shape: [5, 3]}}
  targets: {mpg: {field: mpg, type: regression}, origin: {field: o, type: classification, classes: 3}}
  train: {format: jsonl, path: none.jsonl}`;

function specText(architecture: string, backbone = '[{dense: {units: 4, activation: relu}}]', input = '{shape: [6]}', data = CARS): string {
  return `name: views
data: ${data}
inputs:
  features: ${input}
architecture: ${architecture}
backbone: ${backbone}
tasks:
  mpg: {type: regression, head: [{dense: {units: 1}}], loss: mse, weight: 0.02}
  origin: {type: classification, head: [{dense: {units: 3, activation: softmax}}], loss: sparse-categorical-crossentropy}
`;
}

function graphOf(text: string, opts: { collapse?: boolean } = {}): PlotGraph {
  const spec = validateSpecText(text).resolved;
  const built = buildModel(spec);
  try {
    return specGraph(spec, built.model, built.groups, opts);
  } finally {
    built.model.dispose();
  }
}

const clusters = (g: PlotGraph) => Object.fromEntries(g.nodes.filter((n) => n.cluster).map((n) => [n.id, n.cluster]));

test('mmoe and dselect-k: each expert boxed inside "experts" (shared), each gate and mixture in its task\'s "gates"', () => {
  for (const arch of ['{type: mmoe, experts: 2}', '{type: dselect-k, experts: 2, k: 1}']) {
    const g = graphOf(specText(arch));
    const c = clusters(g);
    assert.equal(c.expert1_1_dense, 'experts/expert1', arch);
    assert.equal(c.expert2_1_dense, 'experts/expert2', arch);
    assert.equal(c.mpg_gate, 'gates');
    assert.equal(c.origin_mixture, 'gates');
    assert.equal(g.nodes.find((n) => n.id === 'mpg_gate')!.group, 'mpg');
    const dot = toDot(plotView(g));
    const experts = dot.indexOf('<B>experts</B>');
    assert.ok(experts > dot.indexOf('<B>shared</B>'), 'experts box inside shared');
    assert.ok(dot.indexOf('"expert1_1_dense"') > experts);
  }
});

test('cgc and ple: experts per level, shared and per task; task experts in their task', () => {
  const g = graphOf(specText('{type: ple, levels: 2}'));
  const c = clusters(g);
  assert.equal(c.l1_shared1_1_dense, 'level 1/experts/l1_shared1');
  assert.equal(c.l2_mpg_expert1_1_dense, 'level 2/experts/l2_mpg_expert1');
  assert.equal(c.l1_shared_gate, 'level 1/gates');
  assert.equal(c.l2_origin_gate, 'level 2/gates');
  assert.equal(g.nodes.find((n) => n.id === 'l2_mpg_expert1_1_dense')!.group, 'mpg');
  const cgc = clusters(graphOf(specText('{type: cgc}')));
  assert.equal(cgc.l1_origin_expert1_1_dense, 'level 1/experts/l1_origin_expert1');
});

test('cross-stitch and soft: task columns in their task boxes, cross-stitch units outside every box', () => {
  const cs = graphOf(specText('{type: cross-stitch}', '[{dense: {units: 4}}, {dense: {units: 3}}]'));
  const dot = toDot(plotView(cs));
  const firstCluster = dot.indexOf('subgraph cluster_');
  assert.ok(dot.indexOf('"cross_stitch_1" [') < firstCluster && dot.indexOf('"cross_stitch_2" [') < firstCluster, 'units declared outside clusters');
  assert.equal(cs.nodes.find((n) => n.id === 'mpg_col_2_dense')!.group, 'mpg');
  const soft = graphOf(specText('{type: soft}'));
  assert.equal(soft.nodes.find((n) => n.id === 'origin_bb_1_dense')!.group, 'origin');
  // Each task's own parameters: its column (6·4+4) and head (4·3+3 for origin), from the spec's tasks.
  assert.deepEqual(soft.tasks!.map((t) => [t.name, t.loss, t.weight, t.params]), [['mpg', 'mse', 0.02, 28 + 5], ['origin', 'sparse-categorical-crossentropy', 1, 28 + 15]]);
});

test('--collapse: bilstm and transformerEncoder each one box with their summed parameters', () => {
  const text = specText('{type: hard}', '[{bilstm: {units: 4}}, {transformerEncoder: {layers: 1, heads: 2, dModel: 8, dFf: 8}}, {globalAveragePooling1d: {}}]', '{shape: [5, 3]}', SEQUENCES);
  const full = graphOf(text);
  const g = graphOf(text, { collapse: true });
  const box = (t: string) => g.nodes.find((n) => n.className === t)!;
  const sum = (prefix: string) => full.nodes.filter((n) => n.id.startsWith(prefix)).reduce((a, n) => a + n.params, 0);
  assert.equal(box('bilstm').id, 'shared_1_bilstm');
  // BiLSTM(4) over 3 features: 2 · 4·(3+4+1)·4 (Keras' LSTM count).
  assert.equal(box('bilstm').params, 2 * 4 * (3 + 4 + 1) * 4);
  assert.equal(box('transformerEncoder').params, sum('shared_2_transformerEncoder_'));
  assert.equal(box('bilstm').outputShape, '(?, 5, 8)');
  assert.deepEqual(g.edges.filter((e) => e.from === 'shared_1_bilstm'), [{ from: 'shared_1_bilstm', to: 'shared_2_transformerEncoder' }]);
  assert.ok(g.nodes.length < full.nodes.length - 5);
});

test('--expand-nested: a nested model\'s layers replace its box, wired to the outer layers', () => {
  const inner = tf.sequential({ name: 'inner', layers: [tf.layers.dense({ inputShape: [3], units: 4, name: 'd1' }), tf.layers.dense({ units: 2, name: 'd2' })] });
  const x = tf.input({ shape: [3], name: 'x' });
  const y = tf.layers.dense({ units: 1, name: 'out' }).apply(inner.apply(x) as tf.SymbolicTensor) as tf.SymbolicTensor;
  const model = tf.model({ inputs: x, outputs: y });
  const flat = modelToGraph(model, { inner: 'shared', out: 't' });
  assert.deepEqual(flat.nodes.map((n) => n.id), ['x', 'inner', 'out']);
  const g = expandNested(flat, model);
  const ids = g.nodes.map((n) => n.id);
  assert.ok(ids.includes('inner/d1') && ids.includes('inner/d2') && !ids.includes('inner'));
  assert.ok(g.nodes.filter((n) => n.id.startsWith('inner/')).every((n) => n.cluster === 'inner' && n.group === 'shared'));
  const edges = g.edges.map((e) => `${e.from}>${e.to}`);
  assert.ok(edges.includes('inner/d1>inner/d2'));
  assert.ok(edges.includes('inner/d2>out'));
  assert.ok(edges.some((e) => e.startsWith('x>inner/')));
  model.dispose();
});
