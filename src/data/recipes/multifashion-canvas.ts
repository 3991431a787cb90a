// Owns the MultiFashion canvas: two 28×28 Fashion-MNIST items on one 36×36 canvas (the first at the
// top-left, the second 8 px down and right, overlapped by pixel-wise maximum) and drawing the pairs.
import { mulberry32, randInt } from '../../util/random';

export const ITEM = 28;
export const CANVAS = 36;
/** The second item's offset (rows and columns) from the top-left corner. */
export const OFFSET = CANVAS - ITEM;
export const PIXELS = ITEM * ITEM;
export const CANVAS_PIXELS = CANVAS * CANVAS;

export interface FashionSplit {
  /** N×28×28 uint8 pixels. */
  images: Uint8Array;
  /** N labels in 0..9. */
  labels: Uint8Array;
  size: number;
}

/** Item i's pixels (a view, no copy). */
export const itemPixels = (split: FashionSplit, i: number): Uint8Array => split.images.subarray(i * PIXELS, (i + 1) * PIXELS);

/**
 * Compose one canvas: `first` (28×28 uint8) at rows/cols 0..27, `second` at rows/cols 8..35,
 * overlapped by pixel-wise maximum and scaled to [0, 1]. Writes CANVAS² floats at out[outOffset..].
 */
export function composeCanvas(first: ArrayLike<number>, second: ArrayLike<number>, out: Float32Array = new Float32Array(CANVAS_PIXELS), outOffset = 0): Float32Array {
  out.fill(0, outOffset, outOffset + CANVAS_PIXELS);
  for (let r = 0; r < ITEM; r++) {
    const row = outOffset + r * CANVAS;
    for (let c = 0; c < ITEM; c++) out[row + c] = first[r * ITEM + c];
  }
  for (let r = 0; r < ITEM; r++) {
    const row = outOffset + (r + OFFSET) * CANVAS + OFFSET;
    for (let c = 0; c < ITEM; c++) {
      const v = second[r * ITEM + c];
      if (v > out[row + c]) out[row + c] = v;
    }
  }
  for (let i = outOffset; i < outOffset + CANVAS_PIXELS; i++) out[i] /= 255;
  return out;
}

/** The item indices of `count` pairs, each drawn independently and uniformly from `n` items. */
export function drawPairs(count: number, n: number, seed: number): Int32Array {
  const rand = mulberry32(seed);
  const idx = new Int32Array(2 * count);
  for (let k = 0; k < 2 * count; k++) idx[k] = randInt(rand, n);
  return idx;
}
