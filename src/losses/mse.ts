// Owns the `mse` loss: mean squared error over the outputs of each sample (of each pixel for a per-pixel head).
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { loss, type LossDescriptor } from './types';
import { floatTargetLike, perPrediction } from './common';

export const mseLoss: LossDescriptor = loss({
  type: 'mse',
  description: 'Mean squared error (y − ŷ)², averaged over the outputs (per pixel for a per-pixel head: the masked mean then counts pixels)',
  taskTypes: ['regression'],
  options: opts(),
  fromLogits: () => false,
  create: () => (yTrue, yPred) => tf.tidy(() => perPrediction(tf.squaredDifference(floatTargetLike(yTrue, yPred), yPred), yPred)),
});
