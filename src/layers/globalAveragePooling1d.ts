// Owns the `globalAveragePooling1d` layer: average over the steps: (steps, channels) to (channels).
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { objectSchema } from './common';

export const globalAveragePooling1d: LayerDescriptor = {
  type: 'globalAveragePooling1d',
  description: 'Average over the steps: (steps, channels) to (channels)',
  schema: objectSchema({}),
  create(_a, ctx) {
    return tf.layers.globalAveragePooling1d({ name: ctx.name });
  },
};
