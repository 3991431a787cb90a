// Tests mtl's SIMD convolution and channel kernels (src/backend/simd/conv.c, channels.c) through the
// wasm kernels that use them, against the cpu backend: Conv2D/FusedConv2D, Conv2DBackpropFilter and
// Conv2DBackpropInput over channel counts that exercise every register block and partial vector
// (1–3 leftover channels, 3- and 4-row blocks, 8- and 12-channel blocks), strides, paddings ('same',
// 'valid', numbers, explicit, explicit larger than the filter), odd sizes and batch 1; MaxPoolGrad's
// 2×2 path over channel counts; Sum and Mean (bit for bit tfjs's own) over leading axes and Add of a
// trailing vector, with the cases
// left to tfjs; and that nothing leaks.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { leadingAxes } from '../../../src/backend/wasm-channels';
import { tapsInside } from '../../../src/backend/wasm-conv-simd';
import { originalKernel } from '../../../src/backend/wasm-ops';
import { heapOffset, simdKernels } from '../../../src/backend/wasm-simd';
import { useBackend } from '../../helpers/backend';
import { assertNoLeak, caseName, compare, conv2dGrad, on, size, values, type ConvCase, type Pad } from './wasm-compare';

const CASES: ConvCase[] = [
  { batch: 1, inH: 12, inW: 12, inC: 1, outC: 10, k: 9, stride: 1, pad: 'valid' }, // quickstart's stem, smaller
  { batch: 3, inH: 9, inW: 9, inC: 10, outC: 20, k: 5, stride: 1, pad: 'valid' }, // its second layer
  { batch: 2, inH: 7, inW: 9, inC: 3, outC: 8, k: 3, stride: 1, pad: 'same' },
  { batch: 1, inH: 6, inW: 5, inC: 5, outC: 9, k: 3, stride: 2, pad: 'same' },
  { batch: 2, inH: 8, inW: 7, inC: 4, outC: 12, k: 3, stride: 1, pad: 'valid' },
  { batch: 1, inH: 9, inW: 11, inC: 6, outC: 13, k: [3, 5], stride: [2, 1], pad: 'same' },
  { batch: 2, inH: 5, inW: 6, inC: 2, outC: 7, k: 2, stride: 1, pad: 'same' }, // even filter: uneven padding
  { batch: 1, inH: 10, inW: 9, inC: 7, outC: 16, k: 3, stride: 3, pad: 'valid' }, // last rows/columns unread
  { batch: 2, inH: 7, inW: 7, inC: 9, outC: 6, k: 3, stride: 2, pad: 1 },
  { batch: 1, inH: 6, inW: 7, inC: 3, outC: 11, k: 3, stride: 1, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
  { batch: 1, inH: 6, inW: 6, inC: 5, outC: 3, k: 3, stride: 1, pad: [[0, 0], [3, 0], [0, 3], [0, 0]] }, // pad > filter − 1
  { batch: 3, inH: 5, inW: 5, inC: 12, outC: 5, k: 1, stride: 1, pad: 'valid' },
  { batch: 1, inH: 4, inW: 4, inC: 2, outC: 25, k: 4, stride: 1, pad: 'valid' }, // one output pixel
];

// Single-channel inputs at stride 1 along the width into filter counts not a multiple of 4 take
// conv-c1.h's pixel vectors (blocks of 1–4 filters, 1–3 pixel vectors, 1–4 taps; 4, 8, 12 and 20
// filters conv.c's), rows of 1–3 pixels past a multiple of 4 (left to conv.c's blocks), paddings,
// row strides, batch 1.
const C1_CASES: ConvCase[] = [1, 3, 4, 5, 8, 9, 10, 12, 13, 20].map((outC, i) => ({
  batch: 1 + (i % 3),
  inH: 9 + (i % 4),
  inW: 10 + i,
  inC: 1,
  outC,
  k: [2 + (i % 4), 1 + (i % 5)] as [number, number],
  stride: [1 + (i % 2), 1] as [number, number],
  pad: (['valid', 'same', 1, [[0, 0], [2, 0], [0, 3], [0, 0]]] as Pad[])[i % 4],
}));
C1_CASES.push({ batch: 2, inH: 36, inW: 36, inC: 1, outC: 10, k: 9, stride: 1, pad: 'valid' }); // quickstart's stem

// Input channels a multiple of 4 into outputs that are not (conv-cvec.h: the input channels as the
// vector axis): forward cases C → OC and input-gradient cases OC → C (its correlation runs dy's OC
// channels into C), every remainder of 1–3 outputs, blocks of 1–4 pixels, strides (phases), paddings.
const CVEC_CASES: ConvCase[] = [1, 2, 3, 5, 6, 7, 9, 10, 11, 13].map((outC, i) => ({
  batch: 1 + (i % 2),
  inH: 7 + (i % 3),
  inW: 8 + (i % 5),
  inC: 4 * (1 + (i % 3)),
  outC,
  k: [1 + (i % 4), 2 + (i % 3)] as [number, number],
  stride: [1, 1, 2, [1, 2]][i % 4] as number | [number, number],
  pad: (['same', 'valid', 1, [[0, 0], [1, 0], [2, 1], [0, 0]]] as Pad[])[i % 4],
}));
const swapped = (c: ConvCase): ConvCase => ({ ...c, inC: c.outC, outC: c.inC });

function forward(c: ConvCase, fused?: 'relu' | 'linear'): () => tf.Tensor {
  const [kh, kw] = typeof c.k === 'number' ? [c.k, c.k] : c.k;
  const [xs, ws] = [[c.batch, c.inH, c.inW, c.inC], [kh, kw, c.inC, c.outC]];
  return () => {
    const x = tf.tensor4d(values(size(xs), 21), xs as [number, number, number, number]);
    const w = tf.tensor4d(values(size(ws), 22), ws as [number, number, number, number]);
    if (!fused) return tf.conv2d(x, w, c.stride, c.pad as 'same');
    const bias = tf.tensor1d(values(c.outC, 23));
    return tf.fused.conv2d({ x, filter: w, strides: c.stride, pad: c.pad as 'same', bias, activation: fused });
  };
}

/**
 * conv.c's filter gradient of case c computed whole (taps 0…fh·fw·c) and then over ranges cut at odd
 * places (as wasm-split.ts cuts it across threads, one range at a time here), into a dw filled with
 * a NaN of its own bits: each range's rows must equal the whole's, bit for bit, and no row outside
 * the ranges so far may be written.
 */
function filterGradRanges(c: ConvCase): void {
  const backend = tf.backend() as unknown as BackendWasm;
  const k = simdKernels(backend)!;
  const [fh, fw] = typeof c.k === 'number' ? [c.k, c.k] : c.k;
  const info = tf.backend_util.computeConv2DInfo([c.batch, c.inH, c.inW, c.inC], [fh, fw, c.inC, c.outC], c.stride, 1, c.pad as 'same');
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const g = { n: c.batch, h: c.inH, w: c.inW, c: c.inC, fh, fw, sh, sw, oh, ow, top: info.padInfo.top, left: info.padInfo.left };
  const taps = fh * fw * c.inC;
  tf.tidy(() => {
    const x = tf.tensor4d(values(c.batch * c.inH * c.inW * c.inC, 31), [c.batch, c.inH, c.inW, c.inC]);
    const dy = tf.tensor4d(values(c.batch * oh * ow * c.outC, 32), [c.batch, oh, ow, c.outC]);
    const floats = k.conv2d_filter_grad_scratch(c.inC, fh, fw, sw, oh, ow, c.outC);
    const scratch = tf.zeros([Math.max(floats, 1)]);
    const inside = tapsInside(backend, x, g);
    const run = (dw: tf.Tensor, k0: number, k1: number) =>
      k.conv2d_filter_grad(c.batch, inside.ptr, inside.image, inside.row, c.inC, fh, fw, sh, sw, heapOffset(backend, dy), oh, ow, c.outC, heapOffset(backend, dw), floats ? heapOffset(backend, scratch) : 0, ...inside.raw, k0, k1);
    const bits = (t: tf.Tensor) => new Uint32Array(Float32Array.from(t.dataSync()).buffer);
    try {
      const whole = tf.zeros([taps * c.outC]);
      run(whole, 0, taps);
      const want = bits(whole);
      const sentinel = new Float32Array(new Uint32Array([0x7fc01234]).buffer)[0];
      const parts = tf.fill([taps * c.outC], sentinel);
      const cuts = [...new Set([0, Math.min(1, taps), Math.floor(taps / 3), Math.floor((2 * taps) / 3) + 1, taps].filter((t) => t <= taps))].sort((a, b) => a - b);
      for (let i = 0; i + 1 < cuts.length; i++) {
        // In reverse order, so a range writing past its end would be caught by the next check.
        const [k0, k1] = [cuts[cuts.length - 2 - i], cuts[cuts.length - 1 - i]];
        run(parts, k0, k1);
        const got = bits(parts);
        for (let j = 0; j < taps * c.outC; j++) {
          const row = Math.floor(j / c.outC);
          const expected = row >= k0 ? want[j] : 0x7fc01234;
          if (got[j] !== expected) assert.fail(`range [${k0}, ${k1}): dw[${row}, ${j % c.outC}] has bits ${got[j].toString(16)}, expected ${expected.toString(16)}`);
        }
      }
    } finally {
      inside.dispose();
    }
  });
}

describe('mtl SIMD convolution kernels match cpu', () => {
  before(async () => {
    await useBackend('wasm');
    assert.ok(simdKernels(tf.backend() as unknown as BackendWasm), 'the SIMD module loads, so the cases below run on it');
  });

  describe('Conv2D', () => {
    for (const c of CASES) it(caseName(c), async () => compare(caseName(c), forward(c)));
  });
  describe('FusedConv2D with bias and relu / linear', () => {
    for (const c of CASES.slice(0, 7)) it(caseName(c), async () => compare(caseName(c), forward(c, 'relu')));
    for (const c of CASES.slice(7)) it(caseName(c), async () => compare(caseName(c), forward(c, 'linear')));
  });
  describe('Conv2DBackpropFilter', () => {
    for (const c of CASES) it(caseName(c), async () => compare(caseName(c), conv2dGrad(c, 'filter')));
  });
  describe('Conv2DBackpropInput (SIMD at stride 1)', () => {
    for (const c of CASES) it(caseName(c), async () => compare(caseName(c), conv2dGrad(c, 'input')));
  });

  describe('single-channel inputs (pixel vectors): Conv2D, FusedConv2D, both gradients', () => {
    for (const c of C1_CASES) {
      it(caseName(c), async () => {
        await compare(caseName(c), forward(c, 'relu'));
        await compare(caseName(c), forward(c));
        await compare(caseName(c), conv2dGrad(c, 'filter'));
        await compare(caseName(c), conv2dGrad(c, 'input'));
      });
    }
  });

  describe('channels as the vector axis: Conv2D, FusedConv2D (C → OC), input gradient (OC → C)', () => {
    for (const c of CVEC_CASES) {
      it(caseName(c), async () => {
        await compare(caseName(c), forward(c, 'relu'));
        await compare(caseName(c), forward(c));
        await compare(caseName(swapped(c)), conv2dGrad(swapped(c), 'input'));
      });
    }
  });

  describe('conv2d_filter_grad over tap ranges gives those rows of the whole filter gradient, bit for bit, and writes no other', () => {
    for (const c of [...CASES, ...C1_CASES]) {
      it(caseName(c), async () => {
        await useBackend('wasm');
        filterGradRanges(c);
      });
    }
  });

  it('FusedConv2D relu keeps a NaN (as tfjs does) and zeroes negatives', async () => {
    const [got] = await on('wasm', () => {
      const x = tf.tensor4d([NaN, 1, -2, 3], [1, 2, 2, 1]);
      return tf.fused.conv2d({ x, filter: tf.tensor4d([1], [1, 1, 1, 1]), strides: 1, pad: 'valid', bias: tf.tensor1d([0.5]), activation: 'relu' });
    });
    assert.deepEqual(Array.from(got), [NaN, 1.5, 0, 3.5]);
  });

  it('Conv2DBackpropFilter of a batch with no rows is zeros', async () => {
    const [got] = await on('wasm', () => {
      const x = tf.zeros([0, 5, 5, 3]);
      const dy = tf.zeros([0, 3, 3, 6]);
      return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 3, 6] }) as tf.Tensor;
    });
    assert.deepEqual(Array.from(got), new Array(3 * 3 * 3 * 6).fill(0));
  });

  it('does not leak tensors or wasm memory (padded copies and scratch released)', async () => {
    const [c, c1] = [CASES[2], C1_CASES[1]];
    await assertNoLeak(() => tf.tidy(() => {
      conv2dGrad(c, 'filter')();
      conv2dGrad(c1, 'filter')(); // with the single-channel path's scratch
      conv2dGrad(c, 'input')();
      forward(c, 'relu')();
    }));
  });
});

