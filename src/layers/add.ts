// Owns the `add` merge layer: element-wise sum of several inputs.
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';

export const addLayer: LayerDescriptor = layer({
  type: 'add',
  description: 'Merge (graph nodes): element-wise sum of several inputs of the same shape',
  options: opts({}),
  create(_a, ctx) {
    return tf.layers.add({ name: ctx.name });
  },
});
