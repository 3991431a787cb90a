// Tests the one-kernel batch normalisation training pass (src/layers/batch-norm-train.ts, kernels in
// wasm-batchnorm.ts / batchnorm.c): its output, batch statistics, moving averages and gradients
// (input, gamma, beta) against tfjs's own layer on the cpu backend, over odd channel counts (vector
// tails), batch 1, rank 2 and 4; the kernel's statistics and gradient against a float64 computation
// from the definition; that a saved model loads with stock tf.loadLayersModel; that a training step
// runs no Sub, Mean or FusedBatchNorm; that nothing leaks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { BN_TRAIN, registerBatchNormKernels } from '../../../src/backend/wasm-batchnorm';
import { oneKernelBatchNorm, reluOnce } from '../../../src/layers/batch-norm-train';
import { useBackend } from '../../helpers/backend';
import { assertClose, assertNoLeak, on, size, values } from '../backend/wasm-compare';

/**
 * y, Σ y·r, the gradients w.r.t. x, gamma, beta, then the moving mean and variance after two calls;
 * with relu, y is a relu activation layer's output after the batch norm.
 */
function run(shape: number[], wrap: boolean, momentum = 0.9, relu = false): () => tf.Tensor[] {
  return () => {
    const made = tf.layers.batchNormalization({ axis: -1, momentum, epsilon: 1e-3 });
    const bn = wrap ? oneKernelBatchNorm(made, relu) : made;
    const act = relu ? (wrap ? reluOnce(tf.layers.activation({ activation: 'relu' })) : tf.layers.activation({ activation: 'relu' })) : null;
    const layer = { apply: (t: tf.Tensor, kw?: object) => (act ? act.apply(bn.apply(t, kw), kw) : bn.apply(t, kw)), getWeights: () => bn.getWeights(), setWeights: (w: tf.Tensor[]) => bn.setWeights(w), trainableWeights: bn.trainableWeights };
    // Values with a mean away from zero and unequal spreads per channel.
    const x = tf.tensor(values(size(shape), 3), shape).mul(tf.range(1, shape[shape.length - 1] + 1).mul(0.7)).add(2);
    layer.apply(tf.zeros(shape));
    layer.trainableWeights = bn.trainableWeights;
    const c = shape[shape.length - 1];
    layer.setWeights([tf.tensor1d(values(c, 5)).add(1.5), tf.tensor1d(values(c, 6)), tf.tensor1d(values(c, 7)), tf.tensor1d(values(c, 8)).add(2)]);
    const [gamma, beta] = layer.trainableWeights.map((w) => (w as unknown as { read(): tf.Tensor }).read());
    const r = tf.tensor(values(size(shape), 9), shape);
    const f = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      void g, b;
      return tf.sum(tf.mul(layer.apply(xx, { training: true }) as tf.Tensor, r));
    };
    const { value, grads } = tf.valueAndGrads(f)([x, gamma, beta]);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const [mm, mv] = layer.getWeights().slice(2);
    return [y, value, ...grads, mm, mv];
  };
}

const SHAPES = [[4, 5, 3, 6], [2, 3, 4, 8], [1, 2, 2, 5], [7, 9], [3, 4, 3, 17]];

