// Owns the `globalMaxPooling1d` layer: maximum over the steps: (steps, channels) to (channels).
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';

export const globalMaxPooling1dLayer: LayerDescriptor = layer({
  type: 'globalMaxPooling1d',
  description: 'Maximum over the steps: (steps, channels) to (channels)',
  options: opts({}),
  create(_a, ctx) {
    return tf.layers.globalMaxPooling1d({ name: ctx.name });
  },
});
