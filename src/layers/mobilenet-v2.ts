// Owns the `mobilenetV2` backbone: Sandler, Howard, Zhu, Zhmoginov & Chen, "MobileNetV2: Inverted
// Residuals and Linear Bottlenecks" (CVPR 2018), Table 2, without the classifier top. Conventions
// follow Keras applications' MobileNetV2 (no conv bias, batch norm ε = 1e-3 and momentum 0.999, channel
// counts rounded to multiples of 8), so alpha 1 has Keras's 2,257,984 parameters.
import * as tf from '@tensorflow/tfjs';
import { oneOf, opts } from '../util/options';
import { oneKernelBatchNorm } from './batch-norm-train';
import type { BlockBuilder } from './block';
import { makeBlock } from './block';
import { layer, type LayerDescriptor } from './types';

/** Round channels to a multiple of 8, never more than 10% below v (the paper's reference rounding). */
export function makeDivisible(v: number, divisor = 8): number {
  let n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

/** Table 2 rows: expansion t, output channels c, repeats n, first stride s. */
const ROWS: Array<[t: number, c: number, n: number, s: number]> = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

const bn = (b: BlockBuilder, part: string, x: tf.SymbolicTensor) => b.apply(part, (name) => oneKernelBatchNorm(tf.layers.batchNormalization({ name, axis: -1, epsilon: 1e-3, momentum: 0.999 })), x);
const relu6 = (b: BlockBuilder, part: string, x: tf.SymbolicTensor) => b.apply(part, (name) => tf.layers.activation({ name, activation: 'relu6' }), x);
const pointwise = (b: BlockBuilder, part: string, x: tf.SymbolicTensor, filters: number) =>
  b.apply(part, (name) => tf.layers.conv2d({ name, filters, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: b.seed() }) }), x);

/** Expand (1×1, ReLU6) → depthwise 3×3 (stride, ReLU6) → linear projection (1×1); residual when shapes match. */
function invertedResidual(b: BlockBuilder, id: number, x: tf.SymbolicTensor, expansion: number, filters: number, strides: number): tf.SymbolicTensor {
  const inC = x.shape[x.shape.length - 1] as number;
  const p = `block_${id}`;
  let y = x;
  if (id > 0) y = relu6(b, `${p}_expand_relu`, bn(b, `${p}_expand_bn`, pointwise(b, `${p}_expand`, y, expansion * inC)));
  y = b.apply(`${p}_depthwise`, (name) => tf.layers.depthwiseConv2d({ name, kernelSize: 3, strides, padding: 'same', useBias: false, depthwiseInitializer: tf.initializers.heNormal({ seed: b.seed() }) }), y);
  y = relu6(b, `${p}_depthwise_relu`, bn(b, `${p}_depthwise_bn`, y));
  y = bn(b, `${p}_project_bn`, pointwise(b, `${p}_project`, y, filters));
  return inC === filters && strides === 1 ? b.apply(`${p}_add`, (name) => tf.layers.add({ name }), [x, y]) : y;
}

export const mobilenetV2Layer: LayerDescriptor = layer({
  type: 'mobilenetV2',
  description: 'MobileNetV2 backbone without the classifier top (Sandler et al. 2018): inverted residual blocks, width multiplier alpha',
  options: opts({
    alpha: oneOf([0.35, 0.5, 0.75, 1, 1.3, 1.4], { default: 1, description: 'Width multiplier of every layer (the paper\'s values)' }),
    includeTop: oneOf([false], { default: false, description: 'Always false: add pooling and dense heads yourself' }),
  }),
  create(a, ctx) {
    const alpha = a.alpha;
    return makeBlock(ctx, (b, input) => {
      if (input.shape.length !== 4) throw new Error(`mobilenetV2 needs (rows, cols, channels) input, received rank ${input.shape.length - 1}`);
      let x = b.apply('conv1', (name) => tf.layers.conv2d({ name, filters: makeDivisible(32 * alpha), kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: b.seed() }) }), input);
      x = relu6(b, 'conv1_relu', bn(b, 'conv1_bn', x));
      let id = 0;
      for (const [t, c, n, s] of ROWS) {
        for (let i = 0; i < n; i++) x = invertedResidual(b, id++, x, t, makeDivisible(Math.trunc(c * alpha)), i === 0 ? s : 1);
      }
      const last = alpha > 1 ? makeDivisible(1280 * alpha) : 1280;
      return relu6(b, 'out_relu', bn(b, 'conv_last_bn', pointwise(b, 'conv_last', x, last)));
    });
  },
});
