// Owns the `conv1d` layer: 1-D convolution over [steps, channels] inputs.
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { convArgs, convSchema, type Args } from './common';

export const conv1d: LayerDescriptor = {
  type: 'conv1d',
  description: '1-D convolution over (steps, channels) inputs',
  schema: convSchema(1),
  create: (a: Args, ctx) => tf.layers.conv1d(convArgs(a, ctx) as Parameters<typeof tf.layers.conv1d>[0]),
};
