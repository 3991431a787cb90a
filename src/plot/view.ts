// Owns what each box of a plot says and how big it is: the text rows Keras' plot_model options ask
// for, measured with the shipped font (src/plot/font.ts), the task colours, the per-task loss boxes
// and the legend. DOT, SVG and Mermaid output all draw this one view.
import { plotFonts } from './font';
import { INPUT_GROUP, SHARED_GROUP, type PlotGraph, type PlotNode, type PlotTask } from './graph';

export type RankDir = 'TB' | 'LR' | 'BT' | 'RL';

export interface PlotOptions {
  rankdir?: RankDir;
  showShapes?: boolean;
  showDtype?: boolean;
  /** Default true (as Keras 2's plot_model). */
  showLayerNames?: boolean;
  showLayerActivations?: boolean;
  showTrainable?: boolean;
  /** Pixels per inch of the PNG (Keras' default 96); layout units are points (72 per inch). */
  dpi?: number;
}

export interface Colours {
  fill: string;
  border: string;
}

export const INPUT_COLOURS: Colours = { fill: '#eeeeee', border: '#757575' };
export const SHARED_COLOURS: Colours = { fill: '#cfe2f3', border: '#3d85c6' };
/** Task colours, in task order; they cycle past eight tasks. */
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

export const FONT_SIZE = 11;
export const TITLE_SIZE = 15;
export const ROW_HEIGHT = 15;
export const PAD_X = 8;
export const PAD_Y = 4;

export interface Row {
  text: string;
  bold?: boolean;
  /** Grey secondary text (the class name under a layer name). */
  dim?: boolean;
}

export interface Box {
  id: string;
  rows: Row[];
  /** Points, text plus padding. */
  width: number;
  height: number;
  colours: Colours;
  /** A task output draws a thick border; a loss box a dashed one. */
  kind: 'layer' | 'output' | 'loss';
}

export interface PlotView {
  graph: PlotGraph;
  options: Required<Omit<PlotOptions, 'dpi'>>;
  /** Task names in colour order (declared tasks, then any group a node names). */
  tasks: string[];
  boxes: Map<string, Box>;
  /** Loss box id per task (only for tasks the graph describes in `graph.tasks`). */
  lossBoxes: Array<{ task: string; box: Box; output: string }>;
  legend: Legend;
}

export interface Legend {
  title: string;
  /** Rows of cells: [swatch colour or '', text cells...]. */
  rows: Array<{ colours?: Colours; cells: string[]; bold?: boolean }>;
  columnWidths: number[];
  width: number;
  height: number;
}

export const fmt = (n: number) => n.toLocaleString('en-US');

export function textWidth(text: string, bold = false, size = FONT_SIZE): number {
  const f = plotFonts();
  return (bold ? f.bold : f.regular).width(text, size);
}

function box(id: string, rows: Row[], colours: Colours, kind: Box['kind']): Box {
  const inner = Math.max(...rows.map((r) => textWidth(r.text, r.bold)));
  return { id, rows, colours, kind, width: Math.ceil(inner + 2 * PAD_X), height: rows.length * ROW_HEIGHT + 2 * PAD_Y };
}

export function layerRows(n: PlotNode, o: PlotView['options']): Row[] {
  const kind = n.layers !== undefined && n.layers > 1 ? `${n.className} (${n.layers} layers)` : n.className;
  const rows: Row[] = o.showLayerNames ? [{ text: n.label, bold: true }, { text: kind, dim: true }] : [{ text: kind, bold: true }];
  if (o.showShapes) rows.push({ text: `input: ${n.inputShape}` }, { text: `output: ${n.outputShape}` });
  if (o.showDtype) rows.push({ text: `dtype: ${n.dtype}` });
  if (o.showLayerActivations && n.activation !== undefined) rows.push({ text: `activation: ${n.activation}` });
  if (o.showTrainable) {
    const frozen = n.nonTrainableParams > 0 && n.trainable ? ` (${fmt(n.nonTrainableParams)} not)` : '';
    rows.push({ text: `trainable: ${n.trainable ? 'yes' : 'no'}${frozen}` });
  }
  rows.push({ text: `params: ${fmt(n.params)}` });
  if (n.frozen) rows.push({ text: n.frozen === 'all' ? 'frozen' : 'partly frozen', bold: true });
  return rows;
}

