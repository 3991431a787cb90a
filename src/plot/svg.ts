// Owns drawing a plot view as SVG: Graphviz (compiled to WASM, @viz-js/viz) places the fixed-size boxes
// and routes the edges (its JSON output), and this file draws boxes, text, clusters and the legend
// itself, every text with its measured width as textLength, so no label can leave its box.
// @viz-js/viz is an ESM package with a CommonJS build ("require" → dist/viz.cjs), loaded by require().
import { instance, type Viz } from '@viz-js/viz';
import { MtlError } from '../errors';
import { escapeHtml, toDotWithClusters, clusterLabelSize, type DotCluster } from './dot';
import { FONT_FAMILY } from './font';
import { FONT_SIZE, PAD_X, PAD_Y, ROW_HEIGHT, TITLE_SIZE, textWidth, type Box, type PlotView } from './view';

const MARGIN = 8;

interface GvObject {
  name: string;
  _gvid: number;
  bb?: string;
  pos?: string;
  lp?: string;
}
interface GvEdge {
  tail: number;
  head: number;
  style?: string;
  color?: string;
  /** Spline: "e,x,y" (arrow tip), then cubic Bézier control points p0 (p1 p2 p3)+. */
  pos?: string;
}
interface GvLayout {
  bb: string;
  lp?: string;
  lwidth?: string;
  objects?: GvObject[];
  edges?: GvEdge[];
}

let vizPromise: Promise<Viz> | undefined;

/** Graphviz's `dot` layout of `dot`, as its JSON (xdot) description. */
export async function layout(dot: string): Promise<GvLayout> {
  vizPromise ??= instance();
  let viz: Viz;
  try {
    viz = await vizPromise;
  } catch (err) {
    vizPromise = undefined;
    throw new MtlError('internal', `could not start Graphviz (@viz-js/viz): ${(err as Error).message}`, { cause: err });
  }
  // json0: positions only (the xdot draw operations of `json` can carry garbage text for empty labels).
  const result = viz.render(dot, { format: 'json0', engine: 'dot' });
  const errors = result.errors.filter((e) => e.level !== 'warning');
  if (result.status !== 'success' || errors.length) {
    const why = errors.map((e) => e.message.trim()).join('; ') || 'unknown error';
    throw new MtlError('internal', `Graphviz could not lay out the model plot: ${why}`);
  }
  return JSON.parse(result.output) as GvLayout;
}

const nums = (s: string) => s.split(',').map(Number);
const f1 = (n: number) => String(Math.round(n * 100) / 100);

function text(s: string, x: number, y: number, opts: { bold?: boolean; size?: number; fill?: string; anchor?: string; halo?: string } = {}): string {
  const size = opts.size ?? FONT_SIZE;
  const w = textWidth(s, opts.bold, size);
  const weight = opts.bold ? ' font-weight="bold"' : '';
  // A halo in the background colour keeps a cluster label legible where an edge runs under it.
  const halo = opts.halo ? ` stroke="${opts.halo}" stroke-width="4" stroke-linejoin="round" paint-order="stroke"` : '';
  return `<text x="${f1(x)}" y="${f1(y)}" font-size="${size}"${weight} fill="${opts.fill ?? '#000000'}"${halo} text-anchor="${opts.anchor ?? 'middle'}" textLength="${f1(w)}" lengthAdjust="spacingAndGlyphs">${escapeHtml(s)}</text>`;
}

/** Baseline of a line of text centred in a row that starts at `top` (DejaVu: ascent .93, descent .24 em). */
const baseline = (top: number, rowHeight: number, size = FONT_SIZE) => top + rowHeight / 2 + 0.35 * size;

function drawBox(b: Box, cx: number, cy: number): string {
  const x = cx - b.width / 2;
  const y = cy - b.height / 2;
  const stroke = b.kind === 'output' ? 2 : 1;
  const dash = b.kind === 'loss' ? ' stroke-dasharray="4,2"' : '';
  const parts = [`<rect x="${f1(x)}" y="${f1(y)}" width="${b.width}" height="${b.height}" rx="4" fill="${b.colours.fill}" stroke="${b.colours.border}" stroke-width="${stroke}"${dash}/>`];
  b.rows.forEach((r, i) => parts.push(text(r.text, cx, baseline(y + PAD_Y + i * ROW_HEIGHT, ROW_HEIGHT), { bold: r.bold, fill: r.dim ? '#555555' : '#000000' })));
  return `<g class="node" id="${escapeHtml(b.id)}">${parts.join('')}</g>`;
}

