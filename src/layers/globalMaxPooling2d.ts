// Owns the `globalMaxPooling2d` layer: maximum over rows and cols: (rows, cols, channels) to (channels).
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { objectSchema } from './common';

export const globalMaxPooling2d: LayerDescriptor = {
  type: 'globalMaxPooling2d',
  description: 'Maximum over rows and cols: (rows, cols, channels) to (channels)',
  schema: objectSchema({}),
  create(_a, ctx) {
    return tf.layers.globalMaxPooling2d({ name: ctx.name });
  },
};
