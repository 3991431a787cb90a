// The fused lstm/gru ops against the stock tfjs layers with the same weights: outputs and gradients
// (inputs, kernel, recurrent kernel, bias) to 1e-5, forwards and backwards, with and without a padding
// mask, returnSequences on and off, with dropout and recurrent dropout while training (the same
// seeded generator state before each call: the stock cell's masks); the bidirectional layer uses
// them, and a model saved with them reloads through stock tf.loadLayersModel with the same
// predictions, and fused again by fuseLoadedModel. On cpu the ops run their JS path; on wasm the
// SIMD kernels (rnn.c), checked at sizes that reach every edge of their 4-lane loops and 4×8 product
// blocks: units not a multiple of 4 or 8, batch 1, a batch of 4 rows + 1, masked rows.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { fuseLoadedModel, fuseRecurrent } from '../../../src/layers/fused-rnn';
import { simdHeap } from '../../../src/backend/wasm-simd';
import { restoreGlobalRandom, seedGlobalRandom } from '../../../src/util/global-random';
import { layers } from '../../../src/layers/index';
import { useBackend } from '../../helpers/backend';

const B = 3;
const T = 5;
const D = 4;
const U = 3;

type Kind = 'lstm' | 'gru';
const make = (kind: Kind, o: Record<string, unknown>, units = U) => (kind === 'lstm' ? tf.layers.lstm({ units, ...o }) : tf.layers.gru({ units, ...o }));

/** A padding mask [b, t]: row s has length t − s·2 (at least 1; real tokens first, as the recipes pad). */
const lengthsMask = (b: number, t: number) => tf.tensor2d(Array.from({ length: b }, (_, s) => Array.from({ length: t }, (_, i) => (i < Math.max(1, t - 2 * s) ? 1 : 0))));

/** Output and the gradients of Σ output·R w.r.t. x and every weight. */
function run(layer: tf.layers.Layer, x: tf.Tensor3D, mask: tf.Tensor | undefined, R: tf.Tensor): { y: number[]; grads: number[][] } {
  return tf.tidy(() => {
    const f = () => layer.apply(x, mask ? { mask } : {}) as tf.Tensor;
    const y = Array.from(f().dataSync());
    const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(f(), R)) as tf.Scalar, vars);
    const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx, mask ? { mask } : {}) as tf.Tensor, R)))(x);
    return { y, grads: [Array.from(dx.dataSync()), ...vars.map((v) => Array.from(grads[v.name].dataSync()))] };
  });
}

const close = (got: number[], want: number[], what: string) => {
  assert.equal(got.length, want.length, what);
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5, `${what}[${i}]: ${v} vs stock ${want[i]}`));
};

/** Sizes [b, t, d, u] the stock comparison runs at on each backend. */
const SIZES: Record<'cpu' | 'wasm', Array<[number, number, number, number]>> = {
  cpu: [[B, T, D, U]],
  wasm: [[B, T, D, U], [5, 6, 7, 9], [1, 4, 5, 8], [4, 3, 2, 1]],
};

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`fused recurrent ops on ${backend}: outputs and gradients equal the stock layer's`, () => {
    before(async () => {
      await useBackend(backend);
      assert.equal(simdHeap() !== null, backend === 'wasm', 'the SIMD path is taken on wasm only');
    });
    for (const [b, t, d, u] of SIZES[backend]) {
      const cases: Array<{ kind: Kind; o: Record<string, unknown>; masked: boolean }> = [];
      for (const kind of ['lstm', 'gru'] as const) {
        for (const goBackwards of [false, true]) {
          for (const returnSequences of [true, false]) {
            for (const masked of [false, true]) cases.push({ kind, o: { goBackwards, returnSequences }, masked });
          }
        }
        cases.push({ kind, o: { returnSequences: true, recurrentActivation: 'sigmoid', activation: 'relu', useBias: false }, masked: true });
        cases.push({ kind, o: { returnSequences: true, goBackwards: true, recurrentActivation: 'tanh', activation: 'hardSigmoid' }, masked: true });
        cases.push({ kind, o: { returnSequences: true, recurrentActivation: 'hardSigmoid', activation: 'linear' }, masked: false });
      }
      for (const c of cases) {
        it(`[b ${b}, t ${t}, d ${d}, u ${u}] ${c.kind} ${JSON.stringify(c.o)}${c.masked ? ', padding mask' : ''}`, () => stockCase(c, b, t, d, u));
      }
    }
  });
}

