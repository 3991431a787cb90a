// Owns the `average` merge layer: element-wise mean of several inputs.
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';

export const averageLayer: LayerDescriptor = layer({
  type: 'average',
  description: 'Merge (graph nodes): element-wise mean of several inputs of the same shape',
  options: opts({}),
  create(_a, ctx) {
    return tf.layers.average({ name: ctx.name });
  },
});
