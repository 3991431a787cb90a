// The one-pass momentum SGD update on wasm (src/optim/wasm-momentum.ts, optim.c) against tfjs's own
// MomentumOptimizer on the same backend (four kernels per variable), plain and Nesterov, across a
// learning-rate change; against one step worked by hand; the accumulations checkpoints save.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { withWasmMomentum } from '../../../src/optim/wasm-momentum';
import { useBackend } from '../../helpers/backend';

function pair(seed: number): [tf.Variable[], tf.Variable[]] {
  // 37 × 5 and 7 values: whole vectors and 1- and 3-lane tails.
  const make = () => [tf.variable(tf.randomNormal([37, 5], 0, 1, 'float32', seed)), tf.variable(tf.randomNormal([7], 0, 1, 'float32', seed + 1))];
  return [make(), make()];
}

describe('momentum SGD in one pass on wasm', () => {
  before(() => useBackend('wasm'));

  for (const nesterov of [false, true]) {
    it(`equals tfjs's momentum optimizer bit for bit over 20 steps and a learning-rate change (nesterov ${nesterov})`, async () => {
      const [a, b] = pair(nesterov ? 3 : 1);
      const stock = tf.train.momentum(0.05, 0.9, nesterov);
      const fast = withWasmMomentum(tf.train.momentum(0.05, 0.9, nesterov));
      const start = tf.memory().numTensors;
      for (let s = 0; s < 20; s++) {
        if (s === 10) for (const o of [stock, fast]) (o as unknown as { setLearningRate(v: number): void }).setLearningRate(0.013);
        tf.tidy(() => {
          const g = [tf.randomNormal([37, 5], 0, 1, 'float32', 10 + s), tf.randomNormal([7], 0, 3, 'float32', 100 + s)];
          stock.applyGradients(a.map((v, i) => ({ name: v.name, tensor: g[i] })));
          fast.applyGradients(b.map((v, i) => ({ name: v.name, tensor: g[i] })));
        });
      }
      assert.equal(tf.memory().numTensors - start, 4, 'one accumulation per variable per optimizer');
      for (let i = 0; i < 2; i++) assert.deepEqual(Array.from(b[i].dataSync()), Array.from(a[i].dataSync()), `weights ${i}`);
      const [ws, wf] = [await stock.getWeights(), await fast.getWeights()];
      assert.deepEqual(wf.map((w) => w.name.replace(/^\d+/, '')), ws.map((w) => w.name.replace(/^\d+/, '')));
      for (let i = 0; i < ws.length; i++) assert.deepEqual(Array.from(wf[i].tensor.dataSync()), Array.from(ws[i].tensor.dataSync()), ws[i].name);
      assert.equal(fast.iterations, 20);
    });
  }

  it('two steps by hand: θ = 1, g = 2 then 1, lr 0.1, m 0.5 → acc 2, θ 0.8; acc 2, θ 0.6 (Nesterov: θ − lr·(g + m·acc): 0.7, then 0.5)', () => {
    for (const [nesterov, want] of [[false, [0.8, 0.6]], [true, [0.7, 0.5]]] as const) {
      const v = tf.variable(tf.tensor1d([1]));
      const opt = withWasmMomentum(tf.train.momentum(0.1, 0.5, nesterov));
      // Nesterov: acc = 2, θ = 1 − 0.1·(2 + 0.5·2) = 0.7; acc = 0.5·2 + 1 = 2, θ = 0.7 − 0.1·(1 + 0.5·2) = 0.5.
      opt.applyGradients([{ name: v.name, tensor: tf.tensor1d([2]) }]);
      const first = v.dataSync()[0];
      opt.applyGradients([{ name: v.name, tensor: tf.tensor1d([1]) }]);
      const second = v.dataSync()[0];
      assert.ok(Math.abs(first - want[0]) < 1e-6 && Math.abs(second - want[1]) < 1e-6, `nesterov ${nesterov}: ${first}, ${second}`);
    }
  });
});
