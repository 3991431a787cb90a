// Tests the pooled path of a convolution's gradients (conv-pooled.c via wasm-conv-pooled.ts): a one-kernel
// conv layer (relu or linear) whose output a 2×2 / 2 max pooling reads takes its weight and input
// gradients from the pooling's codes and pooled gradient. Against the cpu backend over filter sizes,
// channel counts whose rows (fw·c floats for the weights, (fw + 1)·c for the input) end in a partial
// vector or fill whole ones (two blocks of vectors at quickstart's second layer), 'same' padding,
// batch 1, ties and dead relus; one case by hand; the cases it must leave to the dense kernels (stride 2,
// a pooling that drops a row, the conv output read twice, rows shorter than a vector), still right there;
// and the rule that a source whose data was disposed is not used.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { pooledRuns } from '../../../src/backend/wasm-conv-pooled';
import { pooledGradient } from '../../../src/backend/wasm-pool-grads';
import { oneKernel } from '../../../src/layers/one-kernel';
import { useBackend } from '../../helpers/backend';
import { assertClose, on, values } from './wasm-compare';

interface Case {
  label: string;
  n: number;
  h: number;
  w: number;
  c: number;
  oc: number;
  k: number;
  pad?: 'same' | 'valid';
  relu?: boolean;
  stride?: number;
  /** Inputs rounded to halves: many equal values (ties in the windows, relus at exactly 0). */
  ties?: boolean;
  /** The conv output also summed into the loss (read twice: its gradient is an Add's, not the pooling's). */
  twice?: boolean;
}

/** Gradients of Σ r ⊙ maxPool(conv(x)) (+ Σ conv(x) when twice) for x, the kernel and the bias. */
function grads(cs: Case, wrap: boolean): () => tf.Tensor[] {
  return () => {
    const conv = tf.layers.conv2d({
      filters: cs.oc,
      kernelSize: cs.k,
      strides: cs.stride ?? 1,
      padding: cs.pad ?? 'valid',
      activation: cs.relu === false ? 'linear' : 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }),
      biasInitializer: tf.initializers.constant({ value: 0.02 }),
    });
    const layer = wrap ? oneKernel(conv) : conv;
    const raw = values(cs.n * cs.h * cs.w * cs.c, 91);
    const x = tf.tensor4d(cs.ties ? raw.map((v) => Math.round(v * 2) / 2) : raw, [cs.n, cs.h, cs.w, cs.c]);
    const y0 = layer.apply(x) as tf.Tensor4D;
    const pooledShape = tf.maxPool(y0, 2, 2, 'valid').shape;
    const r = tf.tensor(values(pooledShape.reduce((a, b) => a * b, 1), 92), pooledShape);
    const f = (a: tf.Tensor) => {
      const y = layer.apply(a) as tf.Tensor4D;
      const loss = tf.sum(tf.mul(tf.maxPool(y, 2, 2, 'valid'), r));
      return cs.twice ? tf.add(loss, tf.mul(tf.sum(y), 0.1)) : loss;
    };
    const ws = layer.trainableWeights.map((v) => (v as unknown as { read(): tf.Variable }).read());
    return tf.grads((a: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => (void k, void b, f(a)))([x, ...ws]);
  };
}

/** Runs the case on wasm (one-kernel layer) and cpu (tfjs's layer); how many gradients took the pooled path. */
async function check(cs: Case): Promise<{ filter: number; input: number }> {
  const before = { ...pooledRuns };
  const got = await on('wasm', grads(cs, true));
  const ran = { filter: pooledRuns.filter - before.filter, input: pooledRuns.input - before.input };
  const want = await on('cpu', grads(cs, false));
  ['dx', 'dw', 'db'].forEach((name, i) => assertClose(got[i], want[i], `${cs.label} ${name}`, 2e-6, 1e-7));
  return ran;
}

const COVERED: Case[] = [
  { label: "quickstart's stem: 9×9, one channel → 10 (rows of 9 floats)", n: 3, h: 36, w: 36, c: 1, oc: 10, k: 9 },
  { label: "quickstart's second layer: 5×5×10 → 20 (rows of 50)", n: 2, h: 14, w: 14, c: 10, oc: 20, k: 5 },
  { label: '3×3×3 → 6, batch 1', n: 1, h: 10, w: 10, c: 3, oc: 6, k: 3 },
  { label: "'same' padding, 3×3×5 → 7 (rows of 15: a tail of 3)", n: 2, h: 8, w: 8, c: 5, oc: 7, k: 3, pad: 'same' },
  { label: "'same' padding, 5×5×4 → 9 (rows of whole vectors)", n: 2, h: 12, w: 10, c: 4, oc: 9, k: 5, pad: 'same' },
  { label: '2×2×2 → 5 (rows of exactly one vector), odd input', n: 2, h: 7, w: 11, c: 2, oc: 5, k: 2 },
  { label: '4×4×3 → 6 (input-gradient region rows of 15 floats: a tail of 3)', n: 2, h: 11, w: 9, c: 3, oc: 6, k: 4 },
  { label: '2×2×3 → 4, batch 1 (region rows of 9 floats: a tail of 1)', n: 1, h: 9, w: 9, c: 3, oc: 4, k: 2 },
  { label: 'linear activation (no relu mask)', n: 2, h: 10, w: 10, c: 3, oc: 5, k: 3, relu: false },
  { label: 'ties and relus at exactly 0', n: 2, h: 10, w: 10, c: 3, oc: 6, k: 3, ties: true },
];

