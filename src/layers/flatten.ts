// Owns the `flatten` layer: flattens every non-batch axis into one: (a, b, ...) to (a·b·...).
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';

export const flattenLayer: LayerDescriptor = layer({
  type: 'flatten',
  description: 'Flattens every non-batch axis into one: (a, b, ...) to (a·b·...)',
  options: opts({}),
  create(_a, ctx) {
    return tf.layers.flatten({ name: ctx.name });
  },
});
