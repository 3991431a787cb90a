// Tests max pooling on mtl's SIMD module (pool.c via wasm-pool-grads.ts), forward and gradient,
// against the cpu backend over window sizes, strides, paddings, odd sizes, batch 1 and channel
// counts with and without a vector tail, with many ties; NaN, −∞ and ±0 by hand (the first maximum
// by strict >, as the cpu backend; tfjs-backend-wasm's XNNPACK kernel answers differently).
// MaxPoolGrad of a relu's output with the relu's mask fused in: by definition (NaN, ±0, negatives)
// and, in a conv2d → maxPool model, as tfjs's own layers (the bias gradient, summed per
// image by the pooling gradient, against its closed form). 2×2 pooling under a gradient
// tape, whose gradient reads the forward's code bytes instead of x: the codes by hand, the gradient as
// on cpu and as from x (relu mask, ties, ±0, −∞ windows, NaN images falling back to x), codes freed
// with the output. Also PadV2 of the spatial axes (wasm-pad.ts, channels.c) and its gradient against
// the cpu backend.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { markReluOutput } from '../../../src/backend/wasm-elementwise';
import { oneKernel } from '../../../src/layers/one-kernel';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapView } from '../../../src/backend/wasm-ops';
import { poolCodes } from '../../../src/backend/wasm-pool-grads';
import { heapOffset, simdKernels } from '../../../src/backend/wasm-simd';
import { useBackend } from '../../helpers/backend';
import { assertClose, compare, on, size, values } from './wasm-compare';

type Case = [batch: number, h: number, w: number, c: number, pool: number | [number, number], stride: number | [number, number], pad: 'same' | 'valid' | number];

const CASES: Case[] = [
  [1, 4, 4, 1, 2, 2, 'valid'],
  [3, 8, 8, 8, 2, 2, 'valid'],
  [2, 7, 9, 10, 2, 2, 'valid'], // odd: last row and column unread; 10 channels: two vectors and a tail of 2
  [2, 7, 9, 5, 2, 2, 'same'], // windows cut by the edge
  [1, 9, 9, 13, 3, 2, 'same'], // overlapping windows
  [2, 16, 16, 8, 3, 2, 'valid'], // a ResNet stem's pooling (after its zero padding)
  [2, 6, 7, 4, 3, 1, 'valid'],
  [1, 10, 11, 6, 3, 3, 'same'],
  [2, 8, 6, 7, [2, 3], [1, 2], 'same'],
  [1, 5, 5, 9, 5, 1, 'valid'], // one window over everything
  [1, 7, 7, 4, 3, 2, 1],
];

const name = ([b, h, w, c, p, s, pad]: Case) => `b${b} ${h}x${w}x${c} pool${p} s${s} ${pad}`;

/** y = maxPool(x) and d/dx of Σ y ⊙ r; `quantise` makes many ties. */
function pool([b, h, w, c, p, s, pad]: Case, quantise: boolean): () => tf.Tensor[] {
  return () => {
    const raw = values(b * h * w * c, 61);
    const x = tf.tensor4d(quantise ? raw.map((v) => Math.round(v * 2) / 2) : raw, [b, h, w, c]);
    const f = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, p, s, pad);
    const y = f(x);
    const r = tf.tensor(values(size(y.shape), 62), y.shape);
    return [y, tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r)))(x)];
  };
}

