// Owns the `activation` layer: an element-wise activation function on its own.
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { activation as activationSchema, objectSchema, type Args } from './common';

export const activation: LayerDescriptor = {
  type: 'activation',
  description: 'Applies an activation function element-wise',
  schema: objectSchema({ activation: activationSchema(undefined, 'The activation function') }, ['activation']),
  create(a: Args, ctx) {
    return tf.layers.activation({ name: ctx.name, activation: a.activation });
  },
};
