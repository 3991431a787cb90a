// Owns writing a PlotGraph as Graphviz DOT: clusters for shared layers and each task head,
// Keras-like HTML labels, and the escaping of every user-provided string.
import { INPUT_GROUP, SHARED_GROUP, type PlotGraph, type PlotNode } from './graph';

export interface DotOptions {
  rankdir?: 'TB' | 'LR';
  /** Show input/output shapes in node labels (default true). */
  showShapes?: boolean;
}

interface Colours {
  fill: string;
  border: string;
}

const INPUT_COLOURS: Colours = { fill: '#eeeeee', border: '#757575' };
const SHARED_COLOURS: Colours = { fill: '#cfe2f3', border: '#3d85c6' };
/** Task heads cycle through this palette. */
export const TASK_PALETTE: readonly Colours[] = [
  { fill: '#fce5cd', border: '#e69138' },
  { fill: '#d9ead3', border: '#6aa84f' },
  { fill: '#ead1dc', border: '#a64d79' },
  { fill: '#fff2cc', border: '#bf9000' },
  { fill: '#d9d2e9', border: '#674ea7' },
  { fill: '#d0e0e3', border: '#45818e' },
  { fill: '#f4cccc', border: '#cc0000' },
  { fill: '#e6d7c3', border: '#7f6000' },
];

/** Text for inside an HTML-like label (`label=<…>`). */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/[\u0000-\u001f\u007f]/g, ' ');
}

/** A double-quoted DOT ID. */
export function quoteId(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n|\r/g, '\\n')}"`;
}

function nodeLabel(n: PlotNode, c: Colours, showShapes: boolean): string {
  const border = n.isOutput ? 3 : 1;
  const rows = [
    // Name and class on separate rows: Graphviz sizes cells with its own font metrics, and a bold name
    // followed by regular text on one line overflows its cell when the viewer's font is wider.
    `<TR><TD COLSPAN="2"><B>${escapeHtml(n.label)}</B></TD></TR>`,
    `<TR><TD COLSPAN="2"><FONT COLOR="#555555">${escapeHtml(n.className)}</FONT></TD></TR>`,
  ];
  if (showShapes) {
    rows.push(`<TR><TD ALIGN="LEFT">input:&#160;&#160;</TD><TD ALIGN="LEFT">${escapeHtml(n.inputShape)}</TD></TR>`);
    rows.push(`<TR><TD ALIGN="LEFT">output:&#160;&#160;</TD><TD ALIGN="LEFT">${escapeHtml(n.outputShape)}</TD></TR>`);
  }
  rows.push(`<TR><TD ALIGN="LEFT">params:&#160;&#160;</TD><TD ALIGN="LEFT">${n.params.toLocaleString('en-US')}</TD></TR>`);
  return (
    `<<TABLE BORDER="${border}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" ` +
    `BGCOLOR="${c.fill}" COLOR="${c.border}">${rows.join('')}</TABLE>>`
  );
}

function nodeLine(n: PlotNode, c: Colours, showShapes: boolean, indent: string): string {
  return `${indent}${quoteId(n.id)} [label=${nodeLabel(n, c, showShapes)}];`;
}

export function toDot(graph: PlotGraph, opts: DotOptions = {}): string {
  const rankdir = opts.rankdir ?? 'TB';
  const showShapes = opts.showShapes ?? true;

  // Tasks: the declared order, then any group a node names that the list missed.
  const tasks = [...graph.groups];
  for (const n of graph.nodes) {
    if (n.group !== INPUT_GROUP && n.group !== SHARED_GROUP && !tasks.includes(n.group)) tasks.push(n.group);
  }
  const taskColours = (i: number) => TASK_PALETTE[i % TASK_PALETTE.length];

  const out: string[] = [];
  out.push('digraph model {');
  const graphAttrs = [`rankdir=${rankdir}`, 'fontname="Helvetica,Arial,sans-serif"', 'nodesep=0.4', 'ranksep=0.5'];
  if (graph.title !== undefined && graph.title !== '') {
    graphAttrs.push(`label=<<B>${escapeHtml(graph.title)}</B>>`, 'labelloc=t', 'fontsize=16');
  }
  out.push(`  graph [${graphAttrs.join(', ')}];`);
  out.push('  node [shape=plain, fontname="Helvetica,Arial,sans-serif", fontsize=10];');
  out.push('  edge [color="#555555", arrowsize=0.7];');

  const inputs = graph.nodes.filter((n) => n.group === INPUT_GROUP);
  if (inputs.length) {
    out.push('  subgraph inputs {');
    out.push('    rank=source;');
    for (const n of inputs) out.push(nodeLine(n, INPUT_COLOURS, showShapes, '    '));
    out.push('  }');
  }

  const cluster = (name: string, label: string, c: Colours, members: PlotNode[]) => {
    if (!members.length) return;
    out.push(`  subgraph ${name} {`);
    out.push(`    label=<<B>${escapeHtml(label)}</B>>;`);
    out.push(`    style="rounded,filled"; fillcolor="#fafafa"; color="${c.border}"; fontcolor="${c.border}";`);
    for (const n of members) out.push(nodeLine(n, c, showShapes, '    '));
    out.push('  }');
  };
  cluster(
    'cluster_shared',
    SHARED_GROUP,
    SHARED_COLOURS,
    graph.nodes.filter((n) => n.group === SHARED_GROUP),
  );
  tasks.forEach((t, i) =>
    cluster(
      `cluster_task_${i}`,
      t,
      taskColours(i),
      graph.nodes.filter((n) => n.group === t),
    ),
  );

  for (const e of graph.edges) out.push(`  ${quoteId(e.from)} -> ${quoteId(e.to)};`);
  out.push('}');
  return out.join('\n') + '\n';
}
