// Owns the `flatten` layer: flattens every non-batch axis into one: (a, b, ...) to (a·b·...).
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { objectSchema } from './common';

export const flatten: LayerDescriptor = {
  type: 'flatten',
  description: 'Flattens every non-batch axis into one: (a, b, ...) to (a·b·...)',
  schema: objectSchema({}),
  create(_a, ctx) {
    return tf.layers.flatten({ name: ctx.name });
  },
};
