// Owns line charts as data (panels of labelled points) → a Vega-Lite spec → SVG, rendered in-process
// by vega + vega-lite (no browser). Both packages are ESM-only; this CommonJS build loads them with a
// real dynamic import (TypeScript would turn a plain `import()` into require()).
import { MtlError } from '../errors';

/** A Vega-Lite document (vega-lite's own types need moduleResolution node16, which this build does not use). */
export type VegaLiteSpec = Record<string, unknown>;

interface VegaLiteModule {
  compile(spec: VegaLiteSpec): { spec: unknown };
}
interface VegaModule {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, opts: { renderer: 'none' }) => { toSVG(): Promise<string>; finalize(): void };
}

export interface ChartPoint {
  x: number;
  y: number;
  /** Legend label of the line's colour: one legend for the whole chart, the same colour in every panel. */
  series: string;
  /** Line style within a colour (training/validation, or which task): a small legend under each panel that has several. */
  style?: string;
}

export interface ChartPanel {
  title: string;
  xTitle: string;
  yTitle: string;
  points: ChartPoint[];
  /** Start the y axis at 0 (weights); otherwise it fits the data. */
  zero?: boolean;
}

/** The font every chart asks for; the PNG rasteriser loads it from a package (png.ts). */
export const CHART_FONT = 'DejaVu Sans';

const esmImport = new Function('m', 'return import(m)') as <T>(m: string) => Promise<T>;

/** Dash patterns for the styles of a panel, in order of first appearance: solid, dashed, dotted, … */
const DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [1, 4], [12, 4]];

function panelSpec(p: ChartPanel, width: number): Record<string, unknown> {
  const series = new Set(p.points.map((q) => q.series));
  const styles = [...new Set(p.points.map((q) => q.style ?? ''))];
  const manyPoints = p.points.length > 60 * series.size * styles.length;
  return {
    title: p.title,
    width,
    height: 170,
    data: { values: p.points.map((q) => ({ ...q, style: q.style ?? '' })) },
    mark: { type: 'line', point: !manyPoints, strokeWidth: 1.6 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: p.xTitle, axis: { tickMinStep: 1 }, scale: { nice: false } },
      y: { field: 'y', type: 'quantitative', title: p.yTitle, scale: { zero: p.zero ?? false }, axis: { format: '~r' } },
      color: { field: 'series', type: 'nominal', legend: { title: null } },
      strokeDash: {
        field: 'style',
        type: 'nominal',
        scale: { domain: styles, range: styles.map((_, i) => DASHES[i % DASHES.length]) },
        legend: styles.length > 1 ? { orient: 'bottom', direction: 'horizontal', title: null, symbolType: 'stroke', symbolSize: 300, symbolStrokeWidth: 2, labelLimit: 200, encode: { symbols: { update: { stroke: { value: '#333' } } } } } : null,
      },
    },
  };
}

/** A grid of panels, each with its own axes and line-style legend; one colour legend for all of them. */
export function chartSpec(panels: ChartPanel[], opts: { title?: string; columns?: number; width?: number } = {}): VegaLiteSpec {
  const columns = opts.columns ?? Math.min(3, panels.length);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(opts.title ? { title: { text: opts.title, anchor: 'start', fontSize: 15 } } : {}),
    columns,
    concat: panels.map((p) => panelSpec(p, opts.width ?? 300)),
    resolve: { scale: { color: 'shared', x: 'independent', y: 'independent', strokeDash: 'independent' } },
    config: {
      font: CHART_FONT,
      background: 'white',
      padding: 12,
      concat: { spacing: 28 },
      title: { fontSize: 13 },
      legend: { orient: 'right', labelLimit: 320, symbolType: 'stroke', symbolStrokeWidth: 3, titleFontSize: 12 },
    },
  };
}

/** Render a Vega-Lite spec to an SVG document. */
export async function chartSvg(spec: VegaLiteSpec): Promise<string> {
  try {
    const vl = await esmImport<VegaLiteModule>('vega-lite');
    const vega = await esmImport<VegaModule>('vega');
    const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
    const svg = await view.toSVG();
    view.finalize();
    return svg;
  } catch (err) {
    throw new MtlError('internal', `could not draw the chart (vega): ${(err as Error).message}`, { cause: err });
  }
}
