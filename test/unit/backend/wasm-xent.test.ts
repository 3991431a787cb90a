// Tests the one-kernel cross-entropy of a probability head and the softmax's one-kernel gradient on
// wasm (wasm-xent.ts) against tfjs's own kernels composing the same formulas (Sum, RealDiv,
// ClipByValue, Log, Multiply, Sum, Neg and their gradients) on the same backend: loss and ∂/∂p bit for
// bit, on rows that exercise every branch — probabilities that do not sum to 1, values clipped below ε
// and above 1 − ε, a target that is not one-hot (label smoothing), zeros, NaN and ±Inf, a rank-3 head,
// one row, odd class counts — and the losses against a hand computation; the kernels really run (not
// the composite); the target's gradient, when asked, is the composite's; the softmax's gradient equals
// tfjs's four kernels bit for bit (NaN included); nothing leaks.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { PROB_XENT, PROB_XENT_GRAD, SOFTMAX_GRAD, probCrossEntropy, probXentComposite } from '../../../src/backend/wasm-xent';
import { EPSILON } from '../../../src/losses/common';
import { useBackend } from '../../helpers/backend';
import { assertNoLeak, values } from './wasm-compare';

/** Loss and gradient w.r.t. p of Σ dy·loss, by the kernel (fused) or by tfjs's composite ops. */
function lossAndGrad(y: tf.Tensor, p: tf.Tensor, dy: tf.Tensor, fused: boolean): { loss: Float32Array; grad: Float32Array } {
  return tf.tidy(() => {
    const f = (pp: tf.Tensor) => (fused ? probCrossEntropy(y, pp, EPSILON)! : probXentComposite(y, pp, EPSILON));
    const loss = f(p).dataSync() as Float32Array;
    const grad = tf.grad((pp: tf.Tensor) => tf.sum(tf.mul(f(pp), dy)))(p).dataSync() as Float32Array;
    return { loss: Float32Array.from(loss), grad: Float32Array.from(grad) };
  });
}

const sameBits = (a: Float32Array, b: Float32Array, label: string) => {
  assert.equal(a.length, b.length, `${label}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${label}[${i}]: kernel ${a[i]}, tfjs ops ${b[i]}`);
};

/** The kernel's loss and ∂/∂p against tfjs's composite ops on the same y, p and dy, bit for bit; disposes them. */
function assertSameAsOps(y: tf.Tensor, p: tf.Tensor, dy: tf.Tensor): void {
  const fused = lossAndGrad(y, p, dy, true);
  const ops = lossAndGrad(y, p, dy, false);
  sameBits(fused.loss, ops.loss, 'loss');
  sameBits(fused.grad, ops.grad, '∂/∂p');
  tf.dispose([y, p, dy]);
}

/** Positive "probabilities" (not normalised), some far below ε after normalising, some near 1. */
function probs(n: number, seed: number): Float32Array {
  return values(n, seed).map((v, i) => (i % 7 === 3 ? 1e-9 * Math.abs(v) : i % 11 === 5 ? 40 + v : Math.abs(v) + 0.01));
}

