// Owns the `globalMaxPooling2d` layer: maximum over rows and cols: (rows, cols, channels) to (channels).
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';

export const globalMaxPooling2dLayer: LayerDescriptor = layer({
  type: 'globalMaxPooling2d',
  description: 'Maximum over rows and cols: (rows, cols, channels) to (channels)',
  options: opts({}),
  create(_a, ctx) {
    return tf.layers.globalMaxPooling2d({ name: ctx.name });
  },
});
