// Owns the `binary-crossentropy` loss: per-output sigmoid cross-entropy, averaged over outputs.
import * as tf from '@tensorflow/tfjs';
import { loss, type LossDescriptor } from './types';
import { crossEntropyOptions, EPSILON, floatTargetLike, perSample } from './common';

export const binaryCrossentropyLoss: LossDescriptor = loss({
  type: 'binary-crossentropy',
  description: 'Binary cross-entropy of each 0/1 target against its predicted probability, averaged over the outputs',
  taskTypes: ['binary', 'multilabel'],
  options: crossEntropyOptions('targets become y(1−ε) + ε/2'),
  fromLogits: (c) => c.fromLogits,
  create(c) {
    const fromLogits = c.fromLogits;
    const smoothing = c.labelSmoothing;
    return (yTrue, yPred) =>
      tf.tidy(() => {
        let z = floatTargetLike(yTrue, yPred);
        if (smoothing > 0) z = tf.add(tf.mul(z, 1 - smoothing), 0.5 * smoothing);
        let loss: tf.Tensor;
        if (fromLogits) {
          // max(x, 0) − x·z + log(1 + exp(−|x|)): no overflow for large |x|.
          loss = tf.add(tf.sub(tf.relu(yPred), tf.mul(yPred, z)), tf.log1p(tf.exp(tf.neg(tf.abs(yPred)))));
        } else {
          const p = tf.clipByValue(yPred, EPSILON, 1 - EPSILON);
          loss = tf.neg(tf.add(tf.mul(z, tf.log(p)), tf.mul(tf.sub(1, z), tf.log(tf.sub(1, p)))));
        }
        return perSample(loss);
      });
  },
});
