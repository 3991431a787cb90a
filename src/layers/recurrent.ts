// Owns what lstm, gru and bidirectional share: the recurrent-layer schema and the construction of a
// seeded tfjs LSTM/GRU layer.
//
// Seeds: the kernel gets glorotUniform({seed}) and the recurrent kernel orthogonal({seed}) (tfjs 4.22's
// Orthogonal initializer accepts a seed), unless the user names another initialiser. dropout and
// recurrentDropout masks are drawn by tfjs without a seed (generateDropoutMask → K.dropout), i.e. from
// Math.random, which the training run makes deterministic.
import * as tf from '@tensorflow/tfjs';
import type { JSONSchema } from '../registry';
import { activation, initializer, initializerSchema, objectSchema, regularizer, regularizerSchema, units, useBias, type Args } from './common';

export type RecurrentKind = 'lstm' | 'gru';

const rate = (what: string): JSONSchema => ({ type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0, description: `Fraction of the ${what} to drop during training` });

export function recurrentSchema(kind: RecurrentKind): JSONSchema {
  return objectSchema(
    {
      units: units('Size of the hidden state'),
      activation: activation('tanh', 'Activation of the candidate state and output'),
      recurrentActivation: activation('hardSigmoid', 'Activation of the gates (tfjs default hardSigmoid; Keras uses sigmoid)'),
      useBias,
      returnSequences: { type: 'boolean', default: false, description: 'Return the output of every step (steps, units) instead of the last one (units)' },
      dropout: rate('inputs'),
      recurrentDropout: rate('recurrent state'),
      kernelInitializer: initializerSchema('glorotUniform', 'Initialiser of the input kernel (seeded from the spec seed)'),
      recurrentInitializer: initializerSchema('orthogonal', 'Initialiser of the recurrent kernel (seeded from the spec seed)'),
      kernelRegularizer: regularizerSchema('input kernel'),
      recurrentRegularizer: regularizerSchema('recurrent kernel'),
      ...(kind === 'lstm' ? { unitForgetBias: { type: 'boolean', default: false, description: 'Add 1 to the forget-gate bias at initialisation' } } : {}),
    },
    ['units'],
  );
}

export interface RecurrentOptions {
  name: string;
  nextSeed(): number;
  goBackwards?: boolean;
}

export function recurrentLayer(kind: RecurrentKind, a: Args, o: RecurrentOptions): tf.RNN {
  const common = {
    name: o.name,
    units: a.units,
    activation: a.activation,
    recurrentActivation: a.recurrentActivation,
    useBias: a.useBias,
    returnSequences: a.returnSequences,
    dropout: a.dropout,
    recurrentDropout: a.recurrentDropout,
    // Seeds are drawn in a fixed order whatever the initialiser names are.
    kernelInitializer: initializer(a.kernelInitializer, 'glorotUniform', o.nextSeed()),
    recurrentInitializer: initializer(a.recurrentInitializer, 'orthogonal', o.nextSeed()),
    kernelRegularizer: regularizer(a.kernelRegularizer),
    recurrentRegularizer: regularizer(a.recurrentRegularizer),
    goBackwards: o.goBackwards ?? false,
  };
  return kind === 'lstm' ? tf.layers.lstm({ ...common, unitForgetBias: a.unitForgetBias }) : tf.layers.gru(common);
}
