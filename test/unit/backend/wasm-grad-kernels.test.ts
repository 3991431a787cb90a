// Tests the WASM replacements of tfjs-backend-wasm's Conv2DBackpropInput, MaxPoolGrad and
// AvgPoolGrad against the cpu backend: input gradients of conv2d over the shared table of
// geometries (and NCHW), pooling gradients over pool sizes, strides, paddings, odd sizes and
// batch 1, with ties and all-negative windows, inside whole models, and that nothing leaks.
// Dilations > 1 are not covered: tfjs's conv2d and pooling gradients refuse them.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { maxPoolGrad } from '../../../src/backend/wasm-pool-grads';
import { useBackend } from '../../helpers/backend';
import { assertNoLeak, caseName, compare, conv2dGrad, CONV_CASES, on, size, values, type ConvCase } from './wasm-compare';

/** Geometries that take mtl's forward-convolution path: stride 1, at least 4 input channels. */
const INPUT_CASES: ConvCase[] = [
  { batch: 1, inH: 5, inW: 5, inC: 4, outC: 3, k: 3, stride: 1, pad: 'same' },
  { batch: 3, inH: 7, inW: 6, inC: 5, outC: 2, k: 3, stride: 1, pad: 'valid' },
  { batch: 2, inH: 9, inW: 9, inC: 4, outC: 6, k: 5, stride: 1, pad: 'same' },
  { batch: 1, inH: 11, inW: 10, inC: 6, outC: 4, k: 5, stride: 1, pad: 'valid' },
  { batch: 2, inH: 8, inW: 8, inC: 4, outC: 4, k: 4, stride: 1, pad: 'same' }, // even kernel: uneven padding
  { batch: 1, inH: 7, inW: 9, inC: 5, outC: 3, k: [3, 5], stride: 1, pad: 'same' },
  { batch: 2, inH: 6, inW: 6, inC: 4, outC: 5, k: 1, stride: 1, pad: 'valid' },
  { batch: 1, inH: 12, inW: 12, inC: 4, outC: 2, k: 9, stride: 1, pad: 'valid' },
  { batch: 1, inH: 7, inW: 7, inC: 4, outC: 2, k: 3, stride: 1, pad: 2 }, // pad larger than k − 1 − pad: negative correlation pad
  { batch: 1, inH: 7, inW: 6, inC: 4, outC: 2, k: 3, stride: 1, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
  { batch: 1, inH: 6, inW: 6, inC: 4, outC: 3, k: 3, stride: 1, pad: [[0, 0], [3, 0], [0, 3], [0, 0]] }, // explicit pad > k − 1
];

interface PoolCase {
  batch: number;
  h: number;
  w: number;
  c: number;
  pool: number | [number, number];
  stride: number | [number, number];
  pad: 'same' | 'valid' | number;
}

const POOL_CASES: PoolCase[] = [
  { batch: 1, h: 4, w: 4, c: 1, pool: 2, stride: 2, pad: 'valid' },
  { batch: 3, h: 8, w: 8, c: 5, pool: 2, stride: 2, pad: 'valid' }, // 2x2 windows tiling the input: the write-once path
  { batch: 2, h: 6, w: 10, c: 3, pool: 2, stride: 2, pad: 'valid' },
  { batch: 2, h: 7, w: 9, c: 3, pool: 2, stride: 2, pad: 'valid' }, // odd: last row/column unread
  { batch: 2, h: 7, w: 9, c: 3, pool: 2, stride: 2, pad: 'same' }, // odd: windows cut by the edge
  { batch: 1, h: 9, w: 9, c: 2, pool: 3, stride: 2, pad: 'same' }, // overlapping windows
  { batch: 2, h: 6, w: 7, c: 4, pool: 3, stride: 1, pad: 'valid' },
  { batch: 1, h: 10, w: 11, c: 2, pool: 3, stride: 3, pad: 'same' },
  { batch: 2, h: 8, w: 6, c: 3, pool: [2, 3], stride: [1, 2], pad: 'same' },
  { batch: 1, h: 5, w: 5, c: 1, pool: 5, stride: 1, pad: 'valid' }, // one window over everything
  { batch: 1, h: 7, w: 7, c: 2, pool: 3, stride: 2, pad: 1 },
];

function poolName(c: PoolCase): string {
  return `b${c.batch} ${c.h}x${c.w}x${c.c} pool${c.pool} s${c.stride} ${c.pad}`;
}

/** d/dx of Σ pool(x) ⊙ r for max or average pooling; `quantise` makes many ties. */
function poolInputGrad(kind: 'max' | 'avg', c: PoolCase, quantise = false): () => tf.Tensor {
  const shape = [c.batch, c.h, c.w, c.c] as [number, number, number, number];
  return () => {
    const raw = values(size(shape), 41);
    const x = tf.tensor4d(quantise ? raw.map((v) => Math.round(v * 2) / 2) : raw, shape);
    const pool = (a: tf.Tensor4D) => (kind === 'max' ? tf.maxPool(a, c.pool, c.stride, c.pad) : tf.avgPool(a, c.pool, c.stride, c.pad));
    const yShape = pool(x).shape;
    const r = tf.tensor(values(size(yShape), 42), yShape);
    return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(pool(a as tf.Tensor4D), r)))(x);
  };
}