const DENSE: Case[] = [
  { label: 'stride 2', n: 2, h: 13, w: 13, c: 3, oc: 4, k: 3, stride: 2 },
  { label: 'a conv output of odd size (the pooling drops its last row and column)', n: 2, h: 11, w: 11, c: 3, oc: 4, k: 3 },
  { label: 'the conv output read twice', n: 2, h: 10, w: 10, c: 3, oc: 4, k: 3, twice: true },
  { label: 'rows shorter than a vector (3×3, one channel)', n: 2, h: 10, w: 10, c: 1, oc: 4, k: 3 },
  { label: 'fewer than 4 filters (the pooling writes no codes)', n: 2, h: 10, w: 10, c: 3, oc: 3, k: 3 },
];

describe("a convolution's gradients from the max pooling after it", () => {
  before(() => useBackend('wasm'));

  for (const cs of COVERED) {
    it(`${cs.label}: dx, dw and db as on cpu, through the pooled path`, async () => {
      const ran = await check(cs);
      assert.deepEqual(ran, { filter: 1, input: 1 }, 'both gradients took the pooled path');
    });
  }

  for (const cs of DENSE) {
    it(`${cs.label}: the dense kernels, as on cpu`, async () => {
      const ran = await check(cs);
      assert.deepEqual(ran, { filter: 0, input: 0 });
    });
  }

  it('by hand: one window, its maximum at row 1, column 0: dw is r times the input window there, dx Σ r·w placed there', async () => {
    // x [1, 3, 3, 2]; filter o = (o + 1)·w0, w0 [2, 2, 2], no bias: each conv output is 2×2, pooled to one
    // value per filter, all with their maximum at the same place (checked below); 4 filters, as the
    // pooling writes codes from 4 channels on.
    const xs = [0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 3, 2, 1, 1, 0, 0];
    const w0 = [0.5, -0.25, 0.125, 1, 0.75, 0.5, -0.5, 0.25];
    const r = [1.5, -0.5, 2, 0.25];
    const before = { ...pooledRuns };
    const got = await on('wasm', () => {
      const conv = oneKernel(tf.layers.conv2d({ filters: 4, kernelSize: 2, activation: 'relu', useBias: false, kernelInitializer: 'zeros' }));
      const x = tf.tensor4d(xs, [1, 3, 3, 2]);
      conv.apply(x);
      conv.setWeights([tf.tensor4d(w0.flatMap((v) => r.map((_, o) => v * (o + 1))), [2, 2, 2, 4])]);
      const f = (a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(conv.apply(a) as tf.Tensor4D, 2, 2, 'valid'), tf.tensor1d(r)));
      const k = (conv.trainableWeights[0] as unknown as { read(): tf.Variable }).read();
      return [...tf.grads((a: tf.Tensor, kk: tf.Tensor) => (void kk, f(a)))([x, k]), conv.apply(x) as tf.Tensor];
    });
    assert.deepEqual({ filter: pooledRuns.filter - before.filter, input: pooledRuns.input - before.input }, { filter: 1, input: 1 });
    // Filter 0's output by hand: y[a, b] = Σ_{i, j, c} x[a + i, b + j, c] · w0[i, j, c].
    const xAt = (row: number, col: number, c: number) => xs[(row * 3 + col) * 2 + c];
    const wAt = (i: number, j: number, c: number) => w0[(i * 2 + j) * 2 + c];
    const y = [0, 1].flatMap((a) => [0, 1].map((b) => [0, 1].reduce((s, i) => s + [0, 1].reduce((t, j) => t + xAt(a + i, b + j, 0) * wAt(i, j, 0) + xAt(a + i, b + j, 1) * wAt(i, j, 1), 0), 0)));
    assert.deepEqual(Array.from(got[2]).filter((_, i) => i % 4 === 0), y.map((v) => Math.max(v, 0)), 'the forward as computed by hand');
    const win = y.indexOf(Math.max(...y));
    assert.equal(win, 2, 'the test means output (1, 0) to win');
    const [a, b] = [win >> 1, win & 1];
    const dx = new Array<number>(18).fill(0);
    const dw = new Array<number>(32).fill(0);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        for (let c = 0; c < 2; c++) {
          dx[((a + i) * 3 + b + j) * 2 + c] = r.reduce((s, ro, o) => s + ro * (o + 1) * wAt(i, j, c), 0);
          r.forEach((ro, o) => (dw[((i * 2 + j) * 2 + c) * 4 + o] = ro * xAt(a + i, b + j, c)));
        }
      }
    }
    assertClose(got[0], Float32Array.from(dx), 'dx', 1e-6, 0);
    // (+0 for −0: a sum starts at +0.)
    assert.deepEqual(Array.from(got[1]), dw.map((v) => v + 0));
  });

  it("a pooled source whose data was disposed is not used (each read checks it is alive)", async () => {
    await useBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const x = tf.tensor4d(values(2 * 4 * 4 * 4, 93), [2, 4, 4, 4]);
    let y: tf.Tensor | undefined;
    tf.grad((v: tf.Tensor) => {
      y = tf.keep(tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid'));
      return tf.sum(y);
    })(x);
    const dy = tf.tensor4d(values(2 * 2 * 2 * 4, 94), [2, 2, 2, 4]);
    const dx = tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y! }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor;
    assert.ok(pooledGradient(backend, dx), 'the coded gradient leaves its source');
    dy.dispose();
    assert.equal(pooledGradient(backend, dx), undefined, 'dp disposed: no source');
    tf.dispose([x, y!, dx]);
  });
});
