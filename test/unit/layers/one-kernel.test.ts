// Tests the one-kernel conv2d and dense layers (src/layers/one-kernel.ts) and their gradient kernel
// (elementwise.c's bias_relu_grad): the kernel against dz = dy·step(y) and column sums worked out by
// definition (NaN, zeros, a partial vector); the layers' outputs and gradients (input, kernel, bias)
// the same bits as tfjs's own call on wasm for convolutions, and close to the cpu backend for both;
// that a saved model loads with stock tf.loadLayersModel; that nothing leaks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { biasReluGrad } from '../../../src/backend/wasm-elementwise';
import { oneKernel } from '../../../src/layers/one-kernel';
import { useBackend } from '../../helpers/backend';
import { assertClose, assertNoLeak, on, values } from '../backend/wasm-compare';

type Make = () => tf.layers.Layer;

/** Output and gradients of Σ out·r (r fixed) w.r.t. input, kernel and bias of a freshly built layer. */
function grads(make: Make, shape: number[], wrap: boolean): () => tf.Tensor[] {
  return () => {
    const layer = wrap ? oneKernel(make()) : make();
    const x = tf.tensor(values(shape.reduce((a, b) => a * b, 1), 31), shape);
    layer.apply(tf.zeros(shape)); // builds the weights
    // Fixed weights: values in [-1, 1) shifted so a relu cuts some outputs and keeps others.
    layer.setWeights(layer.getWeights().map((w, i) => tf.tensor(values(w.size, 40 + i), w.shape).mul(0.5)));
    const ws = layer.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read() as tf.Variable);
    const f = (xx: tf.Tensor, ...vars: tf.Tensor[]) => {
      void vars;
      const y = layer.apply(xx) as tf.Tensor;
      return tf.sum(tf.mul(y, tf.tensor(values(y.size, 7), y.shape)));
    };
    const { value, grads: g } = tf.valueAndGrads(f)([x, ...ws]);
    return [layer.apply(x) as tf.Tensor, value, ...g];
  };
}

