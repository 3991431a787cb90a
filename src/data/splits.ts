// Owns choosing rows of an ArraySet, deterministically: copying rows out (with their masks), seeded
// permutations, and holding out a validation split.
import { dataError } from '../errors';
import { mixSeed, mulberry32, shuffleInPlace } from '../util/random';
import type { ArraySet, Column, TargetColumn } from './types';

const rowLength = (c: Column) => c.shape.reduce((a, b) => a * b, 1);

export function pickColumn<C extends Column>(c: C, indices: ArrayLike<number>): C {
  const len = rowLength(c);
  const data = new (c.data.constructor as Float32ArrayConstructor | Int32ArrayConstructor)(indices.length * len);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    data.set(c.data.subarray(i * len, (i + 1) * len), k * len);
  }
  return { ...c, data, shape: [...c.shape] };
}

/** `per` mask values belong to each row: 1 for a per-row mask, the row length for a per-token one. */
export function pickMask(mask: Uint8Array, indices: ArrayLike<number>, per = 1): Uint8Array {
  const out = new Uint8Array(indices.length * per);
  for (let k = 0; k < indices.length; k++) out.set(mask.subarray(indices[k] * per, (indices[k] + 1) * per), k * per);
  return out;
}

/** Mask values per row: 1, or the target's row length when the mask has one value per element. */
export const maskWidth = (c: TargetColumn, rows: number): number => (c.mask && rows > 0 && c.mask.length !== rows ? c.mask.length / rows : 1);

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
  const rows = holdOut(set.size, fraction, seed);
  return { train: subset(set, rows.train), val: subset(set, rows.val) };
}

/** The row indices splitValidation keeps for training and holds out for validation, each ascending. */
export function holdOut(n: number, fraction: number, seed: number): { train: Int32Array; val: Int32Array } {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`splitValidation: fraction must be in (0, 1), got ${fraction}`);
  const nVal = Math.ceil(fraction * n);
  if (nVal >= n) {
    throw dataError([{ where: { path: 'train.validation' }, message: `holding out ${nVal} of ${n} training rows for validation leaves none to train on`, hint: 'use a smaller fraction or more data' }]);
  }
  const perm = permutation(n, mixSeed(seed, 0x7a1));
  return { train: perm.slice(0, n - nVal).sort(), val: perm.slice(n - nVal).sort() };
}
