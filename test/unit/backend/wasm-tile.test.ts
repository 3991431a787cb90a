// Tests mtl's WASM Tile (block copies; element by element for small outputs) against the cpu backend:
// ranks 0–5, repeats of 1 and more on every dimension, odd sizes, small and large outputs,
// float32/int32/bool, empty results, batch normalisation's gradient (which tiles a per-channel
// factor), and that nothing leaks.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { tile } from '../../../src/backend/wasm-tile';
import { useBackend } from '../../helpers/backend';
import { assertNoLeak, compare, on, size, values } from './wasm-compare';

const CASES: Array<[number[], number[]]> = [
  [[3], [4]],
  [[5], [1]],
  [[2, 3], [3, 2]],
  [[2, 3], [1, 4]],
  [[2, 3], [5, 1]],
  [[1, 1, 1, 6], [4, 7, 5, 1]], // batch normalisation's per-channel factor
  [[3, 1, 2, 5], [1, 3, 1, 2]],
  [[2, 3, 1, 2, 3], [2, 1, 3, 1, 2]],
  [[7, 5], [1, 1]],
  [[256, 1], [1, 10]], // a loss's column tiled to the classes (element by element below 16 Ki outputs)
  [[1], [256]],
  [[3, 1, 700], [2, 9, 1]], // 37,800 outputs: block copies
];

describe('wasm Tile as block copies', () => {
  before(async () => {
    await useBackend('wasm');
  });

  it('replaces Tile', () => {
    assert.equal(tf.getKernel('Tile', 'wasm')?.kernelFunc, tile);
  });

  describe('matches cpu', () => {
    for (const [shape, reps] of CASES) {
      it(`float32 [${shape}] × [${reps}]`, async () => compare(`${shape}`, () => tf.tile(tf.tensor(values(size(shape), 51), shape), reps)));
      it(`int32 [${shape}] × [${reps}]`, async () => compare(`${shape}`, () => tf.tile(tf.tensor(Int32Array.from(values(size(shape), 52), (v) => Math.round(v * 100)), shape, 'int32'), reps)));
    }
    it('bool', async () => compare('bool', () => tf.cast(tf.tile(tf.tensor([true, false, false], [3], 'bool'), [3]), 'float32')));
  });

  it('by hand: [[1, 2]] × [2, 3]', async () => {
    const [got] = await on('wasm', () => tf.tile(tf.tensor2d([[1, 2]]), [2, 3]));
    assert.deepEqual(Array.from(got), [1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
  });

  it('a scalar and empty results', async () => {
    const [s] = await on('wasm', () => tf.tile(tf.scalar(3), []));
    assert.deepEqual(Array.from(s), [3]);
    const [e] = await on('wasm', () => tf.tile(tf.tensor2d([[1, 2]]), [0, 3]));
    assert.equal(e.length, 0);
  });

  it('batch normalisation gradients match cpu', async () => {
    const shape = [3, 5, 4, 6];
    await compare('batchnorm', () => {
      const x = tf.tensor4d(values(size(shape), 53), shape as [number, number, number, number]);
      const r = tf.tensor4d(values(size(shape), 54), shape as [number, number, number, number]);
      const [mean, variance, scale, offset] = [55, 56, 57, 58].map((seed, i) => tf.tensor1d(i === 1 ? values(6, seed).map((v) => v * v + 0.5) : values(6, seed)));
      return tf.grads((a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.sum(tf.mul(tf.batchNorm(a as tf.Tensor4D, mean, variance, o as tf.Tensor1D, s as tf.Tensor1D, 1e-3), r)))([x, scale, offset]);
    });
  });

  it('does not leak tensors or wasm memory', async () => {
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    await assertNoLeak(() => tf.dispose([tf.tile(x, [3, 2]), tf.tile(x, [1, 1])]));
    x.dispose();
  });
});
