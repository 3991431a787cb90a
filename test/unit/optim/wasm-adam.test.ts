// The in-place Adam update on wasm (src/optim/wasm-adam.ts) against tfjs's own AdamOptimizer on the
// same backend (an independent implementation: ~14 kernels per variable) and against Adam worked
// by hand for one step; the slots checkpoints save; the fallback when a variable's memory is shared.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { withWasmAdam } from '../../../src/optim/wasm-adam';
import { useBackend } from '../../helpers/backend';

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

function pair(seed: number): [tf.Variable[], tf.Variable[]] {
  const make = () => [tf.variable(tf.randomNormal([40, 7], 0, 1, 'float32', seed)), tf.variable(tf.randomNormal([7], 0, 1, 'float32', seed + 1))];
  return [make(), make()];
}

describe('Adam in place on wasm', () => {
  before(() => useBackend('wasm'));

  it('equals tfjs Adam bit for bit over 25 steps (weights, both moments, β powers, iterations) and leaks no tensor', async () => {
    assert.equal(tf.getBackend(), 'wasm');
    const [a, b] = pair(1);
    const stock = tf.train.adam(0.02, 0.8, 0.99, 1e-6);
    const fast = withWasmAdam(tf.train.adam(0.02, 0.8, 0.99, 1e-6));
    const start = tf.memory().numTensors;
    for (let s = 0; s < 25; s++) {
      tf.tidy(() => {
        const g = [tf.randomNormal([40, 7], 0, 1, 'float32', 10 + s), tf.randomNormal([7], 0, 3, 'float32', 100 + s)];
        stock.applyGradients(a.map((v, i) => ({ name: v.name, tensor: g[i] })));
        fast.applyGradients(b.map((v, i) => ({ name: v.name, tensor: g[i] })));
      });
    }
    // Two slots per variable per optimizer were created on the first step; nothing else stays.
    assert.equal(tf.memory().numTensors - start, 8);
    // Bit for bit: each operation is rounded to float32 as tfjs's kernels round it.
    for (let i = 0; i < 2; i++) assert.deepEqual(Array.from(b[i].dataSync()), Array.from(a[i].dataSync()), `weights ${i}`);
    const [ws, wf] = [await stock.getWeights(), await fast.getWeights()];
    assert.deepEqual(wf.map((w) => w.name.replace(/^\d+/, '')), ws.map((w) => w.name.replace(/^\d+/, '')));
    for (let i = 0; i < ws.length; i++) assert.deepEqual(Array.from(wf[i].tensor.dataSync()), Array.from(ws[i].tensor.dataSync()), ws[i].name);
    const acc = (o: tf.AdamOptimizer) => (o as unknown as { accBeta1: tf.Tensor; accBeta2: tf.Tensor });
    assert.equal(acc(fast).accBeta1.dataSync()[0], acc(stock).accBeta1.dataSync()[0]);
    assert.equal(acc(fast).accBeta2.dataSync()[0], acc(stock).accBeta2.dataSync()[0]);
    assert.equal(fast.iterations, 25);
  });

  it('one step by hand: θ = 1, g = 2, lr 0.1 → m = 0.2, v = 0.004, θ − 0.1·(0.2/0.1)/(√(0.004/0.001) + 0) = 0.9', () => {
    const v = tf.variable(tf.tensor1d([1]));
    const opt = withWasmAdam(tf.train.adam(0.1, 0.9, 0.999, 1e-30));
    opt.applyGradients([{ name: v.name, tensor: tf.tensor1d([2]) }]);
    assert.ok(Math.abs(v.dataSync()[0] - 0.9) < 1e-6, `${v.dataSync()[0]}`);
  });

  it('a weight whose memory a snapshot shares: the snapshot keeps the old values, the weight moves', () => {
    const [a] = pair(7);
    const snapshot = tf.reshape(a[0], [a[0].size]); // on wasm a reshape shares a[0]'s memory
    const copy = a[0].dataSync().slice();
    const opt = withWasmAdam(tf.train.adam(0.1));
    opt.applyGradients(a.map((v) => ({ name: v.name, tensor: tf.onesLike(v) })));
    assert.deepEqual(Array.from(snapshot.dataSync()), Array.from(copy));
    assert.ok(maxDiff(a[0].reshape([a[0].size]), snapshot) > 0.05, 'the variable itself moved');
  });

  it('a matMul with the weight after the update uses the new values (wasm caches packed weights per buffer)', () => {
    const w = tf.variable(tf.tensor2d([[1, 2], [3, 4]]));
    const x = tf.tensor2d([[1, 1]]);
    assert.deepEqual(tf.matMul(x, w).arraySync(), [[4, 6]]); // packs w's buffer
    const opt = withWasmAdam(tf.train.adam(0.5, 0.9, 0.999, 1e-30));
    // First step: each weight moves by −lr·sign(g) = −0.5.
    opt.applyGradients([{ name: w.name, tensor: tf.ones([2, 2]) }]);
    const got = tf.matMul(x, w).dataSync();
    assert.ok(Math.abs(got[0] - 3) < 1e-5 && Math.abs(got[1] - 5) < 1e-5, `x·w = ${got}, expected [3, 5]`);
  });

  it('a null gradient leaves its variable and slots where they are', async () => {
    const [a] = pair(9);
    const before1 = a[1].dataSync().slice();
    const opt = withWasmAdam(tf.train.adam(0.1));
    opt.applyGradients([{ name: a[0].name, tensor: tf.onesLike(a[0]) }, { name: a[1].name, tensor: null as unknown as tf.Tensor }]);
    assert.deepEqual(Array.from(a[1].dataSync()), Array.from(before1));
    const w = await opt.getWeights();
    assert.equal(w.length, 5);
  });
});
