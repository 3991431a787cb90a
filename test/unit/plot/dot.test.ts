import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../helpers/backend';
import { modelToGraph, type PlotGraph } from '../../../src/plot/graph';
import { toDot, escapeHtml, quoteId } from '../../../src/plot/dot';
import { toMermaid } from '../../../src/plot/mermaid';
import { plotView, PAD_X, PAD_Y, ROW_HEIGHT, textWidth } from '../../../src/plot/view';
import { twoHeadModel, twoInputModel } from './models';
import { assertBalanced, assertMermaid } from './checks';

before(async () => {
  await useBackend('cpu');
});

function graph(): PlotGraph {
  const { model, groups } = twoHeadModel();
  const g = modelToGraph(model, groups, { title: 'two heads' });
  model.dispose();
  g.tasks = [
    { name: 'left', loss: 'mse', weight: 0.5, params: 0 },
    { name: 'right', loss: 'sparse-categorical-crossentropy', weight: 1, params: 0 },
  ];
  return g;
}

/** The `subgraph cluster_<n> {` block whose label names `label`, up to its closing brace. */
function clusterBlock(dot: string, label: string): string {
  const at = dot.indexOf(`<B>${label}</B></FONT></TD></TR></TABLE>>;`);
  assert.ok(at > 0, `cluster ${label}`);
  const start = dot.lastIndexOf('subgraph cluster_', at);
  const indent = dot.slice(dot.lastIndexOf('\n', start) + 1, start);
  return dot.slice(start, dot.indexOf(`\n${indent}}`, start));
}

