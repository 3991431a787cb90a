// Owns the `average` merge layer: element-wise mean of several inputs.
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { objectSchema } from './common';

export const average: LayerDescriptor = {
  type: 'average',
  description: 'Merge (graph nodes): element-wise mean of several inputs of the same shape',
  schema: objectSchema({}),
  create(_a, ctx) {
    return tf.layers.average({ name: ctx.name });
  },
};
