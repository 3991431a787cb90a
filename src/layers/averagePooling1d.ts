// Owns the `averagePooling1d` layer: average pooling over the steps of (steps, channels) inputs.
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { intOrTuple, objectSchema, padding, type Args } from './common';

export const averagePooling1d: LayerDescriptor = {
  type: 'averagePooling1d',
  description: 'Average pooling over the steps of (steps, channels) inputs',
  schema: objectSchema({
    poolSize: intOrTuple(1, 'Size of the pooling window', 2),
    strides: intOrTuple(1, 'Step of the window (default: poolSize)'),
    padding,
  }),
  create(a: Args, ctx) {
    return tf.layers.averagePooling1d({ name: ctx.name, poolSize: a.poolSize, strides: a.strides ?? a.poolSize, padding: a.padding });
  },
};
