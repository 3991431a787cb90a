// Owns the `add` merge layer: element-wise sum of several inputs.
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { objectSchema } from './common';

export const add: LayerDescriptor = {
  type: 'add',
  description: 'Merge (graph nodes): element-wise sum of several inputs of the same shape',
  schema: objectSchema({}),
  create(_a, ctx) {
    return tf.layers.add({ name: ctx.name });
  },
};
