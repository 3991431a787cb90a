// Owns cutting an ArraySet into tensor batches, deterministically (seeded shuffle per epoch).
import * as tf from '@tensorflow/tfjs';
import { mixSeed } from '../util/random';
import { maskWidth, permutation, pickColumn, pickMask } from './splits';
import type { ArraySet, Column } from './types';

/**
 * One batch of tensors. Whoever receives a batch owns its tensors and must free them with
 * `disposeBatch(batch)` (or tf.dispose) once done; the generator never frees them itself.
 */
export interface Batch {
  size: number;
  /** float32 [b, ...shape] (int32 when the column holds Int32Array, e.g. token ids). */
  inputs: Record<string, tf.Tensor>;
  /**
   * Classification (an Int32Array column, shape []): int32 [b].
   * Other tasks (Float32Array columns): float32 [b, ...shape], e.g. binary [b, 1].
   */
  targets: Record<string, tf.Tensor>;
  /**
   * float32, 1 = labelled, 0 = missing: [b] for a per-row mask, [b, ...shape] for a per-token one
   * (TargetColumn.mask); undefined when the column has no mask.
   */
  masks: Record<string, tf.Tensor | undefined>;
  /** Task-specific sources (data.tasks): the tasks whose sources this batch was drawn from (one, or all under sampling: all). */
  sources?: string[];
}

export interface BatchOptions {
  batchSize: number;
  shuffle: boolean;
  seed: number;
  /** The row order of a shuffled epoch is a function of (seed, epoch) only. */
  epoch: number;
  /** Drop the last batch when it has fewer than batchSize rows. */
  dropRemainder?: boolean;
}

function toTensor(c: Column, indices: ArrayLike<number>, batchShape: number[]): tf.Tensor {
  const picked = pickColumn(c, indices);
  return tf.tensor(picked.data, batchShape, picked.data instanceof Int32Array ? 'int32' : 'float32');
}

/**
 * The row indices of each batch of an epoch over `n` rows: every row once; with `shuffle`, in an order
 * that is a function of (seed, epoch) only; the short last batch left out under dropRemainder.
 */
export function* epochRows(n: number, opts: BatchOptions): Generator<Int32Array> {
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new RangeError(`batches: batchSize must be an integer ≥ 1, got ${opts.batchSize}`);
  let order: Int32Array;
  if (opts.shuffle) order = permutation(n, mixSeed(opts.seed, opts.epoch, 0x5eed));
  else {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
  }
  for (let start = 0; start < n; start += opts.batchSize) {
    const idx = order.subarray(start, Math.min(n, start + opts.batchSize));
    if (idx.length < opts.batchSize && opts.dropRemainder) return;
    yield idx;
  }
}

/**
 * Yield the set's rows as batches of tensors; every row appears exactly once per epoch. With
 * `shuffle`, the order is a function of (seed, epoch). The caller owns and must dispose each batch's
 * tensors (`disposeBatch`).
 */
export function* batches(set: ArraySet, opts: BatchOptions): Generator<Batch> {
  const n = set.size;
  for (const idx of epochRows(n, opts)) {
    const b = idx.length;
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, c] of Object.entries(set.inputs)) inputs[name] = toTensor(c, idx, [b, ...c.shape]);
    const targets: Record<string, tf.Tensor> = {};
    const masks: Record<string, tf.Tensor | undefined> = {};
    for (const [name, c] of Object.entries(set.targets)) {
      targets[name] = toTensor(c, idx, [b, ...c.shape]);
      const per = maskWidth(c, n);
      masks[name] = c.mask ? tf.tensor(Float32Array.from(pickMask(c.mask, idx, per)), per === 1 ? [b] : [b, ...c.shape], 'float32') : undefined;
    }
    yield { size: b, inputs, targets, masks };
  }
}

/** Free every tensor of a batch. */
export function disposeBatch(b: Batch): void {
  for (const t of Object.values(b.inputs)) t.dispose();
  for (const t of Object.values(b.targets)) t.dispose();
  for (const t of Object.values(b.masks)) t?.dispose();
}
