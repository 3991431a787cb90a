// Tests the WASM engine clone (src/backend/wasm-engine.ts): a training step's saved tensors no
// longer run the Identity kernel; gradients (first and second order, through the clones' tape
// nodes) equal the cpu backend's; the saved tensors share their data and are released with it
// (engine tensors and wasm buffers stay constant over repeated steps).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../helpers/backend';
import { assertNoLeak, compare, values } from './wasm-compare';

describe('engine clone on wasm', () => {
  const model = () => {
    const x = tf.tensor2d(values(12, 71), [4, 3]);
    const w = tf.variable(tf.tensor2d(values(6, 72), [3, 2]));
    const f = () => tf.sum(tf.square(tf.tanh(tf.matMul(x, w)))) as tf.Scalar;
    return { x, w, f };
  };

  it('a gradient step runs no Identity kernel and leaks nothing', async () => {
    await useBackend('wasm');
    const { x, w, f } = model();
    const step = () => {
      const { value, grads } = tf.variableGrads(f, [w]);
      tf.dispose([value, ...Object.values(grads)]);
    };
    const profile = await tf.profile(step);
    assert.ok(!profile.kernelNames.includes('Identity'), `kernels: ${profile.kernelNames}`);
    await assertNoLeak(step);
    tf.dispose([x, w]);
  });

  it('first and second derivatives as on cpu (the clones stay on the tape)', () =>
    compare('grads', () => {
      const x = tf.tensor1d(values(7, 73));
      // d/dx Σ tanh(x)·x², and the derivative of Σ of that (the saved tanh output is differentiated again).
      const f = (a: tf.Tensor) => tf.sum(tf.mul(tf.tanh(a), tf.square(a)));
      const g = tf.grad(f);
      return [g(x), tf.grad((a: tf.Tensor) => tf.sum(g(a)))(x)];
    }));
});
