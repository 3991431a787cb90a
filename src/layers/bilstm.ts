// Owns the `bilstm` backbone: stacked bidirectional LSTMs (Hochreiter & Schmidhuber 1997; Schuster &
// Paliwal 1997; stacked as in Graves, Mohamed & Hinton 2013). Inner layers return sequences; the last
// one returns sequences when `returnSequences` (e.g. before a crf head), else its final states.
import * as tf from '@tensorflow/tfjs';
import { bool, int, num, opts } from '../util/options';
import { makeBlock } from './block';
import { layer, type LayerDescriptor } from './types';

import { recurrentLayer, type RecurrentArgs } from './recurrent';
import { fuseRecurrent } from './fused-rnn';

export const bilstmLayer: LayerDescriptor = layer({
  type: 'bilstm',
  description: 'Stacked bidirectional LSTMs over (steps, features) inputs, the two directions concatenated',
  options: opts({
    units: int({ required: true, minimum: 1, description: 'Units of each direction (the output has 2·units features)' }),
    layers: int({ minimum: 1, default: 1, description: 'Number of stacked bidirectional layers' }),
    returnSequences: bool({ default: true, description: 'Whether the last layer outputs every step (steps, 2·units) or only the final one (2·units)' }),
    dropout: num({ minimum: 0, exclusiveMaximum: 1, default: 0, description: 'Dropout on each layer\'s inputs' }),
  }),
  create(a, ctx) {
    return makeBlock(ctx, (b, input) => {
      if (input.shape.length !== 3) throw new Error(`bilstm needs (steps, features) input, received rank ${input.shape.length - 1}`);
      let x = input;
      for (let i = 1; i <= a.layers; i++) {
        const args: RecurrentArgs = {
          units: a.units,
          activation: 'tanh',
          recurrentActivation: 'sigmoid',
          useBias: true,
          returnSequences: i < a.layers || a.returnSequences,
          dropout: a.dropout,
          recurrentDropout: 0,
          unitForgetBias: false, // tfjs's unit-forget-bias initialiser leaks its temporaries
        };
        x = b.apply(`bidi${i}`, (name) => {
          // Fresh seeds for the backward direction (see bidirectional.ts: tfjs would clone the forward one's);
          // its name is the one tfjs gives the clone, so that checkpoints reload.
          const forward = recurrentLayer('lstm', args, { name: `${name}_lstm`, nextSeed: () => b.seed() });
          const backward = recurrentLayer('lstm', args, { name: `backward_${name}_lstm`, nextSeed: () => b.seed(), goBackwards: true });
          const layer = tf.layers.bidirectional({ name, layer: forward, mergeMode: 'concat' });
          (layer as unknown as { backwardLayer: tf.layers.Layer }).backwardLayer = backward;
          // tfjs rebuilt the forward layer from its config (same weights, stock call): fuse that one.
          fuseRecurrent('lstm', (layer as unknown as { forwardLayer: tf.layers.Layer }).forwardLayer);
          return layer;
        }, x);
      }
      return x;
    });
  },
});
