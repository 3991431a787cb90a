// Owns SVG → PNG: @resvg/resvg-js rasterises in-process, with the DejaVu Sans files of the
// dejavu-fonts-ttf package, so text renders the same on a machine without system fonts.
import { Resvg } from '@resvg/resvg-js';
import { MtlError } from '../errors';
import { FONT_FAMILY, fontFiles } from './font';

/** Rasterise an SVG document; `scale` 2 gives a sharp picture on high-density screens. */
export function svgToPng(svg: string, scale = 2): Buffer {
  const f = fontFiles();
  try {
    const r = new Resvg(svg, {
      background: 'white',
      fitTo: { mode: 'zoom', value: scale },
      font: { fontFiles: [f.regular, f.bold, f.mono], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY, monospaceFamily: 'DejaVu Sans Mono' },
    });
    return r.render().asPng();
  } catch (err) {
    throw new MtlError('internal', `could not rasterise the SVG (resvg): ${(err as Error).message}`, { cause: err });
  }
}