test('DOT: clusters, every node and edge, fixed-size cells as wide as the measured text', () => {
  const g = graph();
  const dot = toDot(plotView(g, { showShapes: true }));
  assert.match(dot, /^digraph model \{/);
  assertBalanced(dot);
  assert.match(dot, /rankdir=TB/);
  assert.match(dot, /subgraph inputs \{\n\s*rank=source;\n\s*"x" \[/);
  for (const n of g.nodes) assert.ok(dot.includes(`"${n.id}" [label=<`), n.id);
  for (const e of g.edges) assert.ok(dot.includes(`"${e.from}" -> "${e.to}";`));
  assert.ok(clusterBlock(dot, 'shared').includes('"shared_3_dense"'));
  assert.ok(!clusterBlock(dot, 'shared').includes('"left"'));
  assert.ok(clusterBlock(dot, 'left').includes('"left__1_dense"'));
  assert.ok(clusterBlock(dot, 'right').includes('"right"'));
  // Each box is one fixed width: the widest row's text (DejaVu Sans 11 pt) plus padding on both sides.
  const rows = ['shared_1_conv2d', 'Conv2D', 'input: (?, 8, 8, 1)', 'output: (?, 6, 6, 4)', 'params: 40'];
  const want = Math.ceil(Math.max(textWidth(rows[0], true), ...rows.slice(1).map((r) => textWidth(r))) + 2 * PAD_X);
  const label = new RegExp(`"shared_1_conv2d" \\[label=<(.*)>\\];`).exec(dot)![1];
  const widths = [...label.matchAll(/WIDTH="(\d+)"/g)].map((m) => Number(m[1]));
  assert.deepEqual(widths, rows.map(() => want));
  const heights = [...label.matchAll(/HEIGHT="(\d+)"/g)].map((m) => Number(m[1]));
  assert.equal(heights.reduce((a, b) => a + b, 0), rows.length * ROW_HEIGHT + 2 * PAD_Y);
  for (const r of rows) assert.ok(label.includes(escapeHtml(r)), r);
  // Outputs get a thicker border; a dashed loss box per task hangs off its output.
  assert.match(dot, /"left" \[label=<<TABLE BORDER="2"/);
  assert.match(dot, /"shared_3_dense" \[label=<<TABLE BORDER="1"/);
  assert.ok(clusterBlock(dot, 'left').includes('"left loss" [label=<<TABLE BORDER="1"'));
  assert.ok(dot.includes('loss: mse') && dot.includes('weight: 0.5'));
  assert.ok(dot.includes('"left" -> "left loss" [style=dashed'));
  const fill = (id: string) => new RegExp(`"${id}" \\[label=<<TABLE[^>]*BGCOLOR="(#[0-9a-f]{6})"`).exec(dot)![1];
  assert.equal(new Set([fill('shared_3_dense'), fill('left'), fill('right'), fill('x')]).size, 4);
  assert.equal(fill('left'), fill('left__1_dense'));
  // The legend (graph label): title, one row per task with its colour, shared and total parameters.
  assert.ok(dot.includes('<B>two heads</B>'));
  assert.ok(dot.includes(`BGCOLOR="${fill('left')}"`));
  const total = g.nodes.reduce((a, n) => a + n.params, 0);
  assert.equal(total, 40 + 144 * 16 + 16 + 16 * 8 + 8 + 9 + 16 * 3 + 3);
  assert.ok(dot.includes(`<B>${total.toLocaleString('en-US')}</B>`));
});

test('DOT options: rankdir, and the rows each Keras option adds', () => {
  const g = graph();
  const plain = toDot(plotView(g, { rankdir: 'RL' }));
  assert.match(plain, /rankdir=RL/);
  for (const s of ['output:', 'dtype:', 'activation:', 'trainable:']) assert.ok(!plain.includes(s), s);
  assert.ok(plain.includes('<B>shared_3_dense</B>'));
  const all = toDot(plotView(g, { showShapes: true, showDtype: true, showLayerActivations: true, showTrainable: true, showLayerNames: false }));
  assertBalanced(all);
  assert.ok(all.includes('output: (?, 16)'));
  assert.ok(all.includes('dtype: float32'));
  assert.ok(all.includes('activation: relu') && all.includes('activation: softmax'));
  assert.ok(all.includes('trainable: yes'));
  assert.ok(!all.includes('<B>shared_3_dense</B>'), 'no names: the type is the heading');
  assert.ok(all.includes('<B>Dense</B>'));
});

test('DOT escapes task names, titles and layer names', () => {
  const evil = 'a"<&>\'b';
  const { model, groups } = twoInputModel(evil);
  const g = modelToGraph(model, groups, { title: '<title> & "x"' });
  model.dispose();
  const dot = toDot(plotView(g));
  assertBalanced(dot);
  assert.ok(dot.includes('<B>a&quot;&lt;&amp;&gt;&#39;b</B>'));
  assert.ok(!dot.includes(evil));
  assert.ok(dot.includes('&lt;title&gt; &amp; &quot;x&quot;'));
  assert.equal(escapeHtml('<&>"\''), '&lt;&amp;&gt;&quot;&#39;');
  assert.equal(quoteId('a"b\\'), '"a\\"b\\\\"');
  const node = (id: string, group: string, isOutput: boolean) => ({ id, label: id, className: 'Dense', group, outputShape: '(?, 1)', inputShape: '(?, 1)', params: 2, nonTrainableParams: 0, dtype: 'float32', trainable: true, isOutput });
  const weird: PlotGraph = { nodes: [node('in"<x>', 'input', false), node('back\\', 't{1}', true)], edges: [{ from: 'in"<x>', to: 'back\\' }], groups: ['t{1}'] };
  const d2 = toDot(plotView(weird));
  assertBalanced(d2);
  assert.ok(d2.includes('"in\\"<x>" -> "back\\\\";'));
});

test('task palette cycles past its length; clusters numbered without clashes', () => {
  const n = 10;
  const g: PlotGraph = {
    nodes: Array.from({ length: n }, (_, i) => ({ id: `t${i}`, label: `t${i}`, className: 'Dense', group: `task${i}`, outputShape: '(?, 1)', inputShape: '(?, 1)', params: 2, nonTrainableParams: 0, dtype: 'float32', trainable: true, isOutput: true })),
    edges: [],
    groups: Array.from({ length: n }, (_, i) => `task${i}`),
  };
  const dot = toDot(plotView(g));
  for (let i = 0; i < n; i++) assert.ok(dot.includes(`subgraph cluster_${i} {`));
  assert.ok(!dot.includes('<B>shared</B></FONT></TD></TR></TABLE>>;'), 'empty shared cluster omitted');
  const fill = (id: string) => new RegExp(`"${id}" \\[label=<<TABLE[^>]*BGCOLOR="(#[0-9a-f]{6})"`).exec(dot)![1];
  assert.equal(fill('t0'), fill('t8'));
  assert.notEqual(fill('t0'), fill('t1'));
});

test('Mermaid: one node per layer and loss, every edge, groups as subgraphs, escaped labels', () => {
  const g = graph();
  const m = assertMermaid(toMermaid(plotView(g, { rankdir: 'LR', showShapes: true })));
  assert.equal(m.nodes.size, g.nodes.length + 2);
  const idOf = new Map([...m.nodes].map(([id, label]) => [/^<b>([^<]*)<\/b>/.exec(label)![1], id]));
  for (const e of g.edges) assert.ok(m.edges.some(([a, b]) => a === idOf.get(e.from) && b === idOf.get(e.to)), `${e.from} → ${e.to}`);
  assert.deepEqual(m.subgraphs, ['shared', 'left', 'right']);
  const { model, groups } = twoInputModel('a"<b>');
  const evil = toMermaid(plotView(modelToGraph(model, groups)));
  model.dispose();
  assert.ok(evil.includes('subgraph c1 ["a#quot;#lt;b#gt;"]'));
  assertMermaid(evil);
});
