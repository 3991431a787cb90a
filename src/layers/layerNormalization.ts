// Owns the `layerNormalization` layer: normalises each sample over its features axis.
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { objectSchema, type Args } from './common';

export const layerNormalization: LayerDescriptor = {
  type: 'layerNormalization',
  description: 'Layer normalisation: each sample normalised over its features axis',
  schema: objectSchema({
    axis: { type: 'integer', default: -1, description: 'The axis to normalise over (-1: the last one)' },
    epsilon: { type: 'number', exclusiveMinimum: 0, default: 1e-3, description: 'Added to the variance to avoid division by zero' },
    center: { type: 'boolean', default: true, description: 'Learn an offset (beta)' },
    scale: { type: 'boolean', default: true, description: 'Learn a scale (gamma)' },
  }),
  create(a: Args, ctx) {
    return tf.layers.layerNormalization({ name: ctx.name, axis: a.axis, epsilon: a.epsilon, center: a.center, scale: a.scale });
  },
};
