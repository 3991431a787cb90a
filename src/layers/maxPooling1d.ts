// Owns the `maxPooling1d` layer: max pooling over the steps of (steps, channels) inputs.
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { intOrTuple, objectSchema, padding, type Args } from './common';

export const maxPooling1d: LayerDescriptor = {
  type: 'maxPooling1d',
  description: 'Max pooling over the steps of (steps, channels) inputs',
  schema: objectSchema({
    poolSize: intOrTuple(1, 'Size of the pooling window', 2),
    strides: intOrTuple(1, 'Step of the window (default: poolSize)'),
    padding,
  }),
  create(a: Args, ctx) {
    return tf.layers.maxPooling1d({ name: ctx.name, poolSize: a.poolSize, strides: a.strides ?? a.poolSize, padding: a.padding });
  },
};
