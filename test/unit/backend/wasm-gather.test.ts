// Tests the WASM GatherV2 along axis 0 (row copies on the heap) against the cpu backend: float32,
// int32 and bool tables, indices of rank 0–2 with repeats, a 1-D table, the embedding gradient
// path, an index out of range (the same error as tfjs), other axes (tfjs's kernel), and no leaks.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../helpers/backend';
import { assertNoLeak, compare, size, values } from './wasm-compare';

describe('wasm GatherV2 matches cpu', () => {
  before(async () => {
    await useBackend('wasm');
  });

  const cases: Array<[number[], number[], number[]]> = [
    [[5, 3], [4], [0, 4, 4, 2]],
    [[7, 2, 3], [2, 3], [6, 0, 1, 1, 5, 2]],
    [[6], [3], [5, 0, 5]],
    [[4, 3], [], [2]],
    [[3, 4], [0], []],
  ];
  for (const [xs, is, ids] of cases) {
    it(`table [${xs}], indices [${is}]`, async () => {
      await compare('gather', () => tf.gather(tf.tensor(values(size(xs), 1), xs), tf.tensor(ids, is, 'int32')));
      await compare('gather int32', () => tf.cast(tf.gather(tf.tensor(Array.from(values(size(xs), 2), (v) => Math.round(v * 9)), xs, 'int32'), tf.tensor(ids, is, 'int32')), 'float32'));
    });
  }

  it('bool table, axis 1 and batch dims (tfjs kernel), a hand-computed case', async () => {
    await compare('bool', () => tf.cast(tf.gather(tf.tensor([1, 0, 0, 1, 1, 1], [3, 2], 'bool'), tf.tensor1d([2, 0], 'int32')), 'float32'));
    await compare('axis 1', () => tf.gather(tf.tensor(values(24, 3), [2, 3, 4]), tf.tensor1d([2, 0, 2], 'int32'), 1));
    await compare('batch dims', () => tf.gather(tf.tensor(values(24, 4), [2, 3, 4]), tf.tensor2d([2, 0, 1, 1], [2, 2], 'int32'), 1, 1));
    await useBackend('wasm');
    const out = tf.gather(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]), tf.tensor1d([2, 2, 0], 'int32'));
    assert.deepEqual(Array.from(out.dataSync()), [5, 6, 5, 6, 1, 2]);
    out.dispose();
  });

  it('embedding gradients (gather backward) match cpu', async () => {
    await compare('embedding grad', () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor2d([3, 1, 3, 0], [2, 2], 'int32')), tf.tensor(values(12, 5), [2, 2, 3]))))(tf.tensor2d(values(15, 6), [5, 3])));
  });

  it('an index out of range is refused as tfjs refuses it', async () => {
    await useBackend('wasm');
    const t = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    assert.throws(() => tf.gather(t, tf.tensor1d([0, 2], 'int32')), /GatherV2: the index value 2 is not in \[0, 1\]/);
    t.dispose();
  });

  it('leaks nothing', async () => {
    await useBackend('wasm');
    const t = tf.tensor2d(values(12, 7), [4, 3]);
    const i = tf.tensor1d([3, 0, 3], 'int32');
    await assertNoLeak(() => tf.dispose(tf.gather(t, i)));
    tf.dispose([t, i]);
  });
});
