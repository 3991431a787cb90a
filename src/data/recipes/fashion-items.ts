// Owns what the single-item Fashion-MNIST recipes (fashion-pairs, fashion-attributes) share: the
// `dir` and `size` options, loading both splits through the multifashion loaders, downsampling, and
// serving rows batch by batch: images are made from the uint8 items when a batch is asked for, so no
// float copy of a split is held (the full 60,000-image set keeps only the items, 47 MB).
import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { int, oneOf, str } from '../../util/options';
import { mixSeed, mulberry32, shuffleInPlace } from '../../util/random';
import { epochRows, type Batch, type BatchOptions } from '../batching';
import type { BatchSource } from '../source';
import { holdOut, pickColumn } from '../splits';
import { bundledDir, checkFiles, DEBIAN_DIR, ITEM, loadSplit, type FashionSplit } from './multifashion';
import type { ArraySet, DataBundle, DataContext } from '../types';

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

/** A split whose image inputs are items of a Fashion-MNIST split, made when a batch is asked for. */
export interface ItemRows {
  split: FashionSplit;
  /** Image side (SIZES). */
  size: number;
  /** Input name → the item each row shows. */
  images: Record<string, Int32Array>;
  /** The per-row targets (labels, flags, a number per row), held in memory. */
  targets: ArraySet['targets'];
}

/**
 * The batch of `rows` (positions in `served`, the rows of `set` a source serves). Values are
 * bit-identical to batching the split materialised with itemsAt: the same arithmetic per item.
 */
export function itemBatch(set: ItemRows, served: Int32Array, rows: ArrayLike<number>): Batch {
  const b = rows.length;
  const at = Int32Array.from(rows, (r) => served[r]);
  const inputs: Record<string, tf.Tensor> = {};
  for (const [name, items] of Object.entries(set.images)) {
    inputs[name] = tf.tensor(itemsAt(set.split, Int32Array.from(at, (k) => items[k]), set.size), [b, set.size, set.size, 1], 'float32');
  }
  const targets: Record<string, tf.Tensor> = {};
  for (const [name, c] of Object.entries(set.targets)) {
    const picked = pickColumn(c, at);
    targets[name] = tf.tensor(picked.data, [b, ...c.shape], picked.data instanceof Int32Array ? 'int32' : 'float32');
  }
  return { size: b, inputs, targets, masks: Object.fromEntries(Object.keys(targets).map((t) => [t, undefined])) };
}

function itemSource(set: ItemRows, served: Int32Array): BatchSource {
  return {
    kind: 'batch-source',
    size: served.length,
    targetNames: Object.keys(set.targets),
    async *batches(opts: BatchOptions) {
      for (const rows of epochRows(served.length, opts)) yield itemBatch(set, served, rows);
    },
  };
}

const rowsOf = (set: ItemRows) => Int32Array.from({ length: Object.values(set.images)[0].length }, (_, k) => k);

/** Train/val/test sources; a train.validation fraction is held out of the training rows as an in-memory split would be. */
export function itemSources(train: ItemRows, test: ItemRows, ctx: DataContext): NonNullable<DataBundle['sources']> {
  const test_ = itemSource(test, rowsOf(test));
  if (typeof ctx.validation !== 'number') return { train: itemSource(train, rowsOf(train)), test: test_ };
  const rows = holdOut(rowsOf(train).length, ctx.validation, ctx.seed);
  return { train: itemSource(train, rows.train), val: itemSource(train, rows.val), test: test_ };
}

/** The placeholder ArraySets of a bundle that serves its splits through `sources`. */
export const EMPTY_SET: ArraySet = { size: 0, inputs: {}, targets: {} };