/** One comparison with the stock layer (same weights, random biases, the lengthsMask when masked). */
function stockCase(c: { kind: Kind; o: Record<string, unknown>; masked: boolean }, b: number, t: number, d: number, u: number): void {
  const stock = make(c.kind, { ...c.o, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }, u);
  const fused = fuseRecurrent(c.kind, make(c.kind, c.o, u));
  const x = tf.randomNormal([b, t, d], 0, 1, 'float32', 2) as tf.Tensor3D;
  stock.apply(x);
  fused.apply(x);
  // Random biases too, so that a bias gradient or a wrong bias order shows.
  fused.setWeights(stock.getWeights().map((w, i) => (i === 2 ? tf.randomNormal(w.shape, 0, 1, 'float32', 3) : w)));
  stock.setWeights(fused.getWeights());
  const mask = c.masked ? lengthsMask(b, t) : undefined;
  const R = tf.randomNormal(c.o.returnSequences ? [b, t, u] : [b, u], 0, 1, 'float32', 4);
  const want = run(stock, x, mask, R);
  const before = tf.memory().numTensors;
  const got = run(fused, x, mask, R);
  assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  close(got.y, want.y, 'output');
  assert.equal(got.grads.length, want.grads.length);
  got.grads.forEach((g, k) => close(g, want.grads[k], ['∂x', '∂kernel', '∂recurrentKernel', '∂bias'][k]));
  tf.dispose([x, R, ...(mask ? [mask] : [])]);
  stock.dispose();
  fused.dispose();
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`fused recurrent ops on ${backend}`, () => {
    before(() => useBackend(backend));

    describe('with dropout while training', () => {
      /** Output and gradients w.r.t. x and every weight from one training call, the generator seeded to `state`. */
      const trainRun = (layer: tf.layers.Layer, x: tf.Variable, mask: tf.Tensor | undefined, R: tf.Tensor, state: number) =>
        tf.tidy(() => {
          seedGlobalRandom(0, state);
          const vars = [x, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
          let y: number[] = [];
          const { grads } = tf.variableGrads(() => {
            const out = layer.apply(x, { training: true, ...(mask ? { mask } : {}) }) as tf.Tensor;
            y = Array.from(out.dataSync());
            return tf.sum(tf.mul(out, R)) as tf.Scalar;
          }, vars);
          restoreGlobalRandom();
          return { y, grads: vars.map((v) => Array.from(grads[v.name].dataSync())) };
        });
      const dropCases: Array<{ kind: Kind; o: Record<string, unknown>; masked: boolean }> = [];
      for (const kind of ['lstm', 'gru'] as const) {
        dropCases.push({ kind, o: { dropout: 0.5 }, masked: false });
        dropCases.push({ kind, o: { recurrentDropout: 0.4 }, masked: true });
        dropCases.push({ kind, o: { dropout: 0.3, recurrentDropout: 0.5, goBackwards: true, recurrentActivation: 'sigmoid' }, masked: true });
      }
      for (const c of dropCases) {
        it(`${c.kind} ${JSON.stringify(c.o)}${c.masked ? ', padding mask' : ''}: outputs and gradients equal the stock layer's with the same masks`, () => {
          const o = { ...c.o, returnSequences: true };
          const stock = make(c.kind, { ...o, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) });
          const fused = fuseRecurrent(c.kind, make(c.kind, o));
          const x = tf.variable(tf.randomNormal([B, T, D], 0, 1, 'float32', 2) as tf.Tensor3D);
          stock.apply(x);
          fused.apply(x);
          fused.setWeights(stock.getWeights().map((w, i) => (i === 2 ? tf.randomNormal(w.shape, 0, 1, 'float32', 3) : w)));
          stock.setWeights(fused.getWeights());
          const mask = c.masked ? tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]]) : undefined;
          const R = tf.randomNormal([B, T, U], 0, 1, 'float32', 4);
          const want = trainRun(stock, x, mask, R, 12345);
          const got = trainRun(fused, x, mask, R, 12345);
          close(got.y, want.y, 'output');
          got.grads.forEach((g, k) => close(g, want.grads[k], ['∂x', '∂kernel', '∂recurrentKernel', '∂bias'][k]));
          // The masks matter: another generator state gives another output, and inference drops nothing.
          const other = trainRun(fused, x, mask, R, 999);
          assert.ok(other.y.some((v, i) => Math.abs(v - got.y[i]) > 1e-3), 'masks depend on the generator state');
          const plain = tf.tidy(() => Array.from((stock.apply(x, mask ? { mask } : {}) as tf.Tensor).dataSync()));
          close(tf.tidy(() => Array.from((fused.apply(x, mask ? { mask } : {}) as tf.Tensor).dataSync())), plain, 'inference output');
          assert.ok(plain.some((v, i) => Math.abs(v - got.y[i]) > 1e-3), 'training output differs from inference');
          tf.dispose([x, R, ...(mask ? [mask] : [])]);
          stock.dispose();
          fused.dispose();
        });
      }
    });

  });
}

