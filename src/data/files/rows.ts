// Owns the rows of a prepared source: which records it keeps (the seeded hold-out), encoding a record
// into a row with every input and target encoder, and stacking rows into an ArraySet or a batch.
import * as tf from '@tensorflow/tfjs';
import { mixSeed } from '../../util/random';
import type { Batch } from '../batching';
import { readRecords } from '../formats/readers';
import type { DataRecord, ReaderOptions, Report } from '../formats/record';
import type { ArraySet, Column, TargetColumn } from '../types';
import type { Encoded, Encoder } from './encoder';
import { prod } from './fields';

/** One readable source bound to its encoders, and (for a held-out split) which rows it keeps. */
export interface Prepared {
  name: string;
  reader: ReaderOptions;
  streaming: boolean;
  inputs: Array<[string, Encoder]>;
  targets: Array<[string, Encoder]>;
  holdOut?: HoldOut;
}

/**
 * Splits drawn from one training file, row by row: a row goes to test with probability `test`, else to
 * val with probability `val`, else to train. Each draw hashes (seed, row index), so the splits are
 * disjoint, fixed by the seed, and the same whether the file is streamed or loaded.
 */
export interface HoldOut {
  seed: number;
  val?: number;
  test?: number;
  keep: 'train' | 'val' | 'test';
}

export type Row = { inputs: Encoded[]; targets: Encoded[] };

/** The split of row i (the val draw is the one used before test hold-outs existed: same rows as then). */
function splitOf(h: HoldOut, i: number): HoldOut['keep'] {
  if (h.test !== undefined && mixSeed(h.seed, 0x7e5, i) / 4294967296 < h.test) return 'test';
  if (h.val !== undefined && mixSeed(h.seed, 0x7a1, i) / 4294967296 < h.val) return 'val';
  return 'train';
}

/**
 * The records a prepared source keeps. The hold-out draw keys on the record's row in file order (its
 * index when the reader gives one, as parquet read in a shuffled order does), so the held-out rows are
 * the same whatever order the file is read in.
 */
export async function* keptRecords(p: Prepared, report: Report) {
  let i = 0;
  for await (const rec of readRecords(p.reader, report)) {
    const k = rec.index ?? i;
    i++;
    if (p.holdOut && splitOf(p.holdOut, k) !== p.holdOut.keep) continue;
    yield rec;
  }
}

export function encodeRow(p: Prepared, rec: DataRecord, report: Report): Row | null {
  const inputs: Encoded[] = [];
  const targets: Encoded[] = [];
  let ok = true;
  for (const [, e] of p.inputs) {
    const r = e.encode(rec, report);
    if (r) inputs.push(r);
    else ok = false;
  }
  for (const [, e] of p.targets) {
    const r = e.encode(rec, report);
    if (r) targets.push(r);
    else ok = false;
  }
  return ok ? { inputs, targets } : null;
}

/** One encoder's values of every row, end to end ([rows, ...shape] in row-major order). */
function stack(e: Encoder, rows: Row[], get: (r: Row) => Encoded): Float32Array | Int32Array {
  const len = prod(e.shape);
  const data = e.dtype === 'int32' ? new Int32Array(rows.length * len) : new Float32Array(rows.length * len);
  rows.forEach((r, i) => data.set(get(r).data, i * len));
  return data;
}

/** The per-token masks of target k, end to end. */
function tokenMasks<A extends Uint8Array | Float32Array>(out: A, rows: Row[], k: number, len: number): A {
  rows.forEach((r, i) => out.set(r.targets[k].mask as Uint8Array, i * len));
  return out;
}

export function toArraySet(p: Prepared, rows: Row[]): ArraySet {
  const n = rows.length;
  const inputs: Record<string, Column> = {};
  p.inputs.forEach(([name, e], k) => (inputs[name] = { data: stack(e, rows, (r) => r.inputs[k]), shape: [...e.shape] }));
  const targets: Record<string, TargetColumn> = {};
  p.targets.forEach(([name, e], k) => {
    const col: TargetColumn = { data: stack(e, rows, (r) => r.targets[k]), shape: [...e.shape] };
    const len = prod(e.shape);
    if (e.perToken) col.mask = tokenMasks(new Uint8Array(n * len), rows, k, len);
    else if (rows.some((r) => r.targets[k].mask === 0)) col.mask = Uint8Array.from(rows, (r) => r.targets[k].mask as number);
    targets[name] = col;
  });
  return { size: n, inputs, targets };
}

export function batchOf(p: Prepared, rows: Row[]): Batch {
  const b = rows.length;
  const inputs: Record<string, tf.Tensor> = {};
  const targets: Record<string, tf.Tensor> = {};
  const masks: Record<string, tf.Tensor | undefined> = {};
  p.inputs.forEach(([name, e], k) => (inputs[name] = tf.tensor(stack(e, rows, (r) => r.inputs[k]), [b, ...e.shape], e.dtype)));
  p.targets.forEach(([name, e], k) => {
    targets[name] = tf.tensor(stack(e, rows, (r) => r.targets[k]), [b, ...e.shape], e.dtype);
    const len = prod(e.shape);
    if (e.perToken) masks[name] = tf.tensor(tokenMasks(new Float32Array(b * len), rows, k, len), [b, ...e.shape], 'float32');
    else masks[name] = tf.tensor1d(Float32Array.from(rows, (r) => r.targets[k].mask as number), 'float32');
  });
  return { size: b, inputs, targets, masks };
}
