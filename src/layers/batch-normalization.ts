// Owns the `batchNormalization` layer: normalises with batch statistics (moving averages at inference).
import * as tf from '@tensorflow/tfjs';
import { bool, int, num, opts } from '../util/options';
import { oneKernelBatchNorm } from './batch-norm-train';
import { layer, type LayerDescriptor } from './types';

export const batchNormalizationLayer: LayerDescriptor = layer({
  type: 'batchNormalization',
  description: 'Batch normalisation: batch statistics in training, moving averages at inference',
  options: opts({
    axis: int({ default: -1, description: 'The features axis (-1: the last one)' }),
    momentum: num({ minimum: 0, maximum: 1, default: 0.99, description: 'Momentum of the moving mean and variance' }),
    epsilon: num({ exclusiveMinimum: 0, default: 1e-3, description: 'Added to the variance to avoid division by zero' }),
    center: bool({ default: true, description: 'Learn an offset (beta)' }),
    scale: bool({ default: true, description: 'Learn a scale (gamma)' }),
  }),
  create(a, ctx) {
    return oneKernelBatchNorm(tf.layers.batchNormalization({ name: ctx.name, axis: a.axis, momentum: a.momentum, epsilon: a.epsilon, center: a.center, scale: a.scale }));
  },
});
