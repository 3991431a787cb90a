// Owns the `conv2d` layer: 2-D convolution over [rows, cols, channels] inputs.
import * as tf from '@tensorflow/tfjs';
import { layer, type LayerDescriptor } from './types';
import { convArgs, convOptions } from './common';
import { oneKernel } from './one-kernel';

export const conv2dLayer: LayerDescriptor = layer({
  type: 'conv2d',
  description: '2-D convolution over (rows, cols, channels) inputs',
  options: convOptions(2),
  create: (a, ctx) => oneKernel(tf.layers.conv2d(convArgs(a, ctx) as Parameters<typeof tf.layers.conv2d>[0])),
});
