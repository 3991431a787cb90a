// Tests mtl's WASM Conv2D and FusedConv2D (width-blocked layout for few channels) against the cpu
// backend: geometries that take the blocked path (b = 2 and 4, padded rows, non-square filters,
// batch 1, a fused bias and activation) and the shared table of geometries that mostly do not,
// forward values and gradients inside a model, and that nothing leaks.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { conv2D, widthBlock } from '../../../src/backend/wasm-conv-forward';
import { useBackend } from '../../helpers/backend';
import { assertNoLeak, caseName, compare, CONV_CASES, size, values, type ConvCase } from './wasm-compare';

/** Geometries the cost model sends to the blocked layout (the test checks which b each takes). */
const BLOCKED: Array<[ConvCase, number]> = [
  [{ batch: 1, inH: 12, inW: 12, inC: 1, outC: 10, k: 9, stride: 1, pad: 'valid' }, 4],
  [{ batch: 3, inH: 10, inW: 20, inC: 1, outC: 10, k: 9, stride: 1, pad: 'valid' }, 4],
  [{ batch: 2, inH: 10, inW: 16, inC: 1, outC: 10, k: 9, stride: 1, pad: 'valid' }, 4],
  [{ batch: 2, inH: 9, inW: 12, inC: 1, outC: 10, k: 9, stride: 1, pad: [[0, 0], [2, 1], [0, 0], [0, 0]] }, 4], // padded rows
  [{ batch: 2, inH: 13, inW: 12, inC: 1, outC: 10, k: [9, 5], stride: 1, pad: 'valid' }, 4],
  [{ batch: 1, inH: 6, inW: 12, inC: 1, outC: 3, k: 5, stride: 1, pad: 'valid' }, 2],
  [{ batch: 2, inH: 7, inW: 10, inC: 1, outC: 3, k: [3, 5], stride: 1, pad: 'valid' }, 2],
];

function geometry(c: ConvCase): { x: [number, number, number, number]; w: [number, number, number, number] } {
  const [kh, kw] = typeof c.k === 'number' ? [c.k, c.k] : c.k;
  return { x: [c.batch, c.inH, c.inW, c.inC], w: [kh, kw, c.inC, c.outC] };
}

function forward(c: ConvCase, fused?: { activation: 'relu' | 'linear' | 'elu' }): () => tf.Tensor {
  const g = geometry(c);
  return () => {
    const x = tf.tensor4d(values(size(g.x), 11), g.x);
    const w = tf.tensor4d(values(size(g.w), 12), g.w);
    if (!fused) return tf.conv2d(x, w, c.stride, c.pad as 'same');
    const bias = tf.tensor1d(values(c.outC, 13));
    return tf.fused.conv2d({ x, filter: w, strides: c.stride, pad: c.pad as 'same', bias, activation: fused.activation });
  };
}

describe('wasm Conv2D and FusedConv2D on a width-blocked layout', () => {
  before(async () => {
    await useBackend('wasm');
  });

  it('replaces Conv2D', () => {
    assert.equal(tf.getKernel('Conv2D', 'wasm')?.kernelFunc, conv2D);
  });

  it('takes the blocked layout where the cost model says, and not for padded columns, strides or many channels', () => {
    const info = (c: ConvCase) => {
      const g = geometry(c);
      return tf.backend_util.computeConv2DInfo(g.x, g.w, c.stride, 1, c.pad as 'same', undefined, false, 'channelsLast');
    };
    for (const [c, b] of BLOCKED) assert.equal(widthBlock(info(c)), b, caseName(c));
    const lenet = { batch: 1, inH: 36, inW: 36, inC: 1, outC: 10, k: 9, stride: 1, pad: 'valid' as const };
    assert.equal(widthBlock(info(lenet)), 4);
    for (const c of [{ ...lenet, pad: 'same' as const }, { ...lenet, stride: 2 }, { ...lenet, inC: 10 }, { ...lenet, inW: 35 }]) assert.equal(widthBlock(info(c)), 1, caseName(c));
  });

  describe('Conv2D matches cpu', () => {
    for (const [c] of BLOCKED) it(`blocked ${caseName(c)}`, async () => compare(caseName(c), forward(c)));
    for (const c of CONV_CASES) it(caseName(c), async () => compare(caseName(c), forward(c)));
  });

  describe('FusedConv2D (bias, activation) matches cpu', () => {
    for (const activation of ['relu', 'linear', 'elu'] as const) {
      for (const [c] of BLOCKED.slice(0, 4)) it(`${activation} ${caseName(c)}`, async () => compare(caseName(c), forward(c, { activation })));
    }
    it('with a prelu weight (left to tfjs-backend-wasm)', async () => {
      const [c] = BLOCKED[0];
      const g = geometry(c);
      await compare('prelu', () => {
        const x = tf.tensor4d(values(size(g.x), 14), g.x);
        const w = tf.tensor4d(values(size(g.w), 15), g.w);
        const preluActivationWeights = tf.tensor1d(values(c.outC, 16));
        return tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'valid', bias: tf.tensor1d(values(c.outC, 17)), activation: 'prelu', preluActivationWeights });
      });
    });
  });

  it('a blocked grey-image stem inside a model: outputs and gradients match cpu', async () => {
    await useBackend('cpu');
    const init = (seed: number) => tf.initializers.glorotNormal({ seed });
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [16, 16, 1], filters: 10, kernelSize: 9, activation: 'relu', kernelInitializer: init(1), biasInitializer: 'glorotNormal' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, kernelInitializer: init(2) }),
      ],
    });
    const x = tf.tensor4d(values(2 * 16 * 16, 18), [2, 16, 16, 1]);
    const y = tf.tensor2d(values(2 * 3, 19), [2, 3]);
    await compare('stem', () => {
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor) as tf.Scalar, vars);
      return [value, model.predict(x) as tf.Tensor, ...vars.map((v) => grads[v.name])];
    });
    model.dispose();
    tf.dispose([x, y]);
  });

  it('does not leak tensors or wasm memory', async () => {
    const x = tf.tensor4d(values(2 * 12 * 12, 20), [2, 12, 12, 1]);
    const w = tf.tensor4d(values(9 * 9 * 10, 21), [9, 9, 1, 10]);
    const bias = tf.tensor1d(values(10, 22));
    await assertNoLeak(() => tf.dispose([tf.conv2d(x, w, 1, 'valid'), tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'valid', bias, activation: 'relu' })]));
    tf.dispose([x, w, bias]);
  });
});
