// Owns the `conv2dTranspose` layer: transposed 2-D convolution (learnt upsampling) over (rows, cols,
// channels) inputs — the decoder half of an encoder–decoder for per-pixel tasks.
import * as tf from '@tensorflow/tfjs';
import { layer, type LayerDescriptor } from './types';
import { convArgs, convOptions } from './common';

export const conv2dTransposeLayer: LayerDescriptor = layer({
  type: 'conv2dTranspose',
  description: 'Transposed 2-D convolution over (rows, cols, channels) inputs: with strides s, the output has s× the rows and cols (padding same)',
  options: convOptions(2),
  create: (a, ctx) => tf.layers.conv2dTranspose(convArgs(a, ctx) as Parameters<typeof tf.layers.conv2dTranspose>[0]),
});