describe('one-kernel batch normalisation (training)', () => {
  for (const shape of SHAPES) {
    it(`[${shape}]: output, gradients and moving statistics as tfjs's layer on cpu`, async () => {
      const fused = await on('wasm', run(shape, true));
      const cpu = await on('cpu', run(shape, false));
      const names = ['y', 'loss', 'dx', 'dgamma', 'dbeta', 'moving mean', 'moving variance'];
      assert.equal(fused.length, cpu.length);
      fused.forEach((f, i) => assertClose(f, cpu[i], `[${shape}] ${names[i]}`, 2e-5));
    });
  }

  for (const shape of [[4, 5, 3, 6], [1, 2, 2, 5], [7, 3]]) {
    it(`[${shape}] with the relu in the kernel (reluOnce after it): as tfjs's batch norm and relu layers on cpu`, async () => {
      const fused = await on('wasm', run(shape, true, 0.9, true));
      const cpu = await on('cpu', run(shape, false, 0.9, true));
      fused.forEach((f, i) => assertClose(f, cpu[i], `[${shape}] relu #${i}`, 2e-5));
      assert.ok(fused[0].some((v) => v === 0) && fused[0].some((v) => v > 0), 'the relu cuts some outputs and keeps others');
    });
  }

  it('the kernel: statistics and gradients by definition in float64 (incl. upstream gradients of the statistics)', async () => {
    await useBackend('wasm');
    registerBatchNormKernels();
    const [rows, c, eps] = [6, 5, 0.01];
    const x = Array.from(values(rows * c, 11), (v, i) => v * (1 + (i % c)) + 3);
    const [gamma, beta, dy] = [Array.from(values(c, 12), (v) => v + 1), Array.from(values(c, 13)), Array.from(values(rows * c, 14))];
    const [gm, gv] = [Array.from(values(c, 15)), Array.from(values(c, 16))];
    const got = tf.tidy(() => {
      const xs = tf.tensor2d(x, [rows, c]);
      const ins = [xs, tf.tensor1d(gamma), tf.tensor1d(beta)];
      // Loss Σ y·dy + Σ mean·gm + Σ variance·gv: the kernel's three outputs each with an upstream gradient.
      const g = tf.grads((a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
        const [y, m, v] = tf.engine().runKernel(BN_TRAIN, { x: a, scale: s, offset: o }, { varianceEpsilon: eps }) as tf.Tensor[];
        return tf.addN([tf.sum(tf.mul(y, tf.tensor2d(dy, [rows, c]))), tf.sum(tf.mul(m, tf.tensor1d(gm))), tf.sum(tf.mul(v, tf.tensor1d(gv)))]);
      })(ins);
      const outs = tf.engine().runKernel(BN_TRAIN, { x: xs, scale: ins[1], offset: ins[2] }, { varianceEpsilon: eps }) as tf.Tensor[];
      return [...outs, ...g].map((t) => Array.from(t.dataSync()));
    });
    // Float64 reference: y = γ(x − μ)/√(σ² + ε) + β; dx by differentiating the loss numerically is
    // noisy, so the closed form of the derivative (the paper's backward pass + the statistics' own terms).
    const at = (r: number, j: number) => x[r * c + j];
    for (let j = 0; j < c; j++) {
      let mu = 0;
      for (let r = 0; r < rows; r++) mu += at(r, j) / rows;
      let v = 0;
      for (let r = 0; r < rows; r++) v += (at(r, j) - mu) ** 2 / rows;
      const rstd = 1 / Math.sqrt(v + eps);
      let sdy = 0;
      let sdyx = 0;
      for (let r = 0; r < rows; r++) (sdy += dy[r * c + j]), (sdyx += dy[r * c + j] * (at(r, j) - mu) * rstd);
      const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 2e-5 * (1 + Math.abs(b)), `${what}[${j}]: ${a} vs ${b}`);
      near(got[1][j], mu, 'mean');
      near(got[2][j], v, 'variance');
      near(got[4][j], sdyx, 'dgamma');
      near(got[5][j], sdy, 'dbeta');
      for (let r = 0; r < rows; r++) {
        const xh = (at(r, j) - mu) * rstd;
        near(got[0][r * c + j], gamma[j] * xh + beta[j], `y[${r}]`);
        const dx = gamma[j] * rstd * (dy[r * c + j] - sdy / rows - xh * sdyx / rows) + gm[j] / rows + (gv[j] * 2 * (at(r, j) - mu)) / rows;
        near(got[3][r * c + j], dx, `dx[${r}]`);
      }
    }
  });

  it('inference keeps tfjs\'s call (moving statistics), and a saved model loads with stock tf.loadLayersModel', async () => {
    await useBackend('wasm');
    const input = tf.input({ shape: [3, 3, 4] });
    const out = oneKernelBatchNorm(tf.layers.batchNormalization({ axis: -1 })).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const x = tf.tensor4d(values(2 * 36, 5), [2, 3, 3, 4]);
    (model.apply(x, { training: true }) as tf.Tensor).dispose(); // moves the statistics
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    assert.match(JSON.stringify(artifacts!.modelTopology), /"class_name":"BatchNormalization"/);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    assert.deepEqual(Array.from((loaded.predict(x) as tf.Tensor).dataSync()), Array.from((model.predict(x) as tf.Tensor).dataSync()));
    tf.dispose([x]);
  });

  it('a training step runs the one kernel (no Sub, FusedBatchNorm, Rsqrt, Mean) and leaks nothing', async () => {
    await useBackend('wasm');
    const layer = oneKernelBatchNorm(tf.layers.batchNormalization({ axis: -1 }));
    const x = tf.tensor4d(values(2 * 36, 5), [2, 3, 3, 4]);
    const f = () => tf.sum(layer.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
    tf.tidy(f);
    const step = () => {
      const { value, grads } = tf.variableGrads(f, layer.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read()));
      tf.dispose([value, ...Object.values(grads)]);
    };
    const profile = await tf.profile(step);
    const kernels = new Set(profile.kernelNames);
    assert.ok(kernels.has(BN_TRAIN), 'the one kernel ran');
    for (const k of ['Sub', 'FusedBatchNorm', 'SquaredDifference', 'Rsqrt', 'Mean']) assert.ok(!kernels.has(k), `${k} did not run`);
    await assertNoLeak(step);
    x.dispose();
  });
});
