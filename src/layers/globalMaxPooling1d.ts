// Owns the `globalMaxPooling1d` layer: maximum over the steps: (steps, channels) to (channels).
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { objectSchema } from './common';

export const globalMaxPooling1d: LayerDescriptor = {
  type: 'globalMaxPooling1d',
  description: 'Maximum over the steps: (steps, channels) to (channels)',
  schema: objectSchema({}),
  create(_a, ctx) {
    return tf.layers.globalMaxPooling1d({ name: ctx.name });
  },
};
