// Tests the training kernels added to the WASM backend (Conv2DBackpropFilter, UnsortedSegmentSum,
// depthwise conv gradients) against the CPU backend: filter gradients of conv2d/conv1d over a table
// of geometries, segment sums, gather/embedding gradients, depthwise gradients, whole tfjs-layers
// models, and that nothing leaks.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels } from '../../../src/backend/wasm-kernels';
import { useBackend } from '../../helpers/backend';
import { assertClose, assertNoLeak, caseName, compare, conv2dGrad, CONV_CASES, on, size, values } from './wasm-compare';

describe('wasm training kernels', () => {
  before(async () => {
    await useBackend('wasm');
  });

  it('registers the kernels, idempotently', () => {
    registerWasmTrainingKernels();
    const first = tf.getKernel('Conv2DBackpropFilter', 'wasm');
    registerWasmTrainingKernels();
    assert.ok(first);
    assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), first);
    for (const name of ['UnsortedSegmentSum', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']) {
      assert.ok(tf.getKernel(name, 'wasm'), name);
    }
  });

  describe('Conv2DBackpropFilter: conv2d filter gradient matches cpu', () => {
    for (const c of CONV_CASES) {
      it(caseName(c), async () => {
        const fn = conv2dGrad(c, 'filter');
        const got = await on('wasm', fn);
        const want = await on('cpu', fn);
        const [kh, kw] = typeof c.k === 'number' ? [c.k, c.k] : c.k;
        assert.equal(got[0].length, kh * kw * c.inC * c.outC);
        assertClose(got[0], want[0], caseName(c));
      });
    }
  });

  it('Conv2DBackpropFilter in NCHW (kernel called directly) matches cpu', async () => {
    const xShape = [2, 3, 7, 6]; // N C H W
    const filterShape: [number, number, number, number] = [3, 3, 3, 4];
    const dyShape = [2, 4, 4, 3]; // stride 2, same: ceil(7/2)=4, ceil(6/2)=3
    await compare('nchw', () => {
      const x = tf.tensor(values(size(xShape), 4), xShape);
      const dy = tf.tensor(values(size(dyShape), 5), dyShape);
      return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
        strides: [2, 2],
        pad: 'same',
        dataFormat: 'NCHW',
        dimRoundingMode: undefined,
        filterShape,
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    });
  });

  describe('conv1d filter gradient matches cpu', () => {
    const cases = [
      { batch: 1, len: 9, inC: 2, outC: 3, k: 3, stride: 1, pad: 'same' as const },
      { batch: 3, len: 10, inC: 3, outC: 2, k: 5, stride: 2, pad: 'valid' as const },
      { batch: 3, len: 11, inC: 1, outC: 4, k: 4, stride: 2, pad: 'same' as const },
    ];
    for (const c of cases) {
      it(`b${c.batch} len${c.len} ${c.inC}→${c.outC} k${c.k} s${c.stride} ${c.pad}`, async () => {
        await compare('conv1d', () => {
          const x = tf.tensor3d(values(c.batch * c.len * c.inC, 6), [c.batch, c.len, c.inC]);
          const w = tf.tensor3d(values(c.k * c.inC * c.outC, 7), [c.k, c.inC, c.outC]);
          const conv = (f: tf.Tensor3D) => tf.conv1d(x, f, c.stride, c.pad);
          const yShape = conv(w).shape;
          const r = tf.tensor(values(size(yShape), 8), yShape);
          return tf.grad((f: tf.Tensor) => tf.sum(tf.mul(conv(f as tf.Tensor3D), r)))(w);
        });
      });
    }
  });

  describe('UnsortedSegmentSum matches cpu', () => {
    it('2-D x, repeated ids and ids never used', async () => {
      await compare('segsum 2d', () =>
        tf.unsortedSegmentSum(tf.tensor2d(values(7 * 3, 9), [7, 3]), tf.tensor1d([4, 0, 4, 4, 1, 0, 6], 'int32'), 8),
      );
    });

    it('1-D x', async () => {
      await compare('segsum 1d', () => tf.unsortedSegmentSum(tf.tensor1d(values(6, 10)), tf.tensor1d([2, 2, 0, 5, 2, 0], 'int32'), 6));
    });

    it('3-D x and a single segment', async () => {
      await compare('segsum 3d', () => tf.unsortedSegmentSum(tf.tensor3d(values(4 * 2 * 3, 11), [4, 2, 3]), tf.tensor1d([0, 0, 0, 0], 'int32'), 1));
    });

    it('int32 x', async () => {
      await compare('segsum int', () => tf.unsortedSegmentSum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), tf.tensor1d([1, 1, 0], 'int32'), 3));
    });

    it('drops ids outside [0, numSegments), like TensorFlow and the cpu backend', async () => {
      const fn = () => tf.unsortedSegmentSum(tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]), tf.tensor1d([0, 3, -1, 1], 'int32'), 2);
      await compare('segsum out of range', fn);
      const [got] = await on('wasm', fn);
      assert.deepEqual(Array.from(got), [1, 2, 7, 8]);
    });

    it('no rows gives zeros', async () => {
      const [got] = await on('wasm', () => tf.unsortedSegmentSum(tf.zeros([0, 2]), tf.tensor1d([], 'int32'), 3));
      assert.deepEqual(Array.from(got), [0, 0, 0, 0, 0, 0]);
    });
  });

  it('gather gradient (uses UnsortedSegmentSum) matches cpu', async () => {
    await compare('gather grad', () => {
      const params = tf.tensor2d(values(10 * 4, 12), [10, 4]);
      const ids = tf.tensor1d([3, 3, 9, 0, 3, 7], 'int32');
      const r = tf.tensor2d(values(6 * 4, 13), [6, 4]);
      return tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.gather(p, ids), r)))(params);
    });
  });

  describe('depthwiseConv2d gradients (filter and input) match cpu', () => {
    const cases = [
      { batch: 1, inH: 6, inW: 6, inC: 2, mult: 1, k: 3, stride: 1, pad: 'same' as const },
      { batch: 3, inH: 7, inW: 7, inC: 3, mult: 1, k: 3, stride: 2, pad: 'same' as const },
      { batch: 3, inH: 8, inW: 8, inC: 2, mult: 2, k: 3, stride: 2, pad: 'valid' as const },
      { batch: 1, inH: 9, inW: 8, inC: 2, mult: 3, k: 5, stride: [2, 1] as [number, number], pad: 'same' as const },
      { batch: 3, inH: 8, inW: 9, inC: 4, mult: 1, k: 4, stride: 2, pad: 'same' as const },
      { batch: 1, inH: 7, inW: 7, inC: 2, mult: 2, k: 1, stride: 2, pad: 'valid' as const },
      { batch: 1, inH: 11, inW: 11, inC: 1, mult: 2, k: 9, stride: 3, pad: 'same' as const },
      { batch: 1, inH: 7, inW: 6, inC: 2, mult: 1, k: 3, stride: 2, pad: 1 },
    ];
    for (const c of cases) {
      it(`b${c.batch} ${c.inH}x${c.inW}x${c.inC} ×${c.mult} k${c.k} s${c.stride} ${c.pad}`, async () => {
        await compare('depthwise', () => {
          const xShape = [c.batch, c.inH, c.inW, c.inC] as [number, number, number, number];
          const wShape = [c.k, c.k, c.inC, c.mult] as [number, number, number, number];
          const x = tf.tensor4d(values(size(xShape), 20), xShape);
          const w = tf.tensor4d(values(size(wShape), 21), wShape);
          const conv = (a: tf.Tensor4D, f: tf.Tensor4D) => tf.depthwiseConv2d(a, f, c.stride, c.pad as 'same');
          const yShape = conv(x, w).shape;
          const r = tf.tensor(values(size(yShape), 22), yShape);
          return tf.grads((a: tf.Tensor, f: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor4D, f as tf.Tensor4D), r)))([x, w]);
        });
      });
    }
  });

  describe('tfjs-layers models: variableGrads on wasm match cpu', () => {
    /** Builds the model once (on cpu) and returns a function computing all weight gradients. */
    function gradsOf(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): () => tf.Tensor[] {
      return () => {
        const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
        const { grads } = tf.variableGrads(() => tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor) as tf.Scalar, vars);
        return vars.map((v) => grads[v.name]);
      };
    }

    it('conv2d + dense (strided, same padding)', async () => {
      await useBackend('cpu');
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [9, 9, 2], filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }),
          tf.layers.conv2d({ filters: 2, kernelSize: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }),
        ],
      });
      const x = tf.tensor4d(values(3 * 9 * 9 * 2, 14), [3, 9, 9, 2]);
      const y = tf.tensor2d(values(3 * 4, 15), [3, 4]);
      await compare('conv2d+dense', gradsOf(model, x, y));
      model.dispose();
      tf.dispose([x, y]);
    });

    it('MobileNet-style block: conv2d + depthwiseConv2d + batchNormalization', async () => {
      await useBackend('cpu');
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 7 }) }),
          tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', useBias: false, depthwiseInitializer: tf.initializers.heNormal({ seed: 8 }) }),
          tf.layers.batchNormalization(),
          tf.layers.reLU({ maxValue: 6 }),
          tf.layers.globalAveragePooling2d({}),
          tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: 9 }) }),
        ],
      });
      const x = tf.tensor4d(values(2 * 8 * 8 * 3, 23), [2, 8, 8, 3]);
      const y = tf.tensor2d(values(2 * 3, 24), [2, 3]);
      await compare('mobilenet block', gradsOf(model, x, y));
      model.dispose();
      tf.dispose([x, y]);
    });

    it('embedding + conv1d + dense', async () => {
      await useBackend('cpu');
      const model = tf.sequential({
        layers: [
          tf.layers.embedding({ inputDim: 12, outputDim: 5, inputLength: 8, embeddingsInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 4 }) }),
          tf.layers.conv1d({ filters: 3, kernelSize: 3, strides: 2, padding: 'valid', activation: 'tanh', kernelInitializer: tf.initializers.glorotNormal({ seed: 5 }) }),
          tf.layers.globalAveragePooling1d(),
          tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotNormal({ seed: 6 }) }),
        ],
      });
      const ids = tf.tensor2d([1, 1, 3, 11, 0, 3, 3, 7, 2, 2, 2, 2, 9, 1, 0, 1], [2, 8], 'int32');
      const y = tf.tensor2d(values(2 * 2, 16), [2, 2]);
      await compare('embedding+conv1d', gradsOf(model, ids, y));
      model.dispose();
      tf.dispose([ids, y]);
    });
  });

  it('does not leak tensors or wasm memory across repeated gradients', async () => {
    const x = tf.tensor4d(values(2 * 8 * 8 * 3, 17), [2, 8, 8, 3]);
    const w = tf.variable(tf.tensor4d(values(3 * 3 * 3 * 4, 18), [3, 3, 3, 4]));
    const table = tf.variable(tf.tensor2d(values(6 * 4, 19), [6, 4]));
    const dw = tf.variable(tf.tensor4d(values(3 * 3 * 3 * 2, 25), [3, 3, 3, 2]));
    const ids = tf.tensor1d([1, 5, 1, 0], 'int32');
    const step = () => {
      const { value, grads } = tf.variableGrads(
        () => tf.addN([tf.sum(tf.conv2d(x, w, 2, 'valid')), tf.sum(tf.gather(table, ids)), tf.sum(tf.depthwiseConv2d(x, dw, 2, 'same'))]) as tf.Scalar,
        [w, table, dw],
      );
      tf.dispose([value, ...Object.values(grads)]);
    };
    await assertNoLeak(step);
    tf.dispose([x, w, table, dw, ids]);
  });
});
