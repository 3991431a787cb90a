// Owns the `globalAveragePooling1d` layer: average over the steps: (steps, channels) to (channels).
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';

export const globalAveragePooling1dLayer: LayerDescriptor = layer({
  type: 'globalAveragePooling1d',
  description: 'Average over the steps: (steps, channels) to (channels)',
  options: opts({}),
  create(_a, ctx) {
    return tf.layers.globalAveragePooling1d({ name: ctx.name });
  },
});
