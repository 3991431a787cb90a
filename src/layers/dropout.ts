// Owns the `dropout` layer: zeroes a random fraction of the inputs during training.
//
// No seed is passed on purpose. tfjs 4.22 Dropout.call() → K.dropout → tf.dropout → randomUniform(shape,
// 0, 1, 'float32', seed), which builds a fresh seedrandom.alea(seed) on every call: with a fixed seed
// every training step would draw the identical mask. Unseeded, the generator is seeded from
// Math.random(), which the training run makes deterministic (src/util/global-random.ts).
import * as tf from '@tensorflow/tfjs';
import { num, opts } from '../util/options';
import { layer, type LayerDescriptor } from './types';

export const dropoutLayer: LayerDescriptor = layer({
  type: 'dropout',
  description: 'Sets a random fraction `rate` of the inputs to 0 during training (and scales the rest by 1/(1-rate))',
  options: opts({ rate: num({ required: true, minimum: 0, exclusiveMaximum: 1, description: 'Fraction of the inputs to drop, in [0, 1)' }) }),
  create(a, ctx) {
    return tf.layers.dropout({ name: ctx.name, rate: a.rate });
  },
});
