// Owns the `conv2d` layer: 2-D convolution over [rows, cols, channels] inputs.
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { convArgs, convSchema, type Args } from './common';

export const conv2d: LayerDescriptor = {
  type: 'conv2d',
  description: '2-D convolution over (rows, cols, channels) inputs',
  schema: convSchema(2),
  create: (a: Args, ctx) => tf.layers.conv2d(convArgs(a, ctx) as Parameters<typeof tf.layers.conv2d>[0]),
};
