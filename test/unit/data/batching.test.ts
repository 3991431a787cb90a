// Batching: every row once per epoch, seeded shuffles, partial batches, dtypes and masks, seeded
// validation splits, and no tensors left behind after disposeBatch.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { batches, disposeBatch, type Batch } from '../../../src/data/batching';
import { splitValidation, subset } from '../../../src/data/splits';
import type { ArraySet } from '../../../src/data/types';
import { useBackend } from '../../helpers/backend';

before(() => useBackend('cpu'));

/** n rows; row i is recognisable in every column. The `bin` task is labelled on even rows only. */
function makeSet(n: number): ArraySet {
  const range = (k: number, f: (i: number, j: number) => number) => Float32Array.from({ length: n * k }, (_, p) => f(Math.floor(p / k), p % k));
  return {
    size: n,
    inputs: { image: { data: range(4, (i, j) => i + j / 4), shape: [2, 2, 1] } },
    targets: {
      cls: { data: Int32Array.from({ length: n }, (_, i) => i), shape: [] },
      reg: { data: range(3, (i, j) => 10 * i + j), shape: [3] },
      bin: { data: range(1, (i) => i % 3 === 0 ? 1 : 0), shape: [1], mask: Uint8Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 0)) },
    },
  };
}

/** The row ids of each batch, checking that every column of the batch refers to the same rows. */
function rowsOf(b: Batch): number[] {
  const ids = [...(b.targets.cls.dataSync() as Int32Array)];
  const img = b.inputs.image.dataSync();
  const reg = b.targets.reg.dataSync();
  const mask = b.masks.bin!.dataSync();
  ids.forEach((id, k) => {
    assert.deepEqual([...img.subarray(4 * k, 4 * k + 4)], [id, id + 0.25, id + 0.5, id + 0.75]);
    assert.deepEqual([...reg.subarray(3 * k, 3 * k + 3)], [10 * id, 10 * id + 1, 10 * id + 2]);
    assert.equal(mask[k], id % 2 === 0 ? 1 : 0);
  });
  return ids;
}

function epochOrder(set: ArraySet, opts: Parameters<typeof batches>[1]): { order: number[]; sizes: number[] } {
  const order: number[] = [];
  const sizes: number[] = [];
  for (const b of batches(set, opts)) {
    sizes.push(b.size);
    order.push(...rowsOf(b));
    disposeBatch(b);
  }
  return { order, sizes };
}

describe('batches', () => {
  const set = makeSet(10);
  const all = Array.from({ length: 10 }, (_, i) => i);

  it('covers every row exactly once per epoch, the last batch partial', () => {
    for (let epoch = 0; epoch < 5; epoch++) {
      const { order, sizes } = epochOrder(set, { batchSize: 4, shuffle: true, seed: 7, epoch });
      assert.deepEqual(sizes, [4, 4, 2]);
      assert.deepEqual([...order].sort((a, b) => a - b), all);
    }
  });

  it('keeps the row order without shuffle', () => {
    assert.deepEqual(epochOrder(set, { batchSize: 3, shuffle: false, seed: 7, epoch: 4 }), { order: all, sizes: [3, 3, 3, 1] });
    assert.deepEqual(epochOrder(set, { batchSize: 32, shuffle: false, seed: 7, epoch: 0 }).sizes, [10]);
  });

  it('shuffles as a function of (seed, epoch)', () => {
    const big = makeSet(40);
    const order = (seed: number, epoch: number) => epochOrder(big, { batchSize: 16, shuffle: true, seed, epoch }).order;
    const e0 = order(7, 0);
    assert.deepEqual(order(7, 0), e0);
    assert.notDeepEqual(order(7, 1), e0);
    assert.notDeepEqual(order(7, 2), order(7, 1));
    assert.notDeepEqual(order(8, 0), e0);
    assert.notDeepEqual(e0, Array.from({ length: 40 }, (_, i) => i));
  });

  it('drops the remainder on request', () => {
    assert.deepEqual(epochOrder(set, { batchSize: 4, shuffle: true, seed: 1, epoch: 0, dropRemainder: true }).sizes, [4, 4]);
    assert.deepEqual(epochOrder(set, { batchSize: 5, shuffle: false, seed: 1, epoch: 0, dropRemainder: true }).sizes, [5, 5]);
  });

  it('gives tensors the documented dtypes and shapes, and masks only where the column has one', () => {
    const [b] = batches(set, { batchSize: 4, shuffle: false, seed: 0, epoch: 0 });
    assert.equal(b.size, 4);
    assert.deepEqual([b.inputs.image.dtype, b.inputs.image.shape], ['float32', [4, 2, 2, 1]]);
    assert.deepEqual([b.targets.cls.dtype, b.targets.cls.shape], ['int32', [4]]);
    assert.deepEqual([b.targets.reg.dtype, b.targets.reg.shape], ['float32', [4, 3]]);
    assert.deepEqual([b.targets.bin.dtype, b.targets.bin.shape], ['float32', [4, 1]]);
    assert.deepEqual(Object.keys(b.masks).sort(), ['bin', 'cls', 'reg']);
    assert.equal(b.masks.cls, undefined);
    assert.equal(b.masks.reg, undefined);
    assert.deepEqual([b.masks.bin!.dtype, b.masks.bin!.shape], ['float32', [4]]);
    assert.deepEqual([...b.masks.bin!.dataSync()], [1, 0, 1, 0]);
    assert.deepEqual([...b.targets.bin.dataSync()], [1, 0, 0, 1]);
    disposeBatch(b);
  });

  it('leaves no tensors behind after disposeBatch, even when the loop stops early', () => {
    const before = tf.memory().numTensors;
    for (const b of batches(set, { batchSize: 3, shuffle: true, seed: 2, epoch: 0 })) disposeBatch(b);
    assert.equal(tf.memory().numTensors, before);
    for (const b of batches(set, { batchSize: 3, shuffle: true, seed: 2, epoch: 0 })) {
      disposeBatch(b);
      break;
    }
    assert.equal(tf.memory().numTensors, before);
  });

  it('rejects a bad batch size', () => {
    assert.throws(() => [...batches(set, { batchSize: 0, shuffle: false, seed: 0, epoch: 0 })], /batchSize must be an integer/);
  });
});

