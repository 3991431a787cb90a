// The CRF's SIMD kernels (src/backend/simd/crf.c via src/layers/crf-simd.ts) against independent
// references: their exp and log against Math.exp and Math.log over the whole float32 range; the NLL
// and its gradients against the JS loops (crf-ops.ts, float64) on shapes that reach every edge of the
// kernels' 4- and 32-tag blocks (K = 1, odd K, K past a 32-block), T = 1, batch 1, padded and empty
// rows; the transition gradient where the factorised pair marginals would overflow against autodiff
// of the op-by-op implementation; Viterbi against the JS decoder, path for path, ties included.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { release, heapF32 } from '../../../src/backend/wasm-ops';
import { heapOffset, simdKernels } from '../../../src/backend/wasm-simd';
import { tokenMask, viterbiDecode, viterbiDecodeJs } from '../../../src/layers/crf';
import { crfNllFused } from '../../../src/layers/crf-ops';
import { simdHeap } from '../../../src/backend/wasm-simd';
import { mulberry32 } from '../../../src/util/random';
import { useBackend } from '../../helpers/backend';
import { crfNllAutodiff } from '../../helpers/crf-reference';

/** Runs crf_exp or crf_log over xs on the heap. */
function kernelMap(name: 'crf_exp' | 'crf_log', xs: Float32Array): Float32Array {
  const backend = tf.backend() as unknown as BackendWasm;
  const k = simdKernels(backend)!;
  const [x, y] = [backend.makeOutput([xs.length], 'float32'), backend.makeOutput([xs.length], 'float32')];
  heapF32(backend, x).set(xs);
  k[name](xs.length, heapOffset(backend, x), heapOffset(backend, y));
  const out = Float32Array.from(heapF32(backend, y));
  release(backend, x, y);
  return out;
}

const uniform = (seed: number, n: number, lo: number, hi: number) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => lo + r() * (hi - lo));
};

describe('crf SIMD kernels: exp and log', () => {
  before(() => useBackend('wasm'));

  it('exp is within 1.2e-7 relative (2 float32 ulps) of Math.exp on [ln FLT_MIN, 88.37]; 0 below, ∞ above, NaN for NaN', () => {
    // A grid and random points (odd count: the scalar tail runs too), every one rounded to float32 first.
    const xs = Float32Array.from([...uniform(1, 20001, -87.33, 88.37), ...Array.from({ length: 3001 }, (_, i) => -87.33 + i * ((88.37 + 87.33) / 3000)), 0, -0, 1e-30, -1e-30, 1, -1]);
    const got = kernelMap('crf_exp', xs);
    let worst = 0;
    xs.forEach((x, i) => (worst = Math.max(worst, Math.abs(got[i] - Math.exp(x)) / Math.exp(x))));
    assert.ok(worst < 1.2e-7, `worst relative error ${worst}`);
    const edges = Float32Array.from([-87.4, -100, -1e4, -3e38, -Infinity, 88.4, 89, 1e4, Infinity, NaN]);
    assert.deepEqual(Array.from(kernelMap('crf_exp', edges)), [0, 0, 0, 0, 0, Infinity, Infinity, Infinity, Infinity, NaN]);
  });

  it('log is within 1.2e-7 (absolute, or relative past |ln x| > 1) of Math.log from subnormals to FLT_MAX', () => {
    const xs = Float32Array.from([...uniform(2, 20001, -103, 88.7).map(Math.exp), ...uniform(3, 2001, 0.5, 2), 1, 2, 1e-45, 1.1754942e-38, 1.1754944e-38, 3.4028235e38]);
    const got = kernelMap('crf_log', xs);
    xs.forEach((x, i) => {
      if (x === 0 || !Number.isFinite(x)) return;
      const want = Math.log(x);
      assert.ok(Math.abs(got[i] - want) <= 1.2e-7 * Math.max(1, Math.abs(want)), `ln ${x}: ${got[i]} vs ${want}`);
    });
    assert.deepEqual(Array.from(kernelMap('crf_log', Float32Array.from([0, -0, -1, -Infinity, Infinity, NaN]))), [-Infinity, -Infinity, NaN, NaN, Infinity, NaN]);
  });
});