const weightText = (t: PlotTask) => (typeof t.weight === 'number' ? `weight: ${t.weight}` : `weighting: ${t.weight}`);

function legendOf(graph: PlotGraph, tasks: string[], colourOf: (g: string) => Colours): Legend {
  const info = new Map((graph.tasks ?? []).map((t) => [t.name, t]));
  const rows: Legend['rows'] = [{ cells: ['', 'task', 'loss', 'weight', 'params'], bold: true }];
  for (const t of tasks) {
    const i = info.get(t);
    const own = i?.params ?? graph.nodes.filter((n) => n.group === t).reduce((a, n) => a + n.params, 0);
    rows.push({ colours: colourOf(t), cells: ['', t, i?.loss ?? '', i ? String(i.weight) : '', fmt(own)] });
  }
  const shared = graph.sharedParams ?? graph.nodes.filter((n) => n.group === SHARED_GROUP).reduce((a, n) => a + n.params, 0);
  rows.push({ colours: SHARED_COLOURS, cells: ['', SHARED_GROUP, '', '', fmt(shared)] });
  rows.push({ cells: ['', 'total', '', '', fmt(graph.nodes.reduce((a, n) => a + n.params, 0))], bold: true });
  const columnWidths = rows[0].cells.map((_, c) => (c === 0 ? 18 : Math.ceil(Math.max(...rows.map((r) => textWidth(r.cells[c], r.bold))) + 2 * PAD_X)));
  const title = graph.title ?? '';
  const width = Math.max(columnWidths.reduce((a, b) => a + b, 0), Math.ceil(textWidth(title, true, TITLE_SIZE)) + 2 * PAD_X);
  return { title, rows, columnWidths, width, height: (rows.length + (title ? 1.5 : 0)) * ROW_HEIGHT + 2 * PAD_Y };
}

/** Everything drawn, measured. */
export function plotView(graph: PlotGraph, opts: PlotOptions = {}): PlotView {
  const options = {
    rankdir: opts.rankdir ?? 'TB',
    showShapes: opts.showShapes ?? false,
    showDtype: opts.showDtype ?? false,
    showLayerNames: opts.showLayerNames ?? true,
    showLayerActivations: opts.showLayerActivations ?? false,
    showTrainable: opts.showTrainable ?? false,
  };
  const tasks = [...graph.groups];
  for (const n of graph.nodes) if (n.group !== INPUT_GROUP && n.group !== SHARED_GROUP && !tasks.includes(n.group)) tasks.push(n.group);
  const colourOf = (g: string): Colours =>
    g === INPUT_GROUP ? INPUT_COLOURS : g === SHARED_GROUP || !tasks.includes(g) ? SHARED_COLOURS : TASK_PALETTE[tasks.indexOf(g) % TASK_PALETTE.length];
  const boxes = new Map<string, Box>();
  for (const n of graph.nodes) boxes.set(n.id, box(n.id, layerRows(n, options), colourOf(n.group), n.isOutput ? 'output' : 'layer'));
  const lossBoxes: PlotView['lossBoxes'] = [];
  const ids = new Set(graph.nodes.map((n) => n.id));
  for (const t of graph.tasks ?? []) {
    const output = graph.nodes.find((n) => n.isOutput && n.group === t.name) ?? graph.nodes.find((n) => n.id === t.name);
    if (!output) continue;
    let id = `${t.name} loss`;
    while (ids.has(id)) id += "'";
    lossBoxes.push({ task: t.name, output: output.id, box: box(id, [{ text: `loss: ${t.loss}`, bold: true }, { text: weightText(t) }], colourOf(t.name), 'loss') });
  }
  return { graph, options, tasks, boxes, lossBoxes, legend: legendOf(graph, tasks, colourOf) };
}
