// Owns the `batchNormalization` layer: normalises with batch statistics (moving averages at inference).
import * as tf from '@tensorflow/tfjs';
import type { LayerDescriptor } from './types';
import { objectSchema, type Args } from './common';

export const batchNormalization: LayerDescriptor = {
  type: 'batchNormalization',
  description: 'Batch normalisation: batch statistics in training, moving averages at inference',
  schema: objectSchema({
    axis: { type: 'integer', default: -1, description: 'The features axis (-1: the last one)' },
    momentum: { type: 'number', minimum: 0, maximum: 1, default: 0.99, description: 'Momentum of the moving mean and variance' },
    epsilon: { type: 'number', exclusiveMinimum: 0, default: 1e-3, description: 'Added to the variance to avoid division by zero' },
    center: { type: 'boolean', default: true, description: 'Learn an offset (beta)' },
    scale: { type: 'boolean', default: true, description: 'Learn a scale (gamma)' },
  }),
  create(a: Args, ctx) {
    return tf.layers.batchNormalization({ name: ctx.name, axis: a.axis, momentum: a.momentum, epsilon: a.epsilon, center: a.center, scale: a.scale });
  },
};
