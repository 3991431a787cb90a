// Owns writing plot files, the format chosen by the file's extension: .svg (drawn in-process),
// .png (that SVG rasterised by resvg with the shipped DejaVu Sans, src/plot/png.ts, so text renders
// the same on a machine with no system fonts), .dot (Graphviz), .mmd (Mermaid) and .json (the plot graph).
import * as path from 'node:path';
import { MtlError } from '../errors';
import { writeFileAtomic } from '../util/fs';
import { toDot } from './dot';
import type { PlotGraph } from './graph';
import { toMermaid } from './mermaid';
import { svgToPng } from './png';
import { renderSvg } from './svg';
import { plotView, type PlotOptions } from './view';

export type PlotFormat = 'dot' | 'svg' | 'png' | 'mmd' | 'json';

const FORMATS: Record<string, PlotFormat> = { '.svg': 'svg', '.png': 'png', '.dot': 'dot', '.gv': 'dot', '.mmd': 'mmd', '.json': 'json' };
export const PLOT_EXTENSIONS = Object.keys(FORMATS);

/** The output format for `file`, from its extension; a usage error for any other extension. */
export function plotFormat(file: string): PlotFormat {
  const ext = path.extname(file).toLowerCase();
  const format = FORMATS[ext];
  if (format === undefined) {
    throw new MtlError('usage', [
      { where: {}, message: `cannot tell the plot format from the file name ${JSON.stringify(file)}`, received: ext || '(no extension)', allowed: PLOT_EXTENSIONS.join(', ') },
    ]);
  }
  return format;
}

/** The file's bytes in `format`. */
export async function plotBytes(graph: PlotGraph, format: PlotFormat, opts: PlotOptions = {}): Promise<string | Buffer> {
  if (format === 'json') return JSON.stringify(graph, null, 2) + '\n';
  const view = plotView(graph, opts);
  if (format === 'dot') return toDot(view);
  if (format === 'mmd') return toMermaid(view);
  const { svg } = await renderSvg(view);
  // Layout units are points (72 per inch): dpi / 72 pixels per unit.
  return format === 'svg' ? svg : svgToPng(svg, (opts.dpi ?? 96) / 72);
}

/** Write `graph` to `file` in the format its extension names; the file appears whole or not at all. */
export async function writePlot(graph: PlotGraph, file: string, opts: PlotOptions = {}): Promise<PlotFormat> {
  const format = plotFormat(file);
  const bytes = await plotBytes(graph, format, opts);
  try {
    writeFileAtomic(file, bytes);
  } catch (err) {
    throw new MtlError('usage', `cannot write the plot to ${file}: ${(err as Error).message}`, { cause: err });
  }
  return format;
}
