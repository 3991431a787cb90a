import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../helpers/backend';
import { modelToGraph, type PlotGraph } from '../../../src/plot/graph';
import { toDot, escapeHtml, quoteId } from '../../../src/plot/dot';
import { twoHeadModel, twoInputModel } from './models';

before(async () => {
  await useBackend('cpu');
});

/** Curly braces outside quoted strings and <…> HTML labels balance, and never go negative. */
export function assertBalanced(dot: string): void {
  let depth = 0;
  let angle = 0;
  let inQuote = false;
  for (let i = 0; i < dot.length; i++) {
    const ch = dot[i];
    if (inQuote) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuote = false;
      continue;
    }
    if (angle > 0) {
      if (ch === '<') angle++;
      else if (ch === '>') angle--;
      continue;
    }
    if (ch === '"') inQuote = true;
    else if (ch === '<') angle = 1;
    else if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      assert.ok(depth >= 0, `unbalanced } at ${i}`);
    }
  }
  assert.equal(depth, 0, 'braces balance');
  assert.equal(angle, 0, 'HTML labels close');
  assert.ok(!inQuote, 'quotes close');
}

function graph(): PlotGraph {
  const { model, groups } = twoHeadModel();
  const g = modelToGraph(model, groups, { title: 'two heads' });
  model.dispose();
  return g;
}

test('DOT has clusters, every node and edge, Keras-like labels', () => {
  const g = graph();
  const dot = toDot(g);
  assert.match(dot, /^digraph model \{/);
  assertBalanced(dot);
  assert.match(dot, /rankdir=TB/);
  assert.match(dot, /subgraph cluster_shared \{\n\s*label=<<B>shared<\/B>>/);
  assert.match(dot, /subgraph cluster_task_0 \{\n\s*label=<<B>left<\/B>>/);
  assert.match(dot, /subgraph cluster_task_1 \{\n\s*label=<<B>right<\/B>>/);
  assert.match(dot, /subgraph inputs \{\n\s*rank=source;\n\s*"x" \[/);
  for (const n of g.nodes) {
    assert.ok(dot.includes(`"${n.id}" [label=<`), n.id);
    assert.ok(dot.includes(`<B>${n.id}</B></TD></TR><TR><TD COLSPAN="2"><FONT COLOR="#555555">${n.className}</FONT>`), n.id);
  }
  for (const e of g.edges) assert.ok(dot.includes(`"${e.from}" -> "${e.to}";`));
  assert.ok(dot.includes('(?, 6, 6, 4)'));
  assert.ok(dot.includes('params:&#160;&#160;</TD><TD ALIGN="LEFT">2,320<'));
  // Each node sits in exactly one cluster: the shared dense inside cluster_shared, heads in theirs.
  const block = (name: string) => dot.slice(dot.indexOf(`subgraph ${name} {`), dot.indexOf('\n  }', dot.indexOf(`subgraph ${name} {`)));
  assert.ok(block('cluster_shared').includes('"shared_3_dense"'));
  assert.ok(!block('cluster_shared').includes('"left"'));
  assert.ok(block('cluster_task_0').includes('"left__1_dense"'));
  assert.ok(block('cluster_task_1').includes('"right"'));
  // Outputs get a bold border, distinct fills per cluster.
  assert.match(dot, /"left" \[label=<<TABLE BORDER="3"/);
  assert.match(dot, /"shared_3_dense" \[label=<<TABLE BORDER="1"/);
  const fill = (id: string) => new RegExp(`"${id}" \\[label=<<TABLE[^>]*BGCOLOR="(#[0-9a-f]{6})"`).exec(dot)![1];
  const fills = new Set([fill('shared_3_dense'), fill('left'), fill('right'), fill('x')]);
  assert.equal(fills.size, 4);
  assert.equal(fill('left'), fill('left__1_dense'));
  assert.match(dot, /label=<<B>two heads<\/B>>/);
});

test('DOT options: LR and no shapes', () => {
  const dot = toDot(graph(), { rankdir: 'LR', showShapes: false });
  assertBalanced(dot);
  assert.match(dot, /rankdir=LR/);
  assert.ok(!dot.includes('output:'));
  assert.ok(!dot.includes('(?, 6, 6, 4)'));
  assert.ok(dot.includes('params:'));
});

test('DOT escapes task names, titles and layer names', () => {
  const evil = 'a"<&>\'b';
  const { model, groups } = twoInputModel(evil);
  const g = modelToGraph(model, groups, { title: '<title> & "x"' });
  model.dispose();
  const dot = toDot(g);
  assertBalanced(dot);
  assert.ok(dot.includes('label=<<B>a&quot;&lt;&amp;&gt;&#39;b</B>>'));
  assert.ok(!dot.includes(evil));
  assert.ok(dot.includes('&lt;title&gt; &amp; &quot;x&quot;'));
  assert.equal(escapeHtml('<&>"\''), '&lt;&amp;&gt;&quot;&#39;');
  assert.equal(quoteId('a"b\\'), '"a\\"b\\\\"');

  const weird: PlotGraph = {
    nodes: [
      { id: 'in"<x>', label: 'in"<x>', className: 'InputLayer', group: 'input', outputShape: '(?, 1)', inputShape: '(?, 1)', params: 0, isOutput: false },
      { id: 'back\\', label: 'back\\', className: 'Dense', group: 't{1}', outputShape: '(?, 1)', inputShape: '(?, 1)', params: 2, isOutput: true },
    ],
    edges: [{ from: 'in"<x>', to: 'back\\' }],
    groups: ['t{1}'],
  };
  const d2 = toDot(weird);
  assertBalanced(d2);
  assert.ok(d2.includes('"in\\"<x>" -> "back\\\\";'));
});

test('task palette cycles past its length without clashing cluster names', () => {
  const n = 10;
  const g: PlotGraph = {
    nodes: Array.from({ length: n }, (_, i) => ({
      id: `t${i}`, label: `t${i}`, className: 'Dense', group: `task${i}`,
      outputShape: '(?, 1)', inputShape: '(?, 1)', params: 2, isOutput: true,
    })),
    edges: [],
    groups: Array.from({ length: n }, (_, i) => `task${i}`),
  };
  const dot = toDot(g);
  for (let i = 0; i < n; i++) assert.ok(dot.includes(`subgraph cluster_task_${i} {`));
  assert.ok(!dot.includes('cluster_shared'), 'empty shared cluster omitted');
});
