// Owns cutting an ArraySet into validation splits and into tensor batches, deterministically.
import * as tf from '@tensorflow/tfjs';
import { dataError } from '../errors';
import { mixSeed, mulberry32, shuffleInPlace } from '../util/random';
import type { ArraySet, Column, TargetColumn } from './types';

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

const rowLength = (c: Column) => c.shape.reduce((a, b) => a * b, 1);

function pickColumn<C extends Column>(c: C, indices: ArrayLike<number>): C {
  const len = rowLength(c);
  const data = new (c.data.constructor as Float32ArrayConstructor | Int32ArrayConstructor)(indices.length * len);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    data.set(c.data.subarray(i * len, (i + 1) * len), k * len);
  }
  return { ...c, data, shape: [...c.shape] };
}

/** `per` mask values belong to each row: 1 for a per-row mask, the row length for a per-token one. */
function pickMask(mask: Uint8Array, indices: ArrayLike<number>, per = 1): Uint8Array {
  const out = new Uint8Array(indices.length * per);
  for (let k = 0; k < indices.length; k++) out.set(mask.subarray(indices[k] * per, (indices[k] + 1) * per), k * per);
  return out;
}

/** Mask values per row: 1, or the target's row length when the mask has one value per element. */
const maskWidth = (c: TargetColumn, rows: number): number => (c.mask && rows > 0 && c.mask.length !== rows ? c.mask.length / rows : 1);

/** A new ArraySet holding the given rows, in the given order (data is copied). */
export function subset(set: ArraySet, indices: ArrayLike<number>): ArraySet {
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= set.size) throw new RangeError(`subset: row index ${i} is outside 0..${set.size - 1}`);
  }
  const inputs: Record<string, Column> = {};
  for (const [name, c] of Object.entries(set.inputs)) inputs[name] = pickColumn(c, indices);
  const targets: Record<string, TargetColumn> = {};
  for (const [name, c] of Object.entries(set.targets)) {
    const { mask, ...rest } = c;
    targets[name] = pickColumn(rest, indices);
    if (mask) targets[name].mask = pickMask(mask, indices, maskWidth(c, set.size));
  }
  return { size: indices.length, inputs, targets };
}

/** 0..n-1 in an order fixed by `seed`. */
export function permutation(n: number, seed: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return shuffleInPlace(p, mulberry32(seed));
}

/**
 * Hold out ceil(fraction·n) rows for validation: the last rows of a permutation fixed by `seed`.
 * Both parts keep the original row order.
 */
export function splitValidation(set: ArraySet, fraction: number, seed: number): { train: ArraySet; val: ArraySet } {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`splitValidation: fraction must be in (0, 1), got ${fraction}`);
  const nVal = Math.ceil(fraction * set.size);
  if (nVal >= set.size) {
    throw dataError([{ where: { path: 'train.validation' }, message: `holding out ${nVal} of ${set.size} training rows for validation leaves none to train on`, hint: 'use a smaller fraction or more data' }]);
  }
  const perm = permutation(set.size, mixSeed(seed, 0x7a1));
  const trainIdx = perm.slice(0, set.size - nVal).sort();
  const valIdx = perm.slice(set.size - nVal).sort();
  return { train: subset(set, trainIdx), val: subset(set, valIdx) };
}

function toTensor(c: Column, indices: ArrayLike<number>, batchShape: number[]): tf.Tensor {
  const picked = pickColumn(c, indices);
  return tf.tensor(picked.data, batchShape, picked.data instanceof Int32Array ? 'int32' : 'float32');
}

/**
 * Yield the set's rows as batches of tensors; every row appears exactly once per epoch. With
 * `shuffle`, the order is a function of (seed, epoch). The caller owns and must dispose each batch's
 * tensors (`disposeBatch`).
 */
export function* batches(set: ArraySet, opts: BatchOptions): Generator<Batch> {
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new RangeError(`batches: batchSize must be an integer ≥ 1, got ${opts.batchSize}`);
  const n = set.size;
  let order: Int32Array;
  if (opts.shuffle) order = permutation(n, mixSeed(opts.seed, opts.epoch, 0x5eed));
  else {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
  }
  for (let start = 0; start < n; start += opts.batchSize) {
    const idx = order.subarray(start, Math.min(n, start + opts.batchSize));
    const b = idx.length;
    if (b < opts.batchSize && opts.dropRemainder) return;
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
