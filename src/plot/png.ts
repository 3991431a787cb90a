// Owns SVG → PNG: @resvg/resvg-js rasterises in-process, with the DejaVu Sans files of the
// dejavu-fonts-ttf package, so text renders the same on a machine without system fonts.
import { Resvg } from '@resvg/resvg-js';
import * as path from 'node:path';
import { MtlError } from '../errors';

function fontFiles(): string[] {
  const dir = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSansMono.ttf'].map((f) => path.join(dir, f));
}

/** Rasterise an SVG document; `scale` 2 gives a sharp picture on high-density screens. */
export function svgToPng(svg: string, scale = 2): Buffer {
  try {
    const r = new Resvg(svg, {
      background: 'white',
      fitTo: { mode: 'zoom', value: scale },
      font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans', monospaceFamily: 'DejaVu Sans Mono' },
    });
    return r.render().asPng();
  } catch (err) {
    throw new MtlError('internal', `could not rasterise the SVG (resvg): ${(err as Error).message}`, { cause: err });
  }
}
