// Owns the `maxPooling2d` layer: max pooling over the rows and cols of (rows, cols, channels) inputs.
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { intOrTuple, objectSchema, padding, type Args } from './common';

export const maxPooling2d: LayerDescriptor = {
  type: 'maxPooling2d',
  description: 'Max pooling over the rows and cols of (rows, cols, channels) inputs',
  schema: objectSchema({
    poolSize: intOrTuple(2, 'Size of the pooling window', 2),
    strides: intOrTuple(2, 'Step of the window (default: poolSize)'),
    padding,
  }),
  create(a: Args, ctx) {
    return tf.layers.maxPooling2d({ name: ctx.name, poolSize: a.poolSize, strides: a.strides ?? a.poolSize, padding: a.padding });
  },
};