interface Case {
  name: string;
  K: number;
  lengths: number[];
  T: number;
  scale?: number;
}

/** Random emissions/transitions/tags for lengths (tags −1 after each length), as tensors. */
function problem(c: Case, seed: number) {
  const b = c.lengths.length;
  const r = mulberry32(seed);
  const s = c.scale ?? 2;
  const rnd = (n: number) => Array.from({ length: n }, () => (r() * 2 - 1) * s);
  const tags = c.lengths.flatMap((L) => Array.from({ length: c.T }, (_, t) => (t < L ? Math.floor(r() * c.K) : -1)));
  return {
    e: tf.tensor3d(rnd(b * c.T * c.K), [b, c.T, c.K]),
    a: tf.tensor2d(rnd(c.K * c.K), [c.K, c.K]),
    st: tf.tensor1d(rnd(c.K)),
    en: tf.tensor1d(rnd(c.K)),
    y: tf.tensor2d(tags, [b, c.T], 'int32'),
  };
}

/** Values and gradients (weighted by dy so rows differ) of the fused op, SIMD or JS loops. */
function run(c: Case, seed: number, simd: boolean): number[][] {
  return tf.tidy(() => {
    const { e, a, st, en, y } = problem(c, seed);
    const m = tokenMask(y);
    const dy = tf.tensor1d(c.lengths.map((_, i) => 1 + 0.5 * i));
    const f = (...x: tf.Tensor[]) => tf.sum(tf.mul(crfNllFused(x[0], y, m, x[1], x[2], x[3], simd), dy));
    const g = tf.grads(f)([e, a, st, en]);
    return [crfNllFused(e, y, m, a, st, en, simd), ...g].map((t) => Array.from(t.dataSync()));
  });
}

function close(got: number[], want: number[], tol: number, what: string): void {
  assert.equal(got.length, want.length);
  want.forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= tol * Math.max(1, Math.abs(v)), `${what}[${i}]: ${got[i]} vs ${v}`));
}

