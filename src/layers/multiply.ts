// Owns the `multiply` merge layer: element-wise product of several inputs.
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { objectSchema } from './common';

export const multiply: LayerDescriptor = {
  type: 'multiply',
  description: 'Merge (graph nodes): element-wise product of several inputs of the same shape',
  schema: objectSchema({}),
  create(_a, ctx) {
    return tf.layers.multiply({ name: ctx.name });
  },
};