describe('mtl SIMD channel kernels match cpu', () => {
  before(async () => {
    await useBackend('wasm');
  });

  describe('MaxPoolGrad over 2×2 windows tiling the input, every channel remainder', () => {
    for (const ch of [1, 2, 3, 4, 5, 7, 10]) {
      it(`c = ${ch}, with ties`, async () => {
        await compare(`c${ch}`, () => {
          const shape: [number, number, number, number] = [2, 6, 4, ch];
          const x = tf.tensor4d(values(size(shape), ch).map((v) => Math.round(v * 2) / 2), shape);
          const r = tf.tensor4d(values(2 * 3 * 2 * ch, 50 + ch), [2, 3, 2, ch]);
          return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), r)))(x);
        });
      });
    }
  });

  it('MaxPoolGrad 2×2: −Infinity windows get nothing, a NaN never wins', async () => {
    const fn = () => {
      const x = tf.tensor4d([-Infinity, -Infinity, -Infinity, -Infinity, NaN, 2, 3, NaN], [1, 4, 2, 1]);
      return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), tf.tensor4d([5, 7], [1, 2, 1, 1]))))(x);
    };
    const [got] = await on('wasm', fn);
    assert.deepEqual(Array.from(got), [0, 0, 0, 0, 0, 0, 7, 0]);
  });

  it('leadingAxes: only the first k < rank axes, in any order or sign', () => {
    assert.equal(leadingAxes([0, 1, 2], 4), 3);
    assert.equal(leadingAxes([1, 0], 3), 2);
    assert.equal(leadingAxes(0, 2), 1);
    assert.equal(leadingAxes([-4, -3], 4), 2);
    assert.equal(leadingAxes([0, 2], 3), 0);
    assert.equal(leadingAxes([1], 2), 0);
    assert.equal(leadingAxes([0, 1], 2), 0); // every axis: left to tfjs
    assert.equal(leadingAxes(undefined, 2), 0);
  });

  const SUMS: Array<[number[], number | number[], boolean]> = [
    [[7, 5, 3, 10], [0, 1, 2], false],
    [[4, 3, 21], [0, 1], true],
    [[9, 1], 0, false],
    [[6, 17], [-2], false],
    [[3, 4, 5], [1, 2], false], // not leading: tfjs's kernel
    [[3, 4], [0, 1], false], // every axis: tfjs's kernel
  ];
  for (const [shape, axis, keepDims] of SUMS) {
    it(`Sum [${shape}] over ${JSON.stringify(axis)}${keepDims ? ', keepDims' : ''}`, async () => {
      await compare('sum', () => tf.sum(tf.tensor(values(size(shape), 61), shape), axis, keepDims), 1e-6);
    });
  }

  for (const [shape, axis, keepDims] of SUMS) {
    it(`Mean [${shape}] over ${JSON.stringify(axis)} equals tfjs-backend-wasm's own Mean bit for bit`, async () => {
      await useBackend('wasm');
      const backend = tf.backend() as unknown as BackendWasm;
      const x = tf.tensor(values(size(shape), 64), shape);
      const mine = tf.mean(x, axis, keepDims);
      const theirs = originalKernel('Mean').kernelFunc({ inputs: { x }, attrs: { axis, keepDims }, backend } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
      assert.deepEqual(mine.shape, theirs.shape);
      assert.deepEqual(Array.from(mine.dataSync()), Array.from(backend.readSync(theirs.dataId) as Float32Array));
      backend.disposeData(theirs.dataId);
      tf.dispose([x, mine]);
    });
  }

  const ADDS: Array<[number[], number[]]> = [
    [[5, 4, 3, 10], [10]],
    [[6], [2, 3, 6]],
    [[2, 3, 7], [1, 1, 7]],
    [[4, 5, 3], [5, 3]],
    [[3, 9], [3, 9]], // same shape: tfjs's kernel
    [[3, 1], [3, 4]], // not a trailing vector: tfjs's kernel
  ];
  for (const [sa, sb] of ADDS) {
    it(`Add [${sa}] + [${sb}] is exact`, async () => {
      const fn = () => tf.add(tf.tensor(values(size(sa), 62), sa), tf.tensor(values(size(sb), 63), sb));
      const [got, want] = [await on('wasm', fn), await on('cpu', fn)];
      assert.deepEqual(Array.from(got[0]), Array.from(want[0]));
    });
  }
});
