// Owns the `conv1d` layer: 1-D convolution over [steps, channels] inputs.
import * as tf from '@tensorflow/tfjs';
import { layer, type LayerDescriptor } from './types';
import { convArgs, convOptions } from './common';

export const conv1dLayer: LayerDescriptor = layer({
  type: 'conv1d',
  description: '1-D convolution over (steps, channels) inputs',
  options: convOptions(1),
  create: (a, ctx) => tf.layers.conv1d(convArgs(a, ctx) as Parameters<typeof tf.layers.conv1d>[0]),
});