const CONV: [string, Make, number[]][] = [
  ['conv2d relu, bias, valid', () => tf.layers.conv2d({ filters: 10, kernelSize: 3, activation: 'relu' }), [2, 7, 6, 3]],
  ['conv2d linear, no bias, same, stride 2', () => tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', useBias: false }), [1, 7, 8, 2]],
  ['conv2d tanh (kernel linear, then tanh)', () => tf.layers.conv2d({ filters: 6, kernelSize: 2, activation: 'tanh' }), [2, 5, 5, 4]],
];
const DENSE: [string, Make, number[]][] = [
  ['dense relu', () => tf.layers.dense({ units: 13, activation: 'relu' }), [5, 7]],
  ['dense softmax', () => tf.layers.dense({ units: 4, activation: 'softmax' }), [3, 6]],
  ['dense relu on a sequence [batch, time, features]', () => tf.layers.dense({ units: 6, activation: 'relu' }), [2, 3, 5]],
];

describe('one-kernel layers', () => {
  it('bias_relu_grad: dz = dy·step(y), db = column sums, by definition', async () => {
    await useBackend('wasm');
    const y = [1, 0, -2, NaN, 3, 0.5, -0.1, 2, 4, -1, 1e-30, 5, 0, 0, 7, -3, 1, 1, -1, 2];
    const dy = y.map((_, i) => (i % 3) - 1.5 + i / 8);
    const cols = 10; // two vectors and a 2-wide tail
    const [dz, db, dzLin, dbLin] = tf.tidy(() => {
      const r = biasReluGrad(tf.tensor2d(dy, [2, cols]), tf.tensor2d(y, [2, cols]), true, true)!;
      const l = biasReluGrad(tf.tensor2d(dy, [2, cols]), tf.tensor2d(y, [2, cols]), false, true)!;
      return [r.dz, r.db!, l.dz, l.db!].map((t) => Array.from(t.dataSync()));
    });
    const wantDz = y.map((v, i) => (Number.isNaN(v) ? NaN : v > 0 ? dy[i] : dy[i] * 0)); // −0 for dy < 0, as tfjs's dy·step
    assert.deepEqual(dz, wantDz.map(Math.fround));
    const colSum = (m: number[]) => Array.from({ length: cols }, (_, c) => Math.fround(Math.fround(0 + m[c]) + m[cols + c]));
    assert.deepEqual(db, colSum(wantDz.map(Math.fround)));
    assert.deepEqual(dzLin, dy.map(Math.fround));
    assert.deepEqual(dbLin, colSum(dy.map(Math.fround)));
  });

  for (const [label, make, shape] of CONV) {
    it(`${label}: the same bits as tfjs's call on wasm, close to cpu`, async () => {
      const fused = await on('wasm', grads(make, shape, true));
      const stock = await on('wasm', grads(make, shape, false));
      const cpu = await on('cpu', grads(make, shape, false));
      assert.equal(fused.length, stock.length);
      fused.forEach((f, i) => assert.deepEqual(f, stock[i], `${label} #${i}`));
      fused.forEach((f, i) => assertClose(f, cpu[i], `${label} #${i} vs cpu`));
    });
  }

  for (const [label, make, shape] of DENSE) {
    it(`${label}: close to tfjs's call on wasm and on cpu`, async () => {
      const fused = await on('wasm', grads(make, shape, true));
      const stock = await on('wasm', grads(make, shape, false));
      const cpu = await on('cpu', grads(make, shape, false));
      fused.forEach((f, i) => assertClose(f, stock[i], `${label} #${i}`, 1e-6));
      fused.forEach((f, i) => assertClose(f, cpu[i], `${label} #${i} vs cpu`));
    });
  }

  it("Relu's gradient on wasm is dy·step(x) bit for bit, without Step", async () => {
    await useBackend('wasm');
    oneKernel(tf.layers.dense({ units: 2 })).apply(tf.ones([1, 2])); // registers the gradients
    const xs = [2, -1, 0, NaN, 0.5, -3, 1e-30];
    const dy = [1.5, -2, -0.5, 3, -1, 4, 2];
    const profile = await tf.profile(() => {
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.relu(x), tf.tensor1d(dy))))(tf.tensor1d(xs));
      assert.deepEqual(Array.from(g.dataSync()), xs.map((v, i) => (Number.isNaN(v) ? NaN : v > 0 ? dy[i] : dy[i] * 0)));
      g.dispose();
    });
    assert.ok(!profile.kernelNames.includes('Step'), 'no Step kernel');
  });

  it('a model of one-kernel layers saves and loads with stock tf.loadLayersModel', async () => {
    await useBackend('wasm');
    const input = tf.input({ shape: [6, 6, 2] });
    let h = oneKernel(tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' })).apply(input) as tf.SymbolicTensor;
    h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
    const out = oneKernel(tf.layers.dense({ units: 3, activation: 'relu' })).apply(h) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    assert.match(JSON.stringify(artifacts!.modelTopology), /"class_name":"Conv2D"/);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    const x = tf.tensor4d(values(2 * 72, 5), [2, 6, 6, 2]);
    assert.deepEqual(Array.from((loaded.predict(x) as tf.Tensor).dataSync()), Array.from((model.predict(x) as tf.Tensor).dataSync()));
    tf.dispose([x]);
  });

  it('a training step runs one kernel per layer forward, no Relu, Step or Add, and leaks nothing', async () => {
    await useBackend('wasm');
    const conv = oneKernel(tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }));
    const dense = oneKernel(tf.layers.dense({ units: 3, activation: 'relu' }));
    const x = tf.tensor4d(values(2 * 72, 5), [2, 6, 6, 2]);
    const f = () => tf.sum(tf.relu(dense.apply(tf.reshape(conv.apply(x) as tf.Tensor, [2, -1])) as tf.Tensor)) as tf.Scalar;
    tf.tidy(f); // builds the weights
    const profile = await tf.profile(() => {
      const { value, grads: g } = tf.variableGrads(f);
      tf.dispose([value, ...Object.values(g)]);
    });
    const kernels = new Set(profile.kernelNames);
    for (const k of ['FusedConv2D', '_FusedMatMul']) assert.ok(kernels.has(k), `${k} ran`);
    for (const k of ['Conv2D', 'Step', 'Add']) assert.ok(!kernels.has(k), `${k} did not run`);
    await assertNoLeak(() => {
      const { value, grads: g } = tf.variableGrads(f);
      tf.dispose([value, ...Object.values(g)]);
    });
    x.dispose();
  });
});
