// Owns the one font plots are laid out and drawn with: DejaVu Sans from the npm package
// dejavu-fonts-ttf, and text widths read from its own tables (OpenType spec: head, hhea, hmtx, cmap
// format 4), so that the boxes Graphviz places are exactly as wide as the text resvg draws in them.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const FONT_FAMILY = 'DejaVu Sans';

export interface FontMetrics {
  /** Advance width of `text` in pixels at `size` (kerning ignored: SVG text also carries textLength). */
  width(text: string, size: number): number;
}

/** The TTF files of DejaVu Sans regular and bold (and Sans Mono), from the installed package. */
export function fontFiles(): { regular: string; bold: string; mono: string } {
  const dir = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  return { regular: path.join(dir, 'DejaVuSans.ttf'), bold: path.join(dir, 'DejaVuSans-Bold.ttf'), mono: path.join(dir, 'DejaVuSansMono.ttf') };
}

interface Tables {
  [tag: string]: number;
}

function tableOffsets(b: Buffer): Tables {
  const n = b.readUInt16BE(4);
  const out: Tables = {};
  for (let i = 0; i < n; i++) {
    const rec = 12 + 16 * i;
    out[b.toString('latin1', rec, rec + 4)] = b.readUInt32BE(rec + 8);
  }
  for (const tag of ['head', 'hhea', 'hmtx', 'cmap']) if (out[tag] === undefined) throw new Error(`font has no ${tag} table`);
  return out;
}

/** Character code → glyph id, from the Windows Unicode BMP (3, 1) format-4 subtable. */
function cmapFormat4(b: Buffer, cmap: number): (code: number) => number {
  const count = b.readUInt16BE(cmap + 2);
  let sub = -1;
  for (let i = 0; i < count; i++) {
    const rec = cmap + 4 + 8 * i;
    const platform = b.readUInt16BE(rec);
    const encoding = b.readUInt16BE(rec + 2);
    const at = cmap + b.readUInt32BE(rec + 4);
    if (((platform === 3 && encoding === 1) || platform === 0) && b.readUInt16BE(at) === 4) sub = at;
  }
  if (sub < 0) throw new Error('font has no format-4 cmap');
  const segs = b.readUInt16BE(sub + 6) / 2;
  const ends = sub + 14;
  const starts = ends + 2 * segs + 2;
  const deltas = starts + 2 * segs;
  const ranges = deltas + 2 * segs;
  return (code) => {
    for (let i = 0; i < segs; i++) {
      if (b.readUInt16BE(ends + 2 * i) < code) continue;
      const start = b.readUInt16BE(starts + 2 * i);
      if (start > code) return 0;
      const delta = b.readUInt16BE(deltas + 2 * i);
      const range = b.readUInt16BE(ranges + 2 * i);
      if (range === 0) return (code + delta) & 0xffff;
      const g = b.readUInt16BE(ranges + 2 * i + range + 2 * (code - start));
      return g === 0 ? 0 : (g + delta) & 0xffff;
    }
    return 0;
  };
}

/** Metrics of one TrueType file. */
export function readFontMetrics(file: string): FontMetrics {
  const b = fs.readFileSync(file);
  const t = tableOffsets(b);
  const unitsPerEm = b.readUInt16BE(t.head + 18);
  const longMetrics = b.readUInt16BE(t.hhea + 34);
  const glyphOf = cmapFormat4(b, t.cmap);
  const advance = (glyph: number) => b.readUInt16BE(t.hmtx + 4 * Math.min(glyph, longMetrics - 1));
  const cache = new Map<number, number>();
  return {
    width(text, size) {
      let units = 0;
      for (const ch of text) {
        const code = ch.codePointAt(0) as number;
        let w = cache.get(code);
        if (w === undefined) {
          w = advance(code > 0xffff ? 0 : glyphOf(code));
          cache.set(code, w);
        }
        units += w;
      }
      return (units / unitsPerEm) * size;
    },
  };
}

let loaded: { regular: FontMetrics; bold: FontMetrics } | undefined;

/** DejaVu Sans regular and bold metrics, read once. */
export function plotFonts(): { regular: FontMetrics; bold: FontMetrics } {
  if (!loaded) {
    const f = fontFiles();
    loaded = { regular: readFontMetrics(f.regular), bold: readFontMetrics(f.bold) };
  }
  return loaded;
}