describe('max pooling on the SIMD module', () => {
  before(() => useBackend('wasm'));

  for (const c of CASES) {
    it(`${name(c)}: forward and gradient as on cpu`, () => compare(name(c), pool(c, false)));
    it(`${name(c)}, with ties`, () => compare(name(c), pool(c, true)));
  }

  it('overlapping windows over NaN and −∞ sprinkled in: forward and gradient as on cpu', () =>
    compare('nan', () => {
      const shape: [number, number, number, number] = [2, 7, 7, 6];
      const x = tf.tensor4d(values(size(shape), 63).map((v, i) => (i % 7 === 3 ? NaN : i % 11 === 5 ? -Infinity : v)), shape);
      const f = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 3, 2, 'same');
      const r = tf.tensor(values(2 * 4 * 4 * 6, 64), [2, 4, 4, 6]);
      return [f(x), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r)))(x)];
    }));

  it('NaN never wins, ties and ±0 go to the first, −∞ windows give −∞ and pass nothing (scalar and vector lanes)', async () => {
    // One 4×4 image, 2×2 windows: [NaN 1 | 2 3], [NaN NaN | NaN NaN], [−1 NaN | −5 −2], [0 −0 | −0 0].
    const img = [NaN, 1, 2, 3, NaN, NaN, NaN, NaN, -1, NaN, -5, -2, 0, -0, -0, 0];
    const ninf = -Infinity;
    const img2 = [ninf, ninf, 4, 4, ninf, ninf, 4, 4, 7, 7, 7, 7, 7, 7, 7, 7];
    const wantY = [[1, 3, 0, -0], [ninf, 4, 7, 7]];
    const wantDx = [[0, 5, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 8, 0], [0, 0, 6, 0, 0, 0, 0, 0, 7, 0, 8, 0, 0, 0, 0, 0]];
    // c = 1 (scalar lanes) and c = 4 (one vector: the channels are four copies of one image).
    for (const c of [1, 4]) {
      for (const [k, data] of [img, img2].entries()) {
        const [y, dx] = await on('wasm', () => {
          const x = tf.tensor4d(data.flatMap((v) => Array(c).fill(v)), [1, 4, 4, c]);
          const r = tf.tensor4d([5, 6, 7, 8].flatMap((v) => Array(c).fill(v)), [1, 2, 2, c]);
          const f = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid');
          return [f(x), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r)))(x)];
        });
        const ch0 = (a: Float32Array) => Array.from(a).filter((_, i) => i % c === 0);
        assert.deepEqual(ch0(y), wantY[k], `y, c ${c}, image ${k}`);
        assert.ok(ch0(y).every((v, i) => Object.is(v, wantY[k][i])), `signed zeros of y, c ${c}, image ${k}: ${ch0(y)}`);
        assert.deepEqual(ch0(dx), wantDx[k], `dx, c ${c}, image ${k}`);
      }
    }
  });

  const PADS: Array<[number[], Array<[number, number]>, number]> = [
    [[2, 28, 28, 1], [[0, 0], [3, 3], [3, 3], [0, 0]], 0], // a ResNet stem's zeroPadding2d
    [[1, 5, 7, 6], [[0, 0], [1, 0], [0, 2], [0, 0]], 0], // uneven; rows of 42 floats (a tail of 2)
    [[3, 4, 3, 5], [[0, 0], [0, 0], [2, 1], [0, 0]], -1.5], // columns only, a constant
    [[2, 3, 3, 4], [[0, 0], [0, 0], [0, 0], [0, 0]], 0], // nothing to pad
    [[2, 3, 3, 4], [[1, 0], [1, 1], [0, 0], [0, 2]], 0], // batch and channel axes: tfjs's own kernel
  ];
  for (const [shape, pads, value] of PADS) {
    it(`PadV2 [${shape}] by ${JSON.stringify(pads)} with ${value}: output and gradient as on cpu`, () =>
      compare('pad', () => {
        const x = tf.tensor(values(size(shape), 65), shape);
        const f = (a: tf.Tensor) => tf.pad(a, pads, value);
        const y = f(x);
        const r = tf.tensor(values(size(y.shape), 66), y.shape);
        return [y, tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r)))(x)];
      }));
  }

  it('MaxPoolGrad of a marked relu output: dx·step(x) by definition (NaN, 0, negatives, c with a tail)', async () => {
    await useBackend('wasm');
    const c = 5;
    const base = [3, 0, -1, 2, NaN, 1, 0, 0, 4, -2, 7, NaN, 0, 0, 0, 0];
    const xs = Array.from({ length: 16 * c }, (_, i) => base[(Math.floor(i / c) + 3 * (i % c)) % 16]);
    const dys = Array.from({ length: 4 * c }, (_, i) => (i % 3) - 1.25);
    const [plain, fused] = [false, true].map((relu) =>
      tf.tidy(() => {
        const x = tf.tensor4d(xs, [1, 4, 4, c]);
        if (relu) markReluOutput(x);
        const dx = tf.engine().runKernel('MaxPoolGrad', { dy: tf.tensor4d(dys, [1, 2, 2, c]), input: x, output: tf.maxPool(x, 2, 2, 'valid') }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor;
        return Array.from(dx.dataSync());
      }),
    );
    const step = (v: number) => (Number.isNaN(v) ? NaN : v > 0 ? 1 : 0);
    const want = plain.map((d, i) => Math.fround(d * step(xs[i])));
    assert.ok(fused.every((v, i) => Object.is(v, want[i])), `fused ${fused}\nwant ${want}`);
    assert.ok(plain.some((v, i) => v !== 0 && !(xs[i] > 0)) || plain.some((v, i) => Number.isNaN(want[i]) && !Number.isNaN(v)), 'the mask changes something here');
  });

  it('conv2d (relu, one kernel) → maxPool 2×2: input and kernel gradients as tfjs\'s own layers (the pooled path: wasm-conv-pooled.test.ts); the bias gradient from the pooling gradient\'s per-image sums, Σ r·step(max) by hand', async () => {
    const run = (wrap: boolean) => () => {
      const conv = tf.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }), biasInitializer: 'zeros' });
      const layer = wrap ? oneKernel(conv) : conv;
      const x = tf.tensor4d(values(2 * 10 * 10 * 3, 67), [2, 10, 10, 3]); // conv 8×8: windows tile it
      layer.apply(x);
      const ws = layer.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read());
      const r = tf.tensor4d(values(2 * 4 * 4 * 6, 68), [2, 4, 4, 6]);
      const pooled = (a: tf.Tensor) => tf.maxPool(layer.apply(a) as tf.Tensor4D, 2, 2, 'valid');
      const f = (a: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => (void k, void b, tf.sum(tf.mul(pooled(a), r)));
      return [...tf.grads(f)([x, ...ws]), pooled(x), r];
    };
    const [fused, stock] = [await on('wasm', run(true)), await on('wasm', run(false))];
    // The pooled path sums the same nonzero terms as tfjs's dense kernels, in another order.
    for (const i of [0, 1]) assertClose(fused[i], stock[i], `gradient ${i}`, 1e-6, 0);
    // d/db Σ maxPool(relu(z + b)) ⊙ r = Σ over windows of r · step(the window's maximum), per channel.
    const [y, r] = [fused[3], fused[4]];
    const [want, scale] = [new Float64Array(6), new Float64Array(6)];
    y.forEach((v, i) => ((want[i % 6] += v > 0 ? r[i] : 0), (scale[i % 6] += Math.abs(r[i]))));
    for (const got of [fused[2], stock[2]]) got.forEach((v, c) => assert.ok(Math.abs(v - want[c]) <= 1e-6 * scale[c], `bias ${c}: ${v} vs ${want[c]}`));
  });

  describe('2×2 pooling under a gradient tape: the gradient from the forward\'s codes', () => {
    it('codes by hand: the first maximum\'s place, 4 for a window that never beats −∞, bit 3 for a maximum > 0; an image with a NaN flagged', async () => {
      await useBackend('wasm');
      // Two images 2×4, c = 4: two windows each; lane j of window q is the j-th column below.
      // window (a0, a1, a2, a3) per lane:
      const windows = [
        [[1, 3, 3, 2], [0, -0, -0, 0], [-Infinity, -Infinity, -Infinity, -Infinity], [-1, -5, -1, -2]],
        [[2, 2, 2, 2], [-3, -1, -2, -1], [5, 4, 6, 6], [-Infinity, -7, -Infinity, -Infinity]],
        [[NaN, 1, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1]], // image 2: a NaN
        [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
      ];
      const want = [[1 | 8, 0, 4, 0], [0 | 8, 1, 2 | 8, 1], [1 | 8, 0, 0 | 8, 0 | 8], [0, 0, 0, 0]];
      const wantY = [[3, 0, -Infinity, -1], [2, -1, 6, -7], [1, 0, 1, 1], [0, 0, 0, 0]];
      // x [2, 2, 4, 4]: image b, row r, column 2q + s holds a_{2r+s} of window (b, q).
      const x = new Float32Array(2 * 2 * 4 * 4);
      windows.forEach((win, w) => {
        const [b, q] = [w >> 1, w & 1];
        for (let lane = 0; lane < 4; lane++) {
          for (let i = 0; i < 4; i++) x[((b * 2 + (i >> 1)) * 4 + 2 * q + (i & 1)) * 4 + lane] = win[lane][i];
        }
      });
      const backend = tf.backend() as BackendWasm;
      const [xt, yt] = [tf.tensor4d(x, [2, 2, 4, 4]), tf.zeros([2, 1, 2, 4])];
      const codes = backend.makeOutput([16 + 2], 'bool');
      try {
        simdKernels()!.max_pool_2x2_codes(heapOffset(backend, xt), heapOffset(backend, yt), heapOffset(backend, codes), heapOffset(backend, codes) + 16, 2, 1, 2, 4);
        const bytes = Array.from(heapView(backend, codes));
        assert.deepEqual(bytes.slice(0, 16), want.flat(), 'codes');
        assert.deepEqual(bytes.slice(16), [0, 1], 'NaN flags per image');
        const y = Array.from(yt.dataSync());
        assert.ok(y.every((v, i) => Object.is(v, wantY.flat()[i])), `y ${y}`);
      } finally {
        tf.dispose([xt, yt]);
        backend.disposeData(codes.dataId);
      }
    });

    it('each image\'s column sums of dx, with or without relu, over channel counts with overlapping last vectors and two blocks (c 4, 6, 13, 17, 20)', async () => {
      await useBackend('wasm');
      const backend = tf.backend() as BackendWasm;
      const k = simdKernels()!;
      for (const c of [4, 6, 13, 17, 20]) {
        for (const relu of [0, 1]) {
          const [n, oh, ow] = [3, 2, 3];
          const x = tf.relu(tf.tensor4d(values(n * 4 * oh * ow * c, 80 + c), [n, 2 * oh, 2 * ow, c]));
          const dy = tf.tensor4d(values(n * oh * ow * c, 90 + c), [n, oh, ow, c]);
          const [y, dx, sums, codes] = [tf.zeros([n, oh, ow, c]), tf.zeros([n, 2 * oh, 2 * ow, c]), tf.zeros([n, c]), backend.makeOutput([n * oh * ow * c + n], 'bool')];
          const at = heapOffset(backend, codes);
          k.max_pool_2x2_codes(heapOffset(backend, x), heapOffset(backend, y), at, at + n * oh * ow * c, n, oh, ow, c);
          k.max_pool_grad_2x2_codes(at, heapOffset(backend, dy), heapOffset(backend, dx), heapOffset(backend, sums), n, oh, ow, c, relu);
          const [d, got] = [dx.dataSync(), sums.dataSync()];
          for (let b = 0; b < n; b++) {
            for (let ch = 0; ch < c; ch++) {
              let [want, scale] = [0, 0];
              for (let p = 0; p < 4 * oh * ow; p++) [want, scale] = [want + d[(b * 4 * oh * ow + p) * c + ch], scale + Math.abs(d[(b * 4 * oh * ow + p) * c + ch])];
              assert.ok(Math.abs(got[b * c + ch] - want) <= 1e-6 * scale + 1e-12, `c ${c} relu ${relu} image ${b} channel ${ch}: ${got[b * c + ch]} vs ${want}`);
            }
          }
          assert.ok(got.some((v) => v !== 0), 'sums written');
          tf.dispose([x, dy, y, dx, sums]);
          backend.disposeData(codes.dataId);
        }
      }
    });

    const TILED: Array<[number, number, number, number]> = [
      [1, 2, 2, 4],
      [3, 6, 8, 5], // a tail of 1: the last vector overlaps
      [2, 8, 8, 10], // LeNet's 10 channels: 4 + 4 + overlapping 4
      [1, 4, 6, 12],
      [2, 4, 4, 13],
    ];
    for (const [b, h, w, c] of TILED) {
      for (const ties of [false, true]) {
        it(`b${b} ${h}x${w}x${c}${ties ? ', with ties and zeros' : ''}: forward and gradient as on cpu, through the codes`, async () => {
          await compare(`tiled ${h}x${w}x${c}`, pool([b, h, w, c, 2, 2, 'valid'], ties));
          await useBackend('wasm');
          const x = tf.tensor4d(values(b * h * w * c, 76), [b, h, w, c]);
          const y = tapePool(x);
          assert.ok(poolCodes(y), 'the pooling under the tape wrote codes');
          tf.dispose([x, y]);
        });
      }
    }

    it('after a relu (the mask fused): the same bits as the gradient from x; with a NaN in an image, from x', async () => {
      for (const nan of [false, true]) {
        const shape: [number, number, number, number] = [3, 6, 4, 10];
        const raw = values(size(shape), 71).map((v, i) => (nan && i === 300 ? NaN : Math.round(v * 3) / 3));
        const dy = values(3 * 3 * 2 * 10, 72).map((v) => Math.round(v * 4) / 4);
        const grad = (viaCodes: boolean) => () => {
          const x = tf.relu(tf.tensor4d(raw, shape));
          markReluOutput(x);
          const attrs = { filterSize: 2, strides: 2, pad: 'valid' };
          // Under a tape the pooling writes codes; outside it does not, so the gradient reads x.
          const y = viaCodes ? tapePool(x) : tf.maxPool(x, 2, 2, 'valid');
          return tf.engine().runKernel('MaxPoolGrad', { dy: tf.tensor4d(dy, [3, 3, 2, 10]), input: x, output: y }, attrs) as tf.Tensor;
        };
        const [coded, fromX] = [...(await on('wasm', grad(true))), ...(await on('wasm', grad(false)))];
        assert.ok(coded.every((v, i) => Object.is(v, fromX[i])), `nan ${nan}: same bits`);
        const step = (v: number) => (Number.isNaN(v) ? NaN : v > 0 ? 1 : 0);
        assert.ok(coded.some((v, i) => v === 0 && step(Math.max(raw[i], 0)) === 0 && fromX[i] === 0), 'the mask zeroed something');
        // Which path ran: codes that say "no maximum anywhere" give a zero gradient only if they are read.
        const zeroed = await on('wasm', () => {
          const x = tf.relu(tf.tensor4d(raw, shape));
          markReluOutput(x);
          const y = tapePool(x);
          const codes = poolCodes(y)!;
          heapView(tf.backend() as BackendWasm, codes).fill(4, 0, 3 * 3 * 2 * 10);
          return tf.engine().runKernel('MaxPoolGrad', { dy: tf.tensor4d(dy, [3, 3, 2, 10]), input: x, output: y }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor;
        });
        if (nan) assert.ok(zeroed[0].every((v, i) => Object.is(v, fromX[i])), 'an image with a NaN: the gradient read x, not the codes');
        else assert.ok(zeroed[0].every((v) => v === 0), 'the gradient read the codes');
      }
    });

    it('the codes are freed with the pooled output, and a gradient asked for another input reads that input', async () => {
      await useBackend('wasm');
      const backend = tf.backend() as BackendWasm;
      const shape: [number, number, number, number] = [2, 4, 4, 8];
      const [a, b] = [tf.tensor4d(values(size(shape), 73), shape), tf.tensor4d(values(size(shape), 74), shape)];
      const r = tf.tensor4d(values(2 * 2 * 2 * 8, 75), [2, 2, 2, 8]);
      const before = backend.dataIdMap.numDataIds();
      for (let i = 0; i < 3; i++) {
        const y = tapePool(a); // kept past tidy (tf.keep): disposed by hand
        assert.ok(poolCodes(y));
        y.dispose();
        tf.tidy(() => void tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), r)))(a));
      }
      assert.equal(backend.dataIdMap.numDataIds(), before, 'no data left on the heap');
      const [mixed, own] = tf.tidy(() => {
        const y = tapePool(a);
        const attrs = { filterSize: 2, strides: 2, pad: 'valid' };
        const g = (input: tf.Tensor, output: tf.Tensor) => Array.from((tf.engine().runKernel('MaxPoolGrad', { dy: r, input, output }, attrs) as tf.Tensor).dataSync());
        return [g(b, y), g(b, tf.maxPool(b, 2, 2, 'valid'))];
      });
      assert.deepEqual(mixed, own);
      tf.dispose([a, b, r]);
    });
  });
});

/** maxPool 2×2 run while a gradient tape records (so it writes its codes); the tape is dropped. */
function tapePool(x: tf.Tensor): tf.Tensor {
  let y: tf.Tensor | undefined;
  tf.grad((v: tf.Tensor) => {
    y = tf.keep(tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid'));
    return tf.sum(y);
  })(x).dispose();
  return y!;
}