function drawLegend(v: PlotView, cx: number, top: number): string {
  const l = v.legend;
  const left = cx - l.width / 2;
  const parts: string[] = [];
  let y = top;
  if (l.title) {
    parts.push(text(l.title, cx, baseline(y, 1.5 * ROW_HEIGHT, TITLE_SIZE), { bold: true, size: TITLE_SIZE }));
    y += 1.5 * ROW_HEIGHT;
  }
  for (const r of l.rows) {
    let x = left;
    r.cells.forEach((c, i) => {
      const w = l.columnWidths[i];
      if (i === 0 && r.colours) parts.push(`<rect x="${f1(x + 3)}" y="${f1(y + 2)}" width="${w - 6}" height="${ROW_HEIGHT - 4}" fill="${r.colours.fill}" stroke="${r.colours.border}"/>`);
      else if (c) parts.push(text(c, x + PAD_X, baseline(y, ROW_HEIGHT), { bold: r.bold, anchor: 'start' }));
      x += w;
    });
    y += ROW_HEIGHT;
  }
  return `<g class="legend">${parts.join('')}</g>`;
}

function drawEdge(e: GvEdge, Y: (y: number) => number): string {
  if (!e.pos) return '';
  const pt = (p: number[]) => `${f1(p[0])},${f1(Y(p[1]))}`;
  let tip: number[] | undefined;
  const points: number[][] = [];
  for (const part of e.pos.split(/\s+/)) {
    if (part.startsWith('e,')) tip = nums(part.slice(2));
    else if (!part.startsWith('s,')) points.push(nums(part));
  }
  if (!points.length) return '';
  const colour = e.color ?? '#555555';
  const dash = e.style === 'dashed' ? ' stroke-dasharray="4,2"' : '';
  let d = `M${pt(points[0])}`;
  for (let i = 1; i + 2 < points.length; i += 3) d += ` C${pt(points[i])} ${pt(points[i + 1])} ${pt(points[i + 2])}`;
  const parts = [`<path d="${d}" fill="none" stroke="${colour}"${dash}/>`];
  if (tip) {
    // An arrowhead from the spline's end to the tip, half as wide as long.
    const end = points[points.length - 1];
    const dx = tip[0] - end[0];
    const dy = tip[1] - end[1];
    const len = Math.hypot(dx, dy) || 1;
    const nx = (-dy / len) * (len / 2.6);
    const ny = (dx / len) * (len / 2.6);
    parts.push(`<polygon points="${pt(tip)} ${pt([end[0] + nx, end[1] + ny])} ${pt([end[0] - nx, end[1] - ny])}" fill="${colour}" stroke="${colour}"/>`);
  }
  return `<g class="edge">${parts.join('')}</g>`;
}

/** A cluster's box, and (drawn after the edges) its label. */
function drawCluster(c: DotCluster, o: GvObject, Y: (y: number) => number): { box: string; label: string } {
  const [x0, y0, x1, y1] = nums(o.bb as string);
  const fill = c.depth > 0 ? '#ffffff' : '#fafafa';
  const box = `<rect x="${f1(x0)}" y="${f1(Y(y1))}" width="${f1(x1 - x0)}" height="${f1(y1 - y0)}" rx="6" fill="${fill}" stroke="${c.colours.border}"/>`;
  const size = clusterLabelSize(c.label);
  const [lx, ly] = o.lp ? nums(o.lp) : [(x0 + x1) / 2, y1 - size.height / 2];
  const label = text(c.label, lx, baseline(Y(ly) - size.height / 2, size.height), { bold: true, fill: c.colours.border, halo: fill });
  return { box: `<g class="cluster">${box}</g>`, label: `<g class="cluster-label">${label}</g>` };
}

/** The plot as a standalone SVG document; width and height in layout points. */
export async function renderSvg(v: PlotView): Promise<{ svg: string; width: number; height: number }> {
  const { dot, clusters } = toDotWithClusters(v);
  const g = await layout(dot);
  const [, , W, H] = nums(g.bb);
  const width = Math.ceil(W + 2 * MARGIN);
  const height = Math.ceil(H + 2 * MARGIN);
  const Y = (y: number) => H - y;
  const byName = new Map((g.objects ?? []).map((o) => [o.name, o]));
  const boxes = new Map([...v.boxes.values(), ...v.lossBoxes.map((l) => l.box)].map((b) => [b.id, b]));
  const body: string[] = [];
  const labels: string[] = [];
  for (const c of clusters) {
    const o = byName.get(c.name);
    if (!o?.bb) continue;
    const drawn = drawCluster(c, o, Y);
    body.push(drawn.box);
    labels.push(drawn.label);
  }
  for (const e of g.edges ?? []) body.push(drawEdge(e, Y));
  body.push(...labels);
  for (const [id, b] of boxes) {
    const pos = byName.get(id)?.pos;
    if (pos) body.push(drawBox(b, nums(pos)[0], Y(nums(pos)[1])));
  }
  if (g.lp) {
    const [lx, ly] = nums(g.lp);
    body.push(drawLegend(v, lx, Y(ly) - v.legend.height / 2));
  }
  const svg =
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}, Verdana, sans-serif">\n` +
    `<rect width="100%" height="100%" fill="#ffffff"/>\n<g transform="translate(${MARGIN},${MARGIN})">\n${body.join('\n')}\n</g>\n</svg>\n`;
  return { svg, width, height };
}
