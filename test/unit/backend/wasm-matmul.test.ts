// Tests the WASM BatchMatMul/_FusedMatMul replacement (mtl's sgemm, sgemm_at for a transposed A,
// sgemm_packed past 64 Ki floats of B, explicit transposes; tfjs's kernel for the rest) against the cpu backend: every
// transposeA/transposeB combination over 2-D shapes (1×1, odd sizes, one row/column, one large
// enough to pack), batched and broadcast batch dims, fused bias + relu or linear or elu (tfjs's
// kernel), the gradients of a dense layer, that nothing leaks, and the transpose itself (rnn.c's
// rnn_transpose: 4×4 blocks and 1–3 leftover rows and columns) exactly.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertNoLeak, compare, size, values } from './wasm-compare';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset, simdKernels } from '../../../src/backend/wasm-simd';
import { useBackend } from '../../helpers/backend';

/** [a shape, b shape] of the product op(a)·op(b) before transposition: a [..., m, k], b [..., k, n]. */
const SHAPES: Array<[number[], number[]]> = [
  [[1, 1], [1, 1]],
  [[3, 5], [5, 7]],
  [[1, 9], [9, 4]],
  [[6, 1], [1, 5]],
  [[17, 33], [33, 1]],
  [[64, 32], [32, 96]],
  [[2, 3, 4], [2, 4, 5]],
  [[4, 7, 3], [1, 3, 6]], // batch broadcast on b
  [[1, 5, 2], [3, 2, 4]], // batch broadcast on a
  [[2, 2, 3, 4], [2, 2, 4, 3]],
  [[2, 4], [3, 4, 5]], // rank 2 against rank 3
  [[9, 300], [300, 261]], // B of 78,300 floats: sgemm_packed
  [[23, 40], [40, 50]], // 16 + 4 + 3 rows, 48 + 2 columns
  [[500, 256], [256, 50]], // quickstart's dense weight gradient xᵀ·dy (transposeA: sgemm_at, A read where it lies)
  [[1, 256], [256, 10]], // one row
];

const swapLast2 = (s: number[]) => [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]];

describe('wasm BatchMatMul with transposed operands matches cpu', () => {
  before(async () => {
    await useBackend('wasm');
  });

  for (const [as, bs] of SHAPES) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      it(`[${as}]·[${bs}] transposeA ${ta} transposeB ${tb}`, async () => {
        const aShape = ta ? swapLast2(as) : as;
        const bShape = tb ? swapLast2(bs) : bs;
        await compare('matMul', () => tf.matMul(tf.tensor(values(size(aShape), 1), aShape), tf.tensor(values(size(bShape), 2), bShape), ta, tb));
      });
    }
  }

  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    it(`fused matMul + bias + relu, transposeA ${ta} transposeB ${tb}`, async () => {
      const [m, k, n] = [7, 5, 6];
      const aShape = ta ? [k, m] : [m, k];
      const bShape = tb ? [n, k] : [k, n];
      await compare('fused', () =>
        tf.fused.matMul({
          a: tf.tensor2d(values(m * k, 3), aShape as [number, number]),
          b: tf.tensor2d(values(k * n, 4), bShape as [number, number]),
          transposeA: ta,
          transposeB: tb,
          bias: tf.tensor1d(values(n, 5)),
          activation: 'relu',
        }),
      );
    });
  }

  it('fused matMul, batched, + bias, linear', async () => {
    await compare('fused linear', () =>
      tf.fused.matMul({ a: tf.tensor3d(values(2 * 5 * 3, 12), [2, 5, 3]), b: tf.tensor3d(values(2 * 3 * 6, 13), [2, 3, 6]), bias: tf.tensor1d(values(6, 14)) }),
    );
  });

  for (const [ta, tb] of [[false, false], [true, true]]) {
    it(`the _FusedMatMul kernel on rank-2 operands (one-kernel dense layers), elu on tfjs's kernel, transposeA ${ta} transposeB ${tb}`, async () => {
      const [m, k, n] = [6, 5, 7];
      await compare('fused rank 2', () => {
        const a = tf.tensor2d(values(m * k, 15), ta ? [k, m] : [m, k]);
        const b = tf.tensor2d(values(k * n, 16), tb ? [n, k] : [k, n]);
        const attrs = { transposeA: ta, transposeB: tb, activation: 'elu' };
        return tf.engine().runKernel('_FusedMatMul', { a, b, bias: tf.tensor1d(values(n, 17)) }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
      });
    });
  }

  it('dense layer gradients (x, kernel, bias) match cpu', async () => {
    await compare('dense grads', () => {
      const x = tf.tensor2d(values(12 * 9, 6), [12, 9]);
      const w = tf.tensor2d(values(9 * 4, 7), [9, 4]);
      const b = tf.tensor1d(values(4, 8));
      const r = tf.tensor2d(values(12 * 4, 9), [12, 4]);
      const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(tf.fused.matMul({ a: xx as tf.Tensor2D, b: ww as tf.Tensor2D, bias: bb, activation: 'elu' }), r));
      return tf.grads(f)([x, w, b]);
    });
  });

  it('results are the transposed product, not the plain one (hand-computed 2×2)', async () => {
    await useBackend('wasm');
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const b = tf.tensor2d([5, 6, 7, 8], [2, 2]);
    // aᵀ·b = [[1·5 + 3·7, 1·6 + 3·8], [2·5 + 4·7, 2·6 + 4·8]]; a·bᵀ = [[1·5 + 2·6, 1·7 + 2·8], [3·5 + 4·6, 3·7 + 4·8]]
    assert.deepEqual(Array.from(tf.matMul(a, b, true, false).dataSync()), [26, 30, 38, 44]);
    assert.deepEqual(Array.from(tf.matMul(a, b, false, true).dataSync()), [17, 23, 39, 53]);
    assert.deepEqual(Array.from(tf.matMul(a, b, true, true).dataSync()), [23, 31, 34, 46]);
    tf.dispose([a, b]);
  });

  it('rnn_transpose gives src[r, c] at dst[c, r] for every size class (4×4 blocks, 1–3 rows or columns left)', async () => {
    await useBackend('wasm');
    const backend = tf.backend() as unknown as BackendWasm;
    const k = simdKernels(backend)!;
    for (const [rows, cols] of [[1, 1], [1, 7], [6, 1], [4, 4], [3, 5], [5, 9], [8, 12], [13, 7], [256, 50], [50, 10]]) {
      const got = tf.tidy(() => {
        const src = tf.tensor1d(Float32Array.from({ length: rows * cols }, (_, i) => i));
        const dst = tf.fill([rows * cols], -1);
        k.rnn_transpose(rows, cols, heapOffset(backend, src), heapOffset(backend, dst));
        return Array.from(dst.dataSync());
      });
      const want = Array.from({ length: rows * cols }, (_, j) => (j % rows) * cols + Math.floor(j / rows));
      assert.deepEqual(got, want, `${rows}×${cols}`);
    }
  });

  it('leaks no tensors or wasm buffers', async () => {
    await useBackend('wasm');
    const a = tf.tensor2d(values(40, 10), [8, 5]);
    const b = tf.tensor2d(values(30, 11), [6, 5]);
    await assertNoLeak(() => tf.dispose(tf.tidy(() => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y, false, true)))([a, b]))));
    tf.dispose([a, b]);
  });
});
