// Owns the `mse` loss: mean squared error over the outputs of each sample.
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { loss, type LossDescriptor } from './types';
import { floatTargetLike, perSample } from './common';

export const mseLoss: LossDescriptor = loss({
  type: 'mse',
  description: 'Mean squared error (y − ŷ)², averaged over the outputs',
  taskTypes: ['regression'],
  options: opts(),
  fromLogits: () => false,
  create: () => (yTrue, yPred) => tf.tidy(() => perSample(tf.squaredDifference(floatTargetLike(yTrue, yPred), yPred))),
});