describe('crf SIMD kernels: NLL and gradients against the JS loops', () => {
  before(() => useBackend('wasm'));

  it('the wasm backend runs the op through the kernels', () => {
    const t = tf.zeros([1, 1, 1]);
    assert.ok(simdHeap(t), 'simd kernels on wasm');
    t.dispose();
  });

  const cases: Case[] = [
    { name: 'K = 1', K: 1, T: 3, lengths: [3, 1] },
    { name: 'K = 5 (one 4-tag block and a padded one), padding and an empty row', K: 5, T: 6, lengths: [6, 2, 0, 4] },
    { name: 'K = 7, T = 1', K: 7, T: 1, lengths: [1, 1, 0] },
    { name: 'K = 37 (a 32-tag block and two 4-tag blocks), batch 1', K: 37, T: 5, lengths: [5] },
    { name: 'K = 127 (the seed corpus), padded rows', K: 127, T: 9, lengths: [9, 4, 1], scale: 4 },
    { name: 'K = 66, scores tens of nats apart', K: 66, T: 6, lengths: [6, 3], scale: 30 },
  ];
  for (const c of cases)
    it(`equal values and gradients, ${c.name}`, () => {
      const [simd, js] = [run(c, 7 + c.K, true), run(c, 7 + c.K, false)];
      ['nll', '∂E', '∂A', '∂start', '∂end'].forEach((what, k) => close(simd[k], js[k], 2e-5, what));
    });

  it('a row with a tag outside [0, K) gets NaN and no gradient; the other rows are untouched', () => {
    const c: Case = { name: 'bad tag', K: 5, T: 4, lengths: [4, 3] };
    const [nll, dE, good] = tf.tidy(() => {
      const { e, a, st, en, y } = problem(c, 3);
      const bad = tf.tensor2d([...y.dataSync().slice(0, 4), 2, 5, 1, -1], [2, 4], 'int32'); // row 1: tag 5 = K
      const f = (x: tf.Tensor) => crfNllFused(x, bad, tokenMask(bad), a, st, en);
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x), tf.tensor1d([1, 1]))))(e);
      const alone = crfNllFused(tf.slice(e, [0, 0, 0], [1, 4, 5]), tf.slice(bad, [0, 0], [1, 4]), tokenMask(tf.slice(bad, [0, 0], [1, 4])), a, st, en);
      return [Array.from(f(e).dataSync()), Array.from(g.dataSync()), alone.dataSync()[0]];
    });
    assert.ok(Number.isNaN(nll[1]), `row 1: ${nll[1]}`);
    assert.ok(Math.abs(nll[0] - good) < 1e-6, `row 0: ${nll[0]} vs ${good} alone`);
    assert.ok(dE.slice(20).every((v) => v === 0), 'no gradient into the bad row');
  });

  it('the transition gradient stays exact where κ·u ⊗ w would overflow (transitions 900 nats apart)', () => {
    const K = 3;
    const T = 4;
    const a = [0, -900, 0, 0, 0, 0, 0, -900, 0];
    const r = mulberry32(31);
    const e = Array.from({ length: T * K }, (_, i) => r() * 4 - 2 + (i >= K && i % K === 1 ? 1000 : 0));
    const grads = (f: typeof crfNllAutodiff) =>
      tf.tidy(() => {
        const y = tf.tensor2d([[0, 1, 1, 1]], [1, T], 'int32');
        const g = tf.grads((x: tf.Tensor, A: tf.Tensor) => tf.sum(f(x, y, tokenMask(y), A as tf.Tensor2D, tf.tensor1d([0, -900, 0]), tf.zeros([K]) as tf.Tensor1D)));
        return g([tf.tensor3d(e, [1, T, K]), tf.tensor2d(a, [K, K])]).map((t) => Array.from(t.dataSync()));
      });
    const [got, want] = [grads(crfNllFused), grads(crfNllAutodiff)];
    close(got[1], want[1], 1e-4, '∂A');
    close(got[0], want[0], 1e-4, '∂E');
  });
});

describe('crf SIMD kernels: Viterbi', () => {
  before(() => useBackend('wasm'));

  const decode = (c: Case, seed: number, round: boolean) => {
    const { e, a, st, en } = problem(c, seed);
    // Rounded scores make equal path scores (ties) common: both decoders must pick the same tags.
    const d = [e, a, st, en].map((t) => Float32Array.from(t.dataSync(), (v) => (round ? Math.round(v) : v)));
    tf.dispose([e, a, st, en]);
    const b = c.lengths.length;
    return [viterbiDecode, viterbiDecodeJs].map((f) => Array.from(f(d[0], b, c.T, c.K, d[1], d[2], d[3], c.lengths)));
  };
  for (const c of [
    { name: 'K = 1', K: 1, T: 4, lengths: [4, 2] },
    { name: 'K = 3, T = 1, an empty row', K: 3, T: 1, lengths: [1, 0, 1] },
    { name: 'K = 9, padding, batch 1', K: 9, T: 7, lengths: [5] },
    { name: 'K = 127', K: 127, T: 12, lengths: [12, 7, 3, 1] },
  ])
    it(`the same paths as the JS decoder, ${c.name} (and with ties)`, () => {
      for (const round of [false, true]) {
        const [simd, js] = decode(c, 50 + c.K, round);
        assert.deepEqual(simd, js);
      }
    });

  it('decodes a hand-made chain: transitions forbid 0→0, emissions prefer 0 everywhere', () => {
    // 2 tags, 3 steps; E favours tag 0 by 1 at every step, A(0, 0) = −5: best path 0, 1, 0 (score 2 − 0 + …).
    const path = viterbiDecode([1, 0, 1, 0, 1, 0], 1, 3, 2, [-5, 0, 0, 0], [0, 0], [0, 0]);
    assert.deepEqual(Array.from(path), [0, 1, 0]);
  });
});
