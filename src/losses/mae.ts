// Owns the `mae` loss: mean absolute error over the outputs of each sample (of each pixel for a per-pixel head).
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { loss, type LossDescriptor } from './types';
import { floatTargetLike, perPrediction } from './common';

export const maeLoss: LossDescriptor = loss({
  type: 'mae',
  description: 'Mean absolute error |y − ŷ|, averaged over the outputs (per pixel for a per-pixel head: the masked mean then counts pixels)',
  taskTypes: ['regression'],
  options: opts(),
  fromLogits: () => false,
  create: () => (yTrue, yPred) => tf.tidy(() => perPrediction(tf.abs(tf.sub(floatTargetLike(yTrue, yPred), yPred)), yPred)),
});
