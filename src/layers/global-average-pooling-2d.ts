// Owns the `globalAveragePooling2d` layer: average over rows and cols: (rows, cols, channels) to (channels).
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';

export const globalAveragePooling2dLayer: LayerDescriptor = layer({
  type: 'globalAveragePooling2d',
  description: 'Average over rows and cols: (rows, cols, channels) to (channels)',
  options: opts({}),
  create(_a, ctx) {
    return tf.layers.globalAveragePooling2d({ name: ctx.name });
  },
});