describe('splitValidation and subset', () => {
  const set = makeSet(10);
  const ids = (s: ArraySet) => [...s.targets.cls.data];

  it('holds out ceil(fraction·n) rows, disjoint from the rest, in the original order', () => {
    const { train, val } = splitValidation(set, 0.25, 3);
    assert.equal(val.size, 3);
    assert.equal(train.size, 7);
    const t = ids(train);
    const v = ids(val);
    assert.deepEqual([...t, ...v].sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i));
    assert.ok(v.every((i) => !t.includes(i)));
    assert.deepEqual(t, [...t].sort((a, b) => a - b));
    // Every column and the mask follow the rows.
    for (const [part, rows] of [[train, t], [val, v]] as const) {
      assert.deepEqual([...part.inputs.image.data], rows.flatMap((i) => [i, i + 0.25, i + 0.5, i + 0.75]));
      assert.deepEqual([...part.targets.reg.data], rows.flatMap((i) => [10 * i, 10 * i + 1, 10 * i + 2]));
      assert.deepEqual([...part.targets.bin.mask!], rows.map((i) => (i % 2 === 0 ? 1 : 0)));
      assert.deepEqual(part.targets.reg.shape, [3]);
    }
    assert.equal(splitValidation(set, 0.01, 3).val.size, 1);
  });

  it('is fixed by the seed', () => {
    const v = (seed: number) => ids(splitValidation(makeSet(50), 0.2, seed).val);
    assert.deepEqual(v(3), v(3));
    assert.notDeepEqual(v(3), v(4));
  });

  it('refuses fractions that leave nothing to train on', () => {
    assert.throws(() => splitValidation(set, 0.95, 1), /leaves none to train on/);
    assert.throws(() => splitValidation(set, 0, 1), RangeError);
    assert.throws(() => splitValidation(set, 1, 1), RangeError);
  });

  it('subset copies the chosen rows in the given order', () => {
    const s = subset(set, [9, 0, 9]);
    assert.equal(s.size, 3);
    assert.deepEqual(ids(s), [9, 0, 9]);
    assert.deepEqual([...s.targets.bin.mask!], [0, 1, 0]);
    assert.equal(s.targets.cls.mask, undefined);
    assert.ok(s.targets.cls.data instanceof Int32Array);
    (s.targets.cls.data as Int32Array)[0] = -5;
    assert.equal(set.targets.cls.data[9], 9);
    assert.throws(() => subset(set, [10]), RangeError);
  });
});
