// Owns the per-pixel targets of dense MultiFashion (`dense: true`): `segmentation` (background, left
// item or right item at each canvas pixel) and `unmix` (the left item alone), computed from the two
// uint8 items exactly as composeCanvas overlaps them.
import { CANVAS, ITEM, OFFSET } from './multifashion-canvas';

/** Segmentation classes, by index. */
export const SEGMENT_CLASSES = ['background', 'left', 'right'] as const;
export const BACKGROUND = 0;
export const LEFT = 1;
export const RIGHT = 2;

/**
 * Default background threshold: a canvas pixel whose value (0–255) is at most this is background.
 * Fashion-MNIST's background is 0, but items fade out through values of a few units that the eye does
 * not see and the input barely carries (10/255 ≈ 0.04); they are background too.
 */
export const DEFAULT_BACKGROUND = 10;

/**
 * Class of every canvas pixel: the canvas holds max(left, right) (left where they tie, as
 * composeCanvas keeps the first item unless the second is strictly larger); a pixel is background
 * when that maximum is ≤ `background`, else the item whose value it is. Writes CANVAS² ints at out[o..].
 */
export function segmentPixels(first: ArrayLike<number>, second: ArrayLike<number>, background: number, out: Int32Array, o = 0): void {
  for (let r = 0; r < CANVAS; r++) {
    for (let c = 0; c < CANVAS; c++) {
      const l = r < ITEM && c < ITEM ? first[r * ITEM + c] : 0;
      const rr = r - OFFSET;
      const rc = c - OFFSET;
      const v = rr >= 0 && rc >= 0 ? second[rr * ITEM + rc] : 0;
      const top = l >= v ? l : v;
      out[o + r * CANVAS + c] = top <= background ? BACKGROUND : l >= v ? LEFT : RIGHT;
    }
  }
}

/** The left item alone on the canvas (rows/cols 0..27, 0 elsewhere), scaled to [0, 1]: CANVAS² floats at out[o..]. */
export function unmixPixels(first: ArrayLike<number>, out: Float32Array, o = 0): void {
  out.fill(0, o, o + CANVAS * CANVAS);
  for (let r = 0; r < ITEM; r++) {
    for (let c = 0; c < ITEM; c++) out[o + r * CANVAS + c] = first[r * ITEM + c] / 255;
  }
}
