// Owns the `huber` loss: quadratic for small errors, linear for large ones.
import * as tf from '@tensorflow/tfjs';
import { num, opts } from '../util/options';
import { loss, type LossDescriptor } from './types';
import { floatTargetLike, perSample } from './common';

export const huberLoss: LossDescriptor = loss({
  type: 'huber',
  description: 'Huber loss: ½e² where |e| ≤ delta, delta·(|e| − ½delta) beyond; averaged over the outputs',
  taskTypes: ['regression'],
  options: opts({ delta: num({ exclusiveMinimum: 0, default: 1.0, description: 'Error size where the loss turns from quadratic to linear' }) }),
  fromLogits: () => false,
  create(c) {
    const delta = c.delta;
    return (yTrue, yPred) =>
      tf.tidy(() => {
        const err = tf.abs(tf.sub(floatTargetLike(yTrue, yPred), yPred));
        // q = min(|e|, δ): ½q² + δ(|e| − q) is both branches at once, with a continuous gradient.
        const q = tf.minimum(err, delta);
        return perSample(tf.add(tf.mul(0.5, tf.square(q)), tf.mul(delta, tf.sub(err, q))));
      });
  },
});
