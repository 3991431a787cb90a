// Owns the `resnet` backbone: ResNet-18/34 (basic blocks) and ResNet-50 (bottleneck blocks) from He,
// Zhang, Ren & Sun, "Deep Residual Learning for Image Recognition" (CVPR 2016), Table 1, without the
// classifier top. Conventions follow Keras applications' ResNet50 (convolutions with bias, batch norm
// ε = 1.001e-5, 3-pixel zero padding before the 7×7 stem), so ResNet-50 has Keras's 23,587,712
// parameters; projection shortcuts (the paper's option B) where the shape changes.
import * as tf from '@tensorflow/tfjs';
import { int, oneOf, opts } from '../util/options';
import type { BlockBuilder } from './block';
import { makeBlock } from './block';
import { oneKernelBatchNorm, reluOnce } from './batch-norm-train';
import { oneKernel } from './one-kernel';
import { layer, type LayerDescriptor } from './types';

/** Blocks per stage (conv2_x … conv5_x), Table 1 of the paper. */
export const RESNET_LAYOUTS: Record<number, { blocks: number[]; bottleneck: boolean }> = {
  18: { blocks: [2, 2, 2, 2], bottleneck: false },
  34: { blocks: [3, 4, 6, 3], bottleneck: false },
  50: { blocks: [3, 4, 6, 3], bottleneck: true },
};

const EPS = 1.001e-5;

function conv(b: BlockBuilder, part: string, x: tf.SymbolicTensor, filters: number, kernelSize: number, strides = 1, padding: 'same' | 'valid' = 'same'): tf.SymbolicTensor {
  return b.apply(part, (name) => oneKernel(tf.layers.conv2d({ name, filters, kernelSize, strides, padding, kernelInitializer: tf.initializers.heNormal({ seed: b.seed() }) })), x);
}
const bn = (b: BlockBuilder, part: string, x: tf.SymbolicTensor) => b.apply(part, (name) => oneKernelBatchNorm(tf.layers.batchNormalization({ name, axis: -1, epsilon: EPS })), x);
const relu = (b: BlockBuilder, part: string, x: tf.SymbolicTensor) => b.apply(part, (name) => reluOnce(tf.layers.activation({ name, activation: 'relu' })), x);
/** Batch norm then relu, the relu computed by the batch norm's training kernel (batch-norm-train.ts). */
const bnRelu = (b: BlockBuilder, bnPart: string, reluPart: string, x: tf.SymbolicTensor) =>
  relu(b, reluPart, b.apply(bnPart, (name) => oneKernelBatchNorm(tf.layers.batchNormalization({ name, axis: -1, epsilon: EPS }), true), x));
const add = (b: BlockBuilder, part: string, xs: tf.SymbolicTensor[]) => b.apply(part, (name) => tf.layers.add({ name }), xs);

/** Basic block (18/34): 3×3 → 3×3, identity or 1×1 projection shortcut. */
function basic(b: BlockBuilder, p: string, x: tf.SymbolicTensor, filters: number, strides: number): tf.SymbolicTensor {
  const inC = x.shape[x.shape.length - 1];
  let shortcut = x;
  if (strides !== 1 || inC !== filters) shortcut = bn(b, `${p}_0_bn`, conv(b, `${p}_0_conv`, x, filters, 1, strides));
  let y = bnRelu(b, `${p}_1_bn`, `${p}_1_relu`, conv(b, `${p}_1_conv`, x, filters, 3, strides));
  y = bn(b, `${p}_2_bn`, conv(b, `${p}_2_conv`, y, filters, 3));
  return relu(b, `${p}_out`, add(b, `${p}_add`, [shortcut, y]));
}

/** Bottleneck block (50): 1×1 (stride) → 3×3 → 1×1 with 4× the filters; projection in each stage's first block. */
function bottleneck(b: BlockBuilder, p: string, x: tf.SymbolicTensor, filters: number, strides: number, project: boolean): tf.SymbolicTensor {
  const shortcut = project ? bn(b, `${p}_0_bn`, conv(b, `${p}_0_conv`, x, 4 * filters, 1, strides)) : x;
  let y = bnRelu(b, `${p}_1_bn`, `${p}_1_relu`, conv(b, `${p}_1_conv`, x, filters, 1, strides));
  y = bnRelu(b, `${p}_2_bn`, `${p}_2_relu`, conv(b, `${p}_2_conv`, y, filters, 3));
  y = bn(b, `${p}_3_bn`, conv(b, `${p}_3_conv`, y, 4 * filters, 1));
  return relu(b, `${p}_out`, add(b, `${p}_add`, [shortcut, y]));
}

export const resnetLayer: LayerDescriptor = layer({
  type: 'resnet',
  description: 'ResNet-18/34/50 backbone without the classifier top (He et al. 2016): (rows, cols, channels) to the last stage\'s feature map',
  options: opts({
    depth: oneOf([18, 34, 50], { default: 50, description: '18 and 34: basic blocks; 50: bottleneck blocks' }),
    filters: int({ minimum: 1, default: 64, description: 'Width of the stem and of the first stage (stages double it); 64 is the paper\'s, smaller values train faster' }),
    includeTop: oneOf([false], { default: false, description: 'Always false: add pooling and dense heads yourself' }),
  }),
  create(a, ctx) {
    const layout = RESNET_LAYOUTS[a.depth];
    const f0 = a.filters;
    return makeBlock(ctx, (b, input) => {
      if (input.shape.length !== 4) throw new Error(`resnet needs (rows, cols, channels) input, received rank ${input.shape.length - 1}`);
      let x = b.apply('conv1_pad', (name) => tf.layers.zeroPadding2d({ name, padding: 3 }), input);
      x = bnRelu(b, 'conv1_bn', 'conv1_relu', conv(b, 'conv1_conv', x, f0, 7, 2, 'valid'));
      x = b.apply('pool1_pad', (name) => tf.layers.zeroPadding2d({ name, padding: 1 }), x);
      x = b.apply('pool1_pool', (name) => tf.layers.maxPooling2d({ name, poolSize: 3, strides: 2 }), x);
      layout.blocks.forEach((n, s) => {
        const filters = f0 * 2 ** s;
        for (let i = 0; i < n; i++) {
          const p = `conv${s + 2}_block${i + 1}`;
          const strides = i === 0 && s > 0 ? 2 : 1;
          x = layout.bottleneck ? bottleneck(b, p, x, filters, strides, i === 0) : basic(b, p, x, filters, strides);
        }
      });
      return x;
    });
  },
});
