// Tests the WASM Concat, Slice, SplitV, Pack and Unpack (src/backend/wasm-layout.ts) against the cpu backend over
// axes, ranks 1–4, dtypes, uneven pieces, slices that keep or cut the trailing axes, a hand-written
// case, the gradient of a last-axis concat (which splits), and no leaks.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../helpers/backend';
import { assertNoLeak, compare, size, values } from './wasm-compare';

const t = (shape: number[], seed: number) => tf.tensor(values(size(shape), seed), shape);

describe('wasm Concat, Slice, SplitV, Pack and Unpack match cpu', () => {
  before(() => useBackend('wasm'));

  it('concat along every axis of ranks 1–4, two and three inputs of uneven sizes', async () => {
    const cases: Array<[number[][], number]> = [
      [[[5], [3]], 0],
      [[[2, 3], [4, 3]], 0],
      [[[2, 3], [2, 5], [2, 1]], 1],
      [[[4, 16, 3], [4, 16, 5]], -1],
      [[[4, 2, 3], [4, 5, 3]], 1],
      [[[2, 3, 4, 2], [2, 3, 1, 2], [2, 3, 2, 2]], 2],
      [[[1, 3, 4, 2], [2, 3, 4, 2]], 0],
    ];
    for (const [shapes, axis] of cases) await compare(`concat ${JSON.stringify(shapes)} axis ${axis}`, () => tf.concat(shapes.map((s, i) => t(s, i + 1)), axis));
  });

  it('concat of int32 and bool tensors; with an empty input', async () => {
    await compare('int32', () => tf.cast(tf.concat([tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32'), tf.tensor2d([[5], [6]], undefined, 'int32')], 1), 'float32'));
    await compare('bool', () => tf.cast(tf.concat([tf.tensor1d([true, false], 'bool'), tf.tensor1d([false], 'bool')]), 'float32'));
    await compare('empty', () => tf.concat([t([2, 0], 1), t([2, 3], 2)], 1));
  });

  it('by hand: [[1, 2], [3, 4]] ++ [[5], [6]] along axis 1 = [[1, 2, 5], [3, 4, 6]]; its [:, 1:3] = [[2, 5], [4, 6]]', async () => {
    const c = tf.concat([tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])], 1);
    assert.deepEqual(c.arraySync(), [[1, 2, 5], [3, 4, 6]]);
    assert.deepEqual(tf.slice(c, [0, 1], [2, 2]).arraySync(), [[2, 5], [4, 6]]);
  });

  it('slices cutting the last axis, middle axes, leading axes only, and the whole tensor', async () => {
    const cases: Array<[number[], number[], number[]]> = [
      [[10], [3], [4]],
      [[4, 6], [1, 2], [2, 3]],
      [[4, 6], [1, 0], [2, 6]],
      [[4, 16, 8], [0, 0, 4], [4, 16, 4]],
      [[4, 16, 8], [1, 3, 0], [2, 5, 8]],
      [[3, 4, 5, 2], [1, 1, 2, 1], [2, 2, 3, 1]],
      [[3, 4, 5, 2], [0, 0, 0, 0], [3, 4, 5, 2]],
      [[3, 4], [0, 1], [-1, -1]],
    ];
    for (const [shape, begin, sz] of cases) await compare(`slice ${shape} ${begin} ${sz}`, () => tf.slice(t(shape, 3), begin, sz));
    await compare('int32 slice', () => tf.cast(tf.slice(tf.tensor2d([[1, 2, 3], [4, 5, 6]], undefined, 'int32'), [0, 1], [2, 2]), 'float32'));
  });

  it('split into equal and uneven pieces along each axis', async () => {
    await compare('split 2 last axis', () => tf.split(t([4, 16, 8], 4), 2, -1));
    await compare('split sizes axis 1', () => tf.split(t([4, 9, 3], 5), [2, 4, 3], 1));
    await compare('split axis 0', () => tf.split(t([6, 2], 6), 3, 0));
  });

  it('the gradient of a last-axis concat (a bidirectional merge) splits dy back', async () => {
    await compare('concat grad', () => {
      const [a, b] = [t([3, 4, 2], 7), t([3, 4, 5], 8)];
      const w = t([3, 4, 7], 9);
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.concat([x, y], -1), w)))([a, b]);
      return g;
    });
  });

  it('stack and unstack along every axis of ranks 1–3, int32 and bool, and one input', async () => {
    const cases: Array<[number[], number]> = [[[5], 0], [[5], 1], [[2, 3], 0], [[2, 3], 1], [[2, 3], 2], [[4, 3, 2], 1], [[4, 3, 2], -1]];
    for (const [shape, axis] of cases) {
      await compare(`stack ${shape} axis ${axis}`, () => tf.stack([t(shape, 1), t(shape, 2), t(shape, 3)], axis));
      if (axis < shape.length) await compare(`unstack ${shape} axis ${axis}`, () => tf.unstack(t(shape, 4), axis));
    }
    await compare('int32 stack', () => tf.cast(tf.stack([tf.tensor1d([1, 2], 'int32'), tf.tensor1d([3, 4], 'int32')], 1), 'float32'));
    await compare('bool unstack', () => tf.unstack(tf.tensor2d([[true, false], [false, false]], undefined, 'bool')).map((b) => tf.cast(b, 'float32')));
    await compare('stack of one', () => tf.stack([t([2, 3], 5)], 1));
  });

  it('by hand: stack([1, 2], [3, 4]) along axis 1 = [[1, 3], [2, 4]]; unstack of it along axis 0 = [1, 3], [2, 4]', () => {
    const s = tf.stack([tf.tensor1d([1, 2]), tf.tensor1d([3, 4])], 1);
    assert.deepEqual(s.arraySync(), [[1, 3], [2, 4]]);
    assert.deepEqual(tf.unstack(s).map((p) => [p.shape, p.arraySync()]), [[[2], [1, 3]], [[2], [2, 4]]]);
    assert.deepEqual(tf.unstack(s, 1).map((p) => p.arraySync()), [[1, 2], [3, 4]]);
  });

  it('the gradient of a stack then unstack (the representation fan-out) routes each dy row to its copy', async () => {
    await compare('stack/unstack grad', () => {
      const z = t([3, 4], 11);
      const ws = [t([3, 4], 12), t([3, 4], 13), t([3, 4], 14)];
      return tf.grad((x: tf.Tensor) => tf.addN(tf.unstack(tf.stack([x, x, x])).map((c, i) => tf.sum(tf.mul(c, ws[i])))))(z);
    });
  });

  it('leaks nothing', async () => {
    const x = t([4, 6, 8], 10);
    await assertNoLeak(() => tf.dispose(tf.tidy(() => [tf.concat([x, x], 2), tf.slice(x, [1, 0, 2], [2, 6, 3]), ...tf.split(x, 2, 2), tf.stack([x, x], 1), ...tf.unstack(x, 2)])));
  });
});