describe('wasm one-kernel probability cross-entropy', () => {
  before(async () => {
    await useBackend('wasm');
  });

  const shapes: number[][] = [[256, 10], [1, 10], [7, 3], [5, 4, 13], [3, 1]];
  for (const shape of shapes) {
    for (const smooth of [false, true]) {
      it(`[${shape}], ${smooth ? 'smoothed' : 'one-hot'} target: loss and ∂/∂p equal tfjs's kernels bit for bit`, () => {
        const C = shape[shape.length - 1];
        const n = shape.reduce((a, b) => a * b, 1);
        const oneHot = Float32Array.from({ length: n }, (_, i) => (Math.floor(i / C) * 3 + 1) % C === i % C ? 1 : 0);
        const y = tf.tensor(smooth ? oneHot.map((v) => v * 0.9 + 0.1 / C) : oneHot, shape);
        const p = tf.tensor(probs(n, shape.length + C), shape);
        assertSameAsOps(y, p, tf.tensor(values(n / C, 5), shape.slice(0, -1)));
      });
    }
  }

  it('rows with zeros, NaN and ±Inf give what tfjs gives (the clip takes NaN to ε)', () => {
    const rows = [
      [0, 0, 0.5, 0.5],
      [0, 0, 0, 0],
      [NaN, 0.2, 0.3, 0.5],
      [Infinity, 0.2, 0.3, 0.5],
      [0.1, -0, 0.4, 0.5],
      [1, 1e-30, 1e-30, 1e-30],
    ];
    const y = tf.tensor2d(rows.map((_, r) => [0, 1, 2, 3].map((c) => (c === r % 4 ? 1 : 0))));
    const p = tf.tensor2d(rows);
    assertSameAsOps(y, p, tf.tensor1d([1, -2, 0.5, 1, 3, -1]));
  });

  it('hand-computed: −log of the normalised target probability, clipped at ε', () => {
    const y = tf.tensor2d([[0, 1, 0], [1, 0, 0]]);
    const p = tf.tensor2d([[0.2, 0.6, 0.2], [0, 1, 1]]);
    const loss = tf.tidy(() => Array.from(probCrossEntropy(y, p, EPSILON)!.dataSync()));
    // Row 1: −log 0.6; row 2: p/Σp = 0 → clipped to 1e-7 → −log 1e-7 = 16.118…
    assert.ok(Math.abs(loss[0] + Math.log(0.6)) < 1e-6, `row 1: ${loss[0]}`);
    assert.ok(Math.abs(loss[1] + Math.log(1e-7)) < 1e-4, `row 2: ${loss[1]}`);
    tf.dispose([y, p]);
  });

  it('runs as one kernel each way (no composite kernels)', async () => {
    const y = tf.tensor2d([[0, 1]]);
    const p = tf.tensor2d([[0.3, 0.7]]);
    const info = await tf.profile(() => tf.tidy(() => tf.grad((pp: tf.Tensor) => tf.sum(probCrossEntropy(y, pp, EPSILON)!))(p)));
    const names = info.kernels.map((k) => k.name);
    assert.ok(names.includes(PROB_XENT) && names.includes(PROB_XENT_GRAD), names.join());
    assert.ok(!names.includes('Log') && !names.includes('ClipByValue') && !names.includes('RealDiv'), `no composite kernels: ${names.join()}`);
    tf.dispose([y, p]);
  });

  it("the target's gradient, when asked, is the composite's", () => {
    const y = tf.tensor2d([[0.2, 0.8, 0], [0.5, 0.25, 0.25]]);
    const p = tf.tensor2d([[0.1, 0.6, 0.3], [0.3, 0.3, 0.4]]);
    const g = (fused: boolean) => tf.tidy(() => Array.from(tf.grad((yy: tf.Tensor) => tf.sum(fused ? probCrossEntropy(yy, p, EPSILON)! : probXentComposite(yy, p, EPSILON)))(y).dataSync()));
    assert.deepEqual(g(true), g(false));
    // ∂loss/∂y_c = −log(p_c / Σp): row 1, class 2 → −log 0.6.
    assert.ok(Math.abs(g(true)[1] + Math.log(0.6)) < 1e-6);
    tf.dispose([y, p]);
  });

  it('is null for shapes that differ or non-float inputs (the caller composes tf ops)', () => {
    const p = tf.tensor2d([[0.3, 0.7]]);
    assert.equal(probCrossEntropy(tf.tensor1d([0, 1]), p, EPSILON), null);
    assert.equal(probCrossEntropy(tf.tensor2d([[0, 1]], undefined, 'int32'), p, EPSILON), null);
    tf.dispose(p);
  });

  for (const shape of [[256, 10], [5, 4, 13], [1, 1], [3, 7]]) {
    it(`softmax's gradient [${shape}]: one kernel, tfjs's four kernels' numbers bit for bit`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const z = tf.tensor(values(n, 21).map((v, i) => (i === 5 ? NaN : 8 * v)), shape);
      const dy = tf.tensor(values(n, 22), shape);
      const got = tf.tidy(() => Float32Array.from(tf.grad((zz: tf.Tensor) => tf.sum(tf.mul(tf.softmax(zz), dy)))(z).dataSync()));
      // tfjs's gradient, written out: dy·y − Σ(dy·y)·y.
      const want = tf.tidy(() => {
        const y = tf.softmax(z);
        const dyTimesY = tf.mul(dy, y);
        return Float32Array.from(tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, -1, true), y)).dataSync());
      });
      sameBits(got, want, 'softmax ∂/∂z');
      const info = await tf.profile(() => tf.tidy(() => tf.grad((zz: tf.Tensor) => tf.sum(tf.mul(tf.softmax(zz), dy)))(z)));
      const names = info.kernels.map((k) => k.name);
      assert.ok(names.includes(SOFTMAX_GRAD) && !names.includes('Sub'), names.join());
      tf.dispose([z, dy]);
    });
  }

  it('leaks no tensors or wasm buffers', async () => {
    const y = tf.tensor2d([[0, 1, 0]]);
    const p = tf.tensor2d([[0.2, 0.5, 0.3]]);
    await assertNoLeak(() => tf.dispose(tf.tidy(() => tf.grad((pp: tf.Tensor) => tf.sum(probCrossEntropy(y, pp, EPSILON)!))(p))));
    tf.dispose([y, p]);
  });
});