describe('wasm gradient kernels that replace tfjs-backend-wasm ones', () => {
  before(async () => {
    await useBackend('wasm');
  });

  it('replaces the three kernels, idempotently', async () => {
    await useBackend('wasm');
    assert.equal(tf.getKernel('MaxPoolGrad', 'wasm')?.kernelFunc, maxPoolGrad);
  });

  describe('Conv2DBackpropInput: conv2d input gradient matches cpu', () => {
    // Strides > 1 and < 4 input channels go to tfjs-backend-wasm's own kernel; the rest to mtl's.
    for (const c of [...CONV_CASES, ...INPUT_CASES]) it(caseName(c), async () => compare(caseName(c), conv2dGrad(c, 'input')));
  });

  it('Conv2DBackpropInput in NCHW (kernel called directly) matches cpu', async () => {
    const inputShape: [number, number, number, number] = [2, 4, 7, 6]; // N C H W
    const filterShape = [3, 3, 4, 3];
    const dyShape = [2, 3, 7, 6]; // stride 1, same
    await compare('nchw', () => {
      const filter = tf.tensor(values(size(filterShape), 34), filterShape);
      const dy = tf.tensor(values(size(dyShape), 35), dyShape);
      return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides: [1, 1], pad: 'same', dataFormat: 'NCHW', dimRoundingMode: undefined, inputShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
    });
  });

  describe('MaxPoolGrad matches cpu', () => {
    for (const c of POOL_CASES) it(poolName(c), async () => compare(poolName(c), poolInputGrad('max', c)));
    for (const c of POOL_CASES.slice(0, 6)) it(`${poolName(c)}, with ties`, async () => compare(poolName(c), poolInputGrad('max', c, true)));
  });

  it('MaxPoolGrad: ties go to the first maximum; windows of zeros and negatives get their gradient', async () => {
    // One 2x2 window per channel-free 4x2 image: [[0, 0], [0, 0]] and [[-3, -1], [-2, -1]].
    const fn = () => {
      const x = tf.tensor4d([0, 0, 0, 0, -3, -1, -2, -1], [1, 4, 2, 1]);
      return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), tf.tensor4d([5, 7], [1, 2, 1, 1]))))(x);
    };
    const [got] = await on('wasm', fn);
    assert.deepEqual(Array.from(got), [5, 0, 0, 0, 0, 7, 0, 0]);
  });

  describe('AvgPoolGrad matches cpu', () => {
    for (const c of POOL_CASES) it(poolName(c), async () => compare(poolName(c), poolInputGrad('avg', c)));
  });

  it('LeNet-style model: conv2d, maxPooling2d, averagePooling2d, dense gradients match cpu', async () => {
    await useBackend('cpu');
    const init = (seed: number) => tf.initializers.glorotNormal({ seed });
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [13, 13, 1], filters: 4, kernelSize: 5, activation: 'relu', kernelInitializer: init(1) }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(2) }),
        tf.layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, kernelInitializer: init(3) }),
      ],
    });
    const x = tf.tensor4d(values(3 * 13 * 13, 43), [3, 13, 13, 1]);
    const y = tf.tensor2d(values(3 * 3, 44), [3, 3]);
    await compare('lenet', () => {
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { grads } = tf.variableGrads(() => tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor) as tf.Scalar, vars);
      return vars.map((v) => grads[v.name]);
    });
    model.dispose();
    tf.dispose([x, y]);
  });

  it('does not leak tensors or wasm memory across repeated gradients', async () => {
    const x = tf.tensor4d(values(2 * 9 * 9 * 3, 45), [2, 9, 9, 3]);
    const w = tf.tensor4d(values(3 * 3 * 3 * 4, 46), [3, 3, 3, 4]);
    const step = () =>
      tf.dispose(tf.grad((a: tf.Tensor) => tf.addN([tf.sum(tf.conv2d(a as tf.Tensor4D, w, 2, 'same')), tf.sum(tf.maxPool(a as tf.Tensor4D, 3, 2, 'same')), tf.sum(tf.avgPool(a as tf.Tensor4D, 2, 1, 'valid'))]))(x));
    await assertNoLeak(step);
    tf.dispose([x, w]);
  });
});
