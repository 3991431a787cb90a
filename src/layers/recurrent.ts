// Owns what lstm, gru and bidirectional share: the recurrent-layer schema and the construction of a
// seeded tfjs LSTM/GRU layer.
//
// Seeds: the kernel gets glorotUniform({seed}) and the recurrent kernel orthogonal({seed}) (tfjs 4.22's
// Orthogonal initializer accepts a seed), unless the user names another initialiser. dropout and
// recurrentDropout masks are drawn by tfjs without a seed (generateDropoutMask → K.dropout), i.e. from
// Math.random, which the training run makes deterministic.
import * as tf from '@tensorflow/tfjs';
import { bool, num, opts, type Options } from '../util/options';
import { activation, initializer, initializerOption, regularizer, regularizerOption, units, useBias } from './common';
import { fuseRecurrent } from './fused-rnn';

export type RecurrentKind = 'lstm' | 'gru';

const rate = (what: string) => num({ minimum: 0, exclusiveMaximum: 1, default: 0, description: `Fraction of the ${what} to drop during training` });

/** The options lstm and gru share. */
export const recurrentProps = {
  units: units('Size of the hidden state'),
  activation: activation('tanh', 'Activation of the candidate state and output'),
  recurrentActivation: activation('hardSigmoid', 'Activation of the gates (tfjs default hardSigmoid; Keras uses sigmoid)'),
  useBias,
  returnSequences: bool({ default: false, description: 'Return the output of every step (steps, units) instead of the last one (units)' }),
  dropout: rate('inputs'),
  recurrentDropout: rate('recurrent state'),
  kernelInitializer: initializerOption('glorotUniform', 'Initialiser of the input kernel (seeded from the spec seed)'),
  recurrentInitializer: initializerOption('orthogonal', 'Initialiser of the recurrent kernel (seeded from the spec seed)'),
  kernelRegularizer: regularizerOption('input kernel'),
  recurrentRegularizer: regularizerOption('recurrent kernel'),
};
/** lstm's own option. */
export const lstmProps = { ...recurrentProps, unitForgetBias: bool({ default: false, description: 'Add 1 to the forget-gate bias at initialisation' }) };

export const gruOptions = opts(recurrentProps);
export const lstmOptions = opts(lstmProps);

type Initializers = 'kernelInitializer' | 'recurrentInitializer';
/** What recurrentLayer needs: an lstm's or gru's options, initialisers optional (their defaults apply). */
export type RecurrentArgs = Omit<Options<typeof gruOptions>, Initializers> & Partial<Pick<Options<typeof lstmOptions>, Initializers | 'unitForgetBias'>>;

export interface RecurrentBuild {
  name: string;
  nextSeed(): number;
  goBackwards?: boolean;
}

export function recurrentLayer(kind: RecurrentKind, a: RecurrentArgs, o: RecurrentBuild): tf.RNN {
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
  // Same layer class, config and weights; the call runs one fused op per sequence (fused-rnn.ts).
  return kind === 'lstm' ? fuseRecurrent('lstm', tf.layers.lstm({ ...common, unitForgetBias: a.unitForgetBias })) : fuseRecurrent('gru', tf.layers.gru(common));
}
