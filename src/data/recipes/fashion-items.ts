// Owns what the single-item Fashion-MNIST recipes (fashion-pairs, fashion-attributes) share: the
// `dir` and `size` options, loading both splits through the multifashion loaders, and downsampling.
import * as path from 'node:path';
import { int, oneOf, str } from '../../util/options';
import { mixSeed, mulberry32, shuffleInPlace } from '../../util/random';
import { bundledDir, checkFiles, DEBIAN_DIR, ITEM, loadSplit, type FashionSplit } from './multifashion';
import type { DataContext } from '../types';

/** Image sides the 28×28 items can be reduced to by averaging whole pixel blocks. */
export const SIZES = [28, 14, 7, 4] as const;

export const dirOption = str({
  minLength: 1,
  description: `Folder holding the four Fashion-MNIST .gz IDX files (relative to the spec file). Default: the bundled subset (6000 train / 1000 test images); for the full set use ${DEBIAN_DIR} (Debian package dataset-fashion-mnist)`,
});

export const sizeOption = oneOf(SIZES, {
  default: 28,
  description: 'Side of the image in pixels: 28 keeps Fashion-MNIST as it is; 14, 7 or 4 average blocks of 2×2, 4×4 or 7×7 pixels (smaller models, faster training)',
});

export const seedOption = int({ description: 'Seed of every choice the recipe makes. Default: the spec seed' });

/** Both splits, from `dir` (resolved against the spec folder) or the bundled subset. */
export function loadFashion(dir: string | undefined, ctx: DataContext): { dir: string; train: FashionSplit; test: FashionSplit } {
  const resolved = dir === undefined ? bundledDir() : path.resolve(ctx.specDir, dir);
  checkFiles(resolved, dir === undefined);
  return { dir: resolved, train: loadSplit(resolved, 'train'), test: loadSplit(resolved, 'test') };
}

/**
 * Items idx[k] of a split as float [count, size, size, 1] in [0, 1]: each output pixel is the mean of
 * a (28/size)² block (box filter; exact because size divides 28), so the image mean is unchanged.
 */
export function itemsAt(split: FashionSplit, idx: ArrayLike<number>, size: number): Float32Array {
  const f = ITEM / size;
  if (!Number.isInteger(f)) throw new RangeError(`itemsAt: size ${size} does not divide ${ITEM}`);
  const out = new Float32Array(idx.length * size * size);
  const scale = 1 / (255 * f * f);
  for (let k = 0; k < idx.length; k++) {
    const src = idx[k] * ITEM * ITEM;
    const dst = k * size * size;
    for (let r = 0; r < ITEM; r++) {
      for (let c = 0; c < ITEM; c++) out[dst + Math.floor(r / f) * size + Math.floor(c / f)] += split.images[src + r * ITEM + c];
    }
    for (let p = dst; p < dst + size * size; p++) out[p] *= scale;
  }
  return out;
}

/** The first `count` items of a permutation of the split fixed by `seed` (all of them when count is undefined). */
export function chooseItems(n: number, count: number | undefined, seed: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  shuffleInPlace(p, mulberry32(mixSeed(seed, 0xf1)));
  return p.slice(0, count ?? n);
}
