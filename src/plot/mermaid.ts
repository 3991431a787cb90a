// Owns writing a plot view as a Mermaid flowchart (.mmd): one subgraph per group and sub-cluster,
// node ids n0, n1, … (layer names may hold any character), each box's rows as its label.
import { clusterTree, isLoose, type ClusterTree } from './clusters';
import { INPUT_GROUP, SHARED_GROUP } from './graph';
import type { Box, PlotView } from './view';

/** Mermaid label text inside "…": quotes and markup characters as entity codes. */
export function mermaidText(s: string): string {
  return s.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;').replace(/[\u0000-\u001f\u007f]/g, ' ');
}

function label(b: Box): string {
  return b.rows.map((r) => (r.bold ? `<b>${mermaidText(r.text)}</b>` : mermaidText(r.text))).join('<br/>');
}

export function toMermaid(v: PlotView): string {
  const ids = new Map<string, string>();
  const idOf = (name: string) => {
    let id = ids.get(name);
    if (id === undefined) ids.set(name, (id = `n${ids.size}`));
    return id;
  };
  const out = [`flowchart ${v.options.rankdir}`];
  const classes: string[] = [];
  const nodeLine = (b: Box, indent: string) => {
    const shape = b.kind === 'loss' ? [`(["`, `"])`] : [`["`, `"]`];
    out.push(`${indent}${idOf(b.id)}${shape[0]}${label(b)}${shape[1]}`);
    classes.push(`  style ${idOf(b.id)} fill:${b.colours.fill},stroke:${b.colours.border}${b.kind === 'output' ? ',stroke-width:3px' : ''}${b.kind === 'loss' ? ',stroke-dasharray:4 2' : ''}`);
  };
  let clusters = 0;
  const emit = (tree: ClusterTree, title: string, indent: string, extra: Box[] = []) => {
    if (!tree.members.length && !tree.children.length && !extra.length) return;
    out.push(`${indent}subgraph c${clusters++} ["${mermaidText(title)}"]`);
    for (const n of tree.members) nodeLine(v.boxes.get(n.id) as Box, indent + '  ');
    for (const b of extra) nodeLine(b, indent + '  ');
    for (const c of tree.children) emit(c, c.name, indent + '  ');
    out.push(`${indent}end`);
  };
  for (const n of v.graph.nodes.filter((n) => n.group === INPUT_GROUP || isLoose(n))) nodeLine(v.boxes.get(n.id) as Box, '  ');
  emit(clusterTree(SHARED_GROUP, v.graph.nodes.filter((n) => n.group === SHARED_GROUP && !isLoose(n))), SHARED_GROUP, '  ');
  for (const t of v.tasks) emit(clusterTree(t, v.graph.nodes.filter((n) => n.group === t)), t, '  ', v.lossBoxes.filter((l) => l.task === t).map((l) => l.box));
  for (const e of v.graph.edges) out.push(`  ${idOf(e.from)} --> ${idOf(e.to)}`);
  for (const l of v.lossBoxes) out.push(`  ${idOf(l.output)} -.- ${idOf(l.box.id)}`);
  return [...out, ...classes].join('\n') + '\n';
}
