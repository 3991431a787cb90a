// Owns drawing a per-pixel prediction as a PNG (`mtl predict` on per-pixel tasks): a class map in a
// fixed palette — class 0 black, as the background of dense MultiFashion's segmentation — or values
// in [0, 1] as grey levels (clipped).
import { PNG } from 'pngjs';

/** Okabe–Ito colours (distinguishable with colour-vision deficiencies), class 0 black; cycled past 8. */
export const PALETTE: ReadonlyArray<readonly [number, number, number]> = [
  [0, 0, 0],
  [230, 159, 0],
  [86, 180, 233],
  [0, 158, 115],
  [240, 228, 66],
  [0, 114, 178],
  [213, 94, 0],
  [204, 121, 167],
];

function png(height: number, width: number, rgb: (p: number) => readonly [number, number, number]): Buffer {
  const img = new PNG({ width, height });
  for (let p = 0; p < height * width; p++) {
    const [r, g, b] = rgb(p);
    img.data[4 * p] = r;
    img.data[4 * p + 1] = g;
    img.data[4 * p + 2] = b;
    img.data[4 * p + 3] = 255;
  }
  return PNG.sync.write(img);
}

/** One class index per pixel (row-major, height·width) as PALETTE colours. */
export function classMapPng(classes: ArrayLike<number>, height: number, width: number): Buffer {
  return png(height, width, (p) => PALETTE[classes[p] % PALETTE.length]);
}

/** One value per pixel: 0 black, 1 white, clipped to [0, 1] and rounded to 256 levels. */
export function valueMapPng(values: ArrayLike<number>, height: number, width: number): Buffer {
  return png(height, width, (p) => {
    const v = Math.round(255 * Math.min(1, Math.max(0, values[p])));
    return [v, v, v];
  });
}
