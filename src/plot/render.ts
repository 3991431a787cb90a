// Owns rendering DOT to SVG (Graphviz compiled to WASM, no system install) and writing plot files.
// @viz-js/viz is an ESM package but ships a CommonJS build ("require" → dist/viz.cjs in its
// package.json exports), so the plain import below compiles to a require() that loads it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { instance, type Viz } from '@viz-js/viz';
import { MtlError } from '../errors';
import { toDot, type DotOptions } from './dot';
import type { PlotGraph } from './graph';

export type PlotFormat = 'dot' | 'svg' | 'json';

const FORMATS: Record<string, PlotFormat> = { '.dot': 'dot', '.gv': 'dot', '.svg': 'svg', '.json': 'json' };
export const PLOT_EXTENSIONS = Object.keys(FORMATS);

/** The output format for `file`, from its extension; a usage error for any other extension. */
export function plotFormat(file: string): PlotFormat {
  const ext = path.extname(file).toLowerCase();
  const format = FORMATS[ext];
  if (format === undefined) {
    throw new MtlError('usage', [
      {
        where: {},
        message: `cannot tell the plot format from the file name ${JSON.stringify(file)}`,
        received: ext || '(no extension)',
        allowed: PLOT_EXTENSIONS.join(', '),
      },
    ]);
  }
  return format;
}

let vizPromise: Promise<Viz> | undefined;

/** Render DOT text to an SVG document with Graphviz's `dot` layout. */
export async function renderSvg(dot: string): Promise<string> {
  vizPromise ??= instance();
  let viz: Viz;
  try {
    viz = await vizPromise;
  } catch (err) {
    vizPromise = undefined;
    throw new MtlError('internal', `could not start Graphviz (@viz-js/viz): ${(err as Error).message}`, {
      cause: err,
    });
  }
  const result = viz.render(dot, { format: 'svg', engine: 'dot' });
  if (result.status !== 'success') {
    const why = result.errors.map((e) => e.message.trim()).join('; ') || 'unknown error';
    throw new MtlError('internal', `Graphviz could not render the model plot: ${why}`);
  }
  return result.output;
}

/** Write `text` to `file` via a temporary file in the same folder, so the file appears whole or not at all. */
function writeAtomic(file: string, text: string): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new MtlError('usage', `cannot write the plot to ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Write `graph` to `file` as .dot/.gv (DOT text), .svg (rendered) or .json (the PlotGraph). */
export async function writePlot(graph: PlotGraph, file: string, opts: DotOptions = {}): Promise<PlotFormat> {
  const format = plotFormat(file);
  let text: string;
  if (format === 'json') text = JSON.stringify(graph, null, 2) + '\n';
  else if (format === 'dot') text = toDot(graph, opts);
  else text = await renderSvg(toDot(graph, opts));
  writeAtomic(file, text);
  return format;
}
