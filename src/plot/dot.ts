// Owns writing a plot view as Graphviz DOT. Every label is an HTML table whose cells have fixed sizes
// measured with the shipped font (src/plot/view.ts), so Graphviz lays out boxes exactly as large as
// the text drawn in them; the same DOT is the .dot output and the input of the in-process layout.
import { clusterTree, isLoose, type ClusterTree } from './clusters';
import { FONT_FAMILY } from './font';
import { INPUT_GROUP, SHARED_GROUP } from './graph';
import { FONT_SIZE, PAD_X, PAD_Y, ROW_HEIGHT, SHARED_COLOURS, TITLE_SIZE, textWidth, type Box, type Colours, type PlotView } from './view';

/** Text for inside an HTML-like label (`label=<…>`) or an SVG text node. */
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

function font(text: string, opts: { bold?: boolean; colour?: string; size?: number } = {}): string {
  if (text === '') return ''; // Graphviz rejects an empty <FONT></FONT>
  const t = opts.bold ? `<B>${escapeHtml(text)}</B>` : escapeHtml(text);
  const colour = opts.colour ? ` COLOR="${opts.colour}"` : '';
  return `<FONT FACE="${FONT_FAMILY}" POINT-SIZE="${opts.size ?? FONT_SIZE}"${colour}>${t}</FONT>`;
}

const cell = (w: number, h: number, content: string, extra = '') => `<TD FIXEDSIZE="TRUE" WIDTH="${Math.ceil(w)}" HEIGHT="${Math.ceil(h)}"${extra}>${content}</TD>`;

/** A box's label: one fixed-size cell per row, the padding folded into the first and last rows. */
export function boxLabel(b: Box): string {
  const rows = b.rows.map((r, i) => {
    const h = ROW_HEIGHT + (i === 0 ? PAD_Y : 0) + (i === b.rows.length - 1 ? PAD_Y : 0);
    return `<TR>${cell(b.width, h, font(r.text, { bold: r.bold, colour: r.dim ? '#555555' : undefined }))}</TR>`;
  });
  const border = b.kind === 'output' ? 2 : 1;
  const style = b.kind === 'loss' ? 'rounded,dashed' : 'rounded';
  return `<<TABLE BORDER="${border}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0" STYLE="${style}" BGCOLOR="${b.colours.fill}" COLOR="${b.colours.border}">${rows.join('')}</TABLE>>`;
}

/** The size of a cluster's label, as drawn. */
export function clusterLabelSize(text: string): { width: number; height: number } {
  return { width: Math.ceil(textWidth(text, true) + 2 * PAD_X), height: ROW_HEIGHT + PAD_Y };
}

function clusterLabel(text: string, colour: string): string {
  const s = clusterLabelSize(text);
  return `<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>${cell(s.width, s.height, font(text, { bold: true, colour }))}</TR></TABLE>>`;
}

function legendLabel(v: PlotView): string {
  const l = v.legend;
  const widths = [...l.columnWidths];
  widths[widths.length - 1] += l.width - widths.reduce((a, b) => a + b, 0);
  const rows: string[] = [];
  if (l.title) rows.push(`<TR>${cell(l.width, 1.5 * ROW_HEIGHT, font(l.title, { bold: true, size: TITLE_SIZE }), ` COLSPAN="${widths.length}"`)}</TR>`);
  for (const r of l.rows) {
    const cells = r.cells.map((c, i) => (i === 0 ? cell(widths[0], ROW_HEIGHT, r.colours ? ' ' : '', r.colours ? ` BGCOLOR="${r.colours.fill}"` : '') : cell(widths[i], ROW_HEIGHT, font(c, { bold: r.bold }))));
    rows.push(`<TR>${cells.join('')}</TR>`);
  }
  rows.push(`<TR>${cell(l.width, 2 * PAD_Y, '', ` COLSPAN="${widths.length}"`)}</TR>`);
  return `<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0">${rows.join('')}</TABLE>>`;
}

export interface DotCluster {
  /** `cluster_<n>` in order of appearance (task names may hold any character). */
  name: string;
  label: string;
  colours: Colours;
  /** Depth: 0 for a group (shared, a task), 1+ for experts, gates, nested models inside it. */
  depth: number;
}

export function toDot(v: PlotView): string {
  return toDotWithClusters(v).dot;
}

/** The DOT text and what each of its clusters stands for (for drawing the layout). */
export function toDotWithClusters(v: PlotView): { dot: string; clusters: DotCluster[] } {
  const info: DotCluster[] = [];
  const out: string[] = ['digraph model {'];
  out.push(`  graph [rankdir=${v.options.rankdir}, newrank=true, nodesep=0.3, ranksep=0.4, labelloc=t, label=${legendLabel(v)}];`);
  out.push(`  node [shape=plain, fontname="${FONT_FAMILY}", fontsize=${FONT_SIZE}];`);
  out.push('  edge [color="#555555", arrowsize=0.7];');
  const nodeLine = (b: Box, indent: string) => `${indent}${quoteId(b.id)} [label=${boxLabel(b)}];`;
  const inputs = v.graph.nodes.filter((n) => n.group === INPUT_GROUP);
  if (inputs.length) {
    out.push('  subgraph inputs {', '    rank=source;');
    for (const n of inputs) out.push(nodeLine(v.boxes.get(n.id) as Box, '    '));
    out.push('  }');
  }
  let clusters = 0;
  const emit = (tree: ClusterTree, label: string, c: Colours, indent: string, extra: Box[] = []) => {
    if (!tree.members.length && !tree.children.length && !extra.length) return;
    const depth = indent.length / 2 - 1;
    info.push({ name: `cluster_${clusters}`, label, colours: c, depth });
    out.push(`${indent}subgraph cluster_${clusters++} {`);
    out.push(`${indent}  label=${clusterLabel(label, c.border)};`);
    out.push(`${indent}  labeljust=l; style="rounded,filled"; fillcolor="${depth > 0 ? '#ffffff' : '#fafafa'}"; color="${c.border}";`);
    for (const n of tree.members) out.push(nodeLine(v.boxes.get(n.id) as Box, indent + '  '));
    for (const b of extra) out.push(nodeLine(b, indent + '  '));
    for (const child of tree.children) emit(child, child.name, c, indent + '  ');
    out.push(`${indent}}`);
  };
  const loose = v.graph.nodes.filter(isLoose);
  for (const n of loose) out.push(nodeLine(v.boxes.get(n.id) as Box, '  '));
  emit(clusterTree(SHARED_GROUP, v.graph.nodes.filter((n) => n.group === SHARED_GROUP && !isLoose(n))), SHARED_GROUP, SHARED_COLOURS, '  ');
  for (const t of v.tasks) {
    const losses = v.lossBoxes.filter((l) => l.task === t).map((l) => l.box);
    const members = v.graph.nodes.filter((n) => n.group === t);
    emit(clusterTree(t, members), t, (v.boxes.get(members[0]?.id) ?? losses[0])?.colours ?? SHARED_COLOURS, '  ', losses);
  }
  for (const e of v.graph.edges) out.push(`  ${quoteId(e.from)} -> ${quoteId(e.to)};`);
  for (const l of v.lossBoxes) out.push(`  ${quoteId(l.output)} -> ${quoteId(l.box.id)} [style=dashed, arrowhead=none, color="${l.box.colours.border}"];`);
  out.push('}');
  return { dot: out.join('\n') + '\n', clusters: info };
}
