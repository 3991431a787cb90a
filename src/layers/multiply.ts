// Owns the `multiply` merge layer: element-wise product of several inputs.
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';

export const multiplyLayer: LayerDescriptor = layer({
  type: 'multiply',
  description: 'Merge (graph nodes): element-wise product of several inputs of the same shape',
  options: opts({}),
  create(_a, ctx) {
    return tf.layers.multiply({ name: ctx.name });
  },
});
