// Owns the `mlp` backbone: a stack of fully connected layers (a multilayer perceptron, Rumelhart,
// Hinton & Williams 1986), each followed by dropout (Srivastava et al. 2014) when `dropout` > 0.
import * as tf from '@tensorflow/tfjs';
import { int, list, num, opts } from '../util/options';
import { makeBlock } from './block';
import { layer, type LayerDescriptor } from './types';
import { activation } from './common';
import { oneKernel } from './one-kernel';

export const mlpLayer: LayerDescriptor = layer({
  type: 'mlp',
  description: 'Stack of dense layers (units list), each with the same activation and optional dropout',
  options: opts({
    units: list(int({ minimum: 1 }), { required: true, minItems: 1, description: 'Units of each dense layer, in order' }),
    activation: activation('relu', 'Activation of every dense layer'),
    dropout: num({ minimum: 0, exclusiveMaximum: 1, default: 0, description: 'Dropout rate after each dense layer (0: none)' }),
  }),
  create(a, ctx) {
    const units = a.units;
    return makeBlock(ctx, (b, input) => {
      let x = input;
      units.forEach((u, i) => {
        x = b.apply(`dense${i + 1}`, (name) => oneKernel(tf.layers.dense({ name, units: u, activation: a.activation, kernelInitializer: tf.initializers.glorotUniform({ seed: b.seed() }) })), x);
        // No seed for dropout (see dropout.ts: a fixed seed repeats one mask at every step). The seed is
        // still drawn so that the layers after it keep the initial weights they always had.
        if (a.dropout > 0) x = b.apply(`dropout${i + 1}`, (name) => (b.seed(), tf.layers.dropout({ name, rate: a.dropout })), x);
      });
      return x;
    });
  },
});
