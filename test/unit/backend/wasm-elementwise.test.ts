// Tests the WASM replacements of broadcast comparisons and Reverse against the cpu backend: every
// comparison over broadcast patterns (middle axis, leading, trailing, scalar, both sides, size-1
// output axes), int32 and bool operands, ties (integers drawn from a small range so equal values
// occur), the max-pooling-over-time gradient that uses Equal; Reverse over axes sets, ranks 1–5,
// dtypes; collapse() by hand; no leaks.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { collapse, COMPARISONS } from '../../../src/backend/wasm-elementwise';
import { useBackend } from '../../helpers/backend';
import { assertNoLeak, compare, on, size, values } from './wasm-compare';

/** Small integers (−2…2) as float32 so that ties are common. */
const ints = (n: number, seed: number) => Float32Array.from(values(n, seed), (v) => Math.round(v * 2));

const BROADCASTS: Array<[number[], number[]]> = [
  [[4, 5, 6], [4, 1, 6]],
  [[4, 5, 6], [6]],
  [[4, 5, 6], [4, 5, 1]],
  [[4, 5, 6], [1]],
  [[4, 5, 6], []],
  [[1, 5, 1], [4, 1, 6]],
  [[3, 1, 2, 1], [3, 4, 1, 5]],
  [[2, 1, 3], [2, 1, 3]], // same shape: tfjs's kernel
  [[7], [1, 7]],
];

describe('wasm broadcast comparisons match cpu', () => {
  before(async () => {
    await useBackend('wasm');
  });

  for (const [as, bs] of BROADCASTS) {
    it(`[${as}] vs [${bs}]`, async () => {
      for (const op of COMPARISONS) {
        const f = { Equal: tf.equal, NotEqual: tf.notEqual, Greater: tf.greater, GreaterEqual: tf.greaterEqual, Less: tf.less, LessEqual: tf.lessEqual }[op]!;
        const got = await on('wasm', () => tf.cast(f(tf.tensor(ints(size(as), 1), as), tf.tensor(ints(size(bs), 2), bs)), 'float32'));
        const want = await on('cpu', () => tf.cast(f(tf.tensor(ints(size(as), 1), as), tf.tensor(ints(size(bs), 2), bs)), 'float32'));
        assert.deepEqual(Array.from(got[0]), Array.from(want[0]), `${op} [${as}] [${bs}]`);
      }
    });
  }

  it('int32 and bool operands', async () => {
    await compare('int32', () => tf.cast(tf.greater(tf.tensor(ints(24, 3), [2, 3, 4], 'int32'), tf.tensor(ints(4, 4), [4], 'int32')), 'float32'));
    await compare('bool', () => tf.cast(tf.equal(tf.tensor(ints(24, 5), [2, 3, 4], 'bool'), tf.tensor([1, 0, 1], [3, 1], 'bool')), 'float32'));
  });

  it('a hand-computed broadcast: [[1, 2], [3, 1]] == [1, 1]ᵀ-row → [[1, 0], [0, 1]]', async () => {
    await useBackend('wasm');
    const out = tf.equal(tf.tensor2d([1, 2, 3, 1], [2, 2]), tf.tensor1d([1, 1]));
    assert.deepEqual(Array.from(out.dataSync()), [1, 0, 0, 1]);
    out.dispose();
  });

  it('the gradient of max over time (global max pooling) matches cpu, ties included', async () => {
    await compare('max grad', () => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.max(x, 1), tf.tensor2d(values(12, 7), [3, 4]))))(tf.tensor3d(ints(3 * 5 * 4, 6), [3, 5, 4])));
  });

  it('collapse merges axes with the same broadcast pattern', () => {
    assert.deepEqual(collapse([4, 5, 6], [4, 1, 6], [4, 5, 6]), [
      [4, 5, 6],
      [6, 0, 1],
      [30, 6, 1],
    ]);
    assert.deepEqual(collapse([4, 5, 6], [6], [4, 5, 6]), [
      [20, 6],
      [0, 1],
      [6, 1],
    ]);
    assert.deepEqual(collapse([1, 5, 6], [1, 5, 6], [1]), [[30], [1], [0]]);
  });
});

describe('wasm Reverse matches cpu', () => {
  const cases: Array<[number[], number[]]> = [
    [[7], [0]],
    [[3, 4], [0]],
    [[3, 4], [1]],
    [[3, 4], [0, 1]],
    [[2, 5, 3], [1]],
    [[2, 5, 3], [0, 2]],
    [[2, 3, 2, 4], [1, 3]],
    [[2, 1, 3, 2, 2], [0, 1, 4]],
    [[4, 1], [1]],
  ];
  for (const [shape, axes] of cases) {
    it(`[${shape}] along [${axes}]`, async () => {
      await compare('reverse', () => tf.reverse(tf.tensor(values(size(shape), 8), shape), axes));
    });
  }
  it('int32, and a hand-computed case', async () => {
    await compare('int32', () => tf.cast(tf.reverse(tf.tensor(ints(24, 9), [2, 3, 4], 'int32'), [0, 2]), 'float32'));
    await useBackend('wasm');
    const out = tf.reverse(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), 1);
    assert.deepEqual(Array.from(out.dataSync()), [3, 2, 1, 6, 5, 4]);
    out.dispose();
  });
  it('leaks nothing', async () => {
    await useBackend('wasm');
    const x = tf.tensor3d(values(60, 10), [3, 5, 4]);
    await assertNoLeak(() => tf.dispose(tf.tidy(() => [tf.reverse(x, 1), tf.equal(x, tf.max(x, 1, true))])));
    x.dispose();
  });
});
