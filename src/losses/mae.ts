// Owns the `mae` loss: mean absolute error over the outputs of each sample.
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { loss, type LossDescriptor } from './types';
import { floatTargetLike, perSample } from './common';

export const maeLoss: LossDescriptor = loss({
  type: 'mae',
  description: 'Mean absolute error |y − ŷ|, averaged over the outputs',
  taskTypes: ['regression'],
  options: opts(),
  fromLogits: () => false,
  create: () => (yTrue, yPred) => tf.tidy(() => perSample(tf.abs(tf.sub(floatTargetLike(yTrue, yPred), yPred)))),
});