describe('fused recurrent ops, saved', () => {
  before(() => useBackend('cpu'));

  it('bidirectional runs both directions fused, and its checkpoint reloads with stock tf.loadLayersModel', async () => {
    const input = tf.input({ shape: [T, D] });
    const ctx = { name: 'bi', nextSeed: (() => { let s = 10; return () => s++; })() } as unknown as Parameters<ReturnType<typeof layers.get>['create']>[1];
    const bi = layers.get('bidirectional').create({ layer: { lstm: { units: U, returnSequences: true } }, mergeMode: 'concat' } as never, ctx) as tf.layers.Layer;
    const model = tf.model({ inputs: input, outputs: bi.apply(input) as tf.SymbolicTensor });
    const wrapped = bi as unknown as { forwardLayer: tf.layers.Layer; backwardLayer: tf.layers.Layer };
    for (const l of [wrapped.forwardLayer, wrapped.backwardLayer]) {
      assert.ok(Object.prototype.hasOwnProperty.call(l, 'call'), `${l.name} calls the fused op`);
      assert.equal(l.getClassName(), 'LSTM');
    }
    const x = tf.randomNormal([2, T, D], 0, 1, 'float32', 5);
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const [p1, p2] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    close(Array.from(p1.dataSync()), Array.from(p2.dataSync()), 'reloaded prediction');
    // The reloaded layers are stock until fuseLoadedModel gives them the fused call again.
    const bi2 = loaded.layers.find((l) => l.getClassName() === 'Bidirectional') as unknown as { forwardLayer: tf.layers.Layer; backwardLayer: tf.layers.Layer };
    const own = () => [bi2.forwardLayer, bi2.backwardLayer].map((l) => Object.prototype.hasOwnProperty.call(l, 'call'));
    assert.deepEqual(own(), [false, false]);
    assert.equal(fuseLoadedModel(loaded), 2);
    assert.deepEqual(own(), [true, true]);
    const p3 = loaded.predict(x) as tf.Tensor;
    close(Array.from(p3.dataSync()), Array.from(p1.dataSync()), 'fused reloaded prediction');
    tf.dispose([x, p1, p2, p3]);
    model.dispose();
    loaded.dispose();
  });
});

describe('fused recurrent ops inside a model on wasm', () => {
  before(() => useBackend('wasm'));

  it('embedding → bidirectional gru → dense: the loss gradient of every weight equals the stock layers\'', () => {
    const build = (fused: boolean) => {
      const input = tf.input({ shape: [T], dtype: 'int32' });
      const e = tf.layers.embedding({ inputDim: 9, outputDim: D, maskZero: true, embeddingsInitializer: tf.initializers.randomNormal({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
      const bi = tf.layers.bidirectional({ layer: tf.layers.gru({ units: U, returnSequences: true, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 3 }) }), mergeMode: 'concat' });
      const wrapped = bi as unknown as { forwardLayer: tf.layers.Layer; backwardLayer: tf.layers.Layer };
      if (fused) for (const l of [wrapped.forwardLayer, wrapped.backwardLayer]) fuseRecurrent('gru', l);
      const out = tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(bi.apply(e)) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: out });
    };
    const [stock, fused] = [build(false), build(true)];
    fused.setWeights(stock.getWeights());
    // Token 0 is padding: the embedding's mask reaches both directions.
    const x = tf.tensor2d([[3, 1, 4, 0, 0], [5, 8, 2, 6, 7]], undefined, 'int32');
    const grads = (m: tf.LayersModel) =>
      tf.tidy(() => {
        const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
        const { grads: g } = tf.variableGrads(() => tf.sum(tf.square(m.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, vars);
        return vars.map((v) => Array.from(g[v.name].dataSync()));
      });
    const [want, got] = [grads(stock), grads(fused)];
    assert.equal(got.length, want.length);
    got.forEach((g, k) => close(g, want[k], `∂ weight ${k}`));
    x.dispose();
    stock.dispose();
    fused.dispose();
  });
});
