// Owns the `activation` layer: an element-wise activation function on its own.
import * as tf from '@tensorflow/tfjs';
import { oneOf, opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';
import { ACTIVATIONS } from './common';

export const activationLayer: LayerDescriptor = layer({
  type: 'activation',
  description: 'Applies an activation function element-wise',
  options: opts({ activation: oneOf(ACTIVATIONS, { required: true, description: 'The activation function' }) }),
  create(a, ctx) {
    return tf.layers.activation({ name: ctx.name, activation: a.activation });
  },
});
