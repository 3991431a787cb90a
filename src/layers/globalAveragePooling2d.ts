// Owns the `globalAveragePooling2d` layer: average over rows and cols: (rows, cols, channels) to (channels).
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { objectSchema } from './common';

export const globalAveragePooling2d: LayerDescriptor = {
  type: 'globalAveragePooling2d',
  description: 'Average over rows and cols: (rows, cols, channels) to (channels)',
  schema: objectSchema({}),
  create(_a, ctx) {
    return tf.layers.globalAveragePooling2d({ name: ctx.name });
  },
};
