// Owns the `crf-nll` loss: negative log-likelihood of the gold tag sequence under the task's
// linear-chain CRF head (src/layers/crf.ts), and Viterbi decoding of that head for metrics.
//
// Padding: a position is padding when the batch's per-token mask for the task is 0 there, or when its
// target tag is negative (e.g. −1). Real tokens come first in each row. A per-row mask [b] only
// drops whole rows (the train step's masked mean does that); without any mask every position is real.
import * as tf from '@tensorflow/tfjs';
import { crfLayerOf, crfNll, lengthsOf, tokenMask, viterbiDecode } from '../layers/crf';
import { opts } from '../util/options';
import { loss, type LossAux, type LossDescriptor } from './types';

function layerFor(aux: LossAux | undefined, taskName: string | undefined) {
  if (!aux?.model) throw new Error('crf-nll needs the model its output came from (LossAux.model)');
  return crfLayerOf(aux.model, taskName ?? '');
}

export const crfNllLoss: LossDescriptor = loss({
  type: 'crf-nll',
  description: 'Negative log-likelihood of the gold tag sequence under a linear-chain CRF head (the head must end in a crf layer); per-token targets, padding masked',
  taskTypes: ['classification'],
  options: opts(),
  fromLogits: () => true,
  create(_c, ctx) {
    return (yTrue, yPred, aux) =>
      tf.tidy(() => {
        const { transitions, start, end } = layerFor(aux, ctx.taskName).scores();
        return crfNll(yPred, yTrue, tokenMask(yTrue, aux?.mask), transitions, start, end);
      });
  },
  decode(_c, ctx) {
    return (yPred, aux) => {
      const [b, steps, n] = yPred.shape;
      const layer = layerFor(aux, ctx.taskName);
      const s = layer.scores();
      const mask = aux.mask && aux.mask.rank === 2 ? aux.mask.dataSync() : undefined;
      const paths = viterbiDecode(yPred.dataSync(), b, steps, n, s.transitions.dataSync(), s.start.dataSync(), s.end.dataSync(), mask ? lengthsOf(mask, b, steps) : undefined);
      return tf.tidy(() => tf.oneHot(tf.tensor(paths, [b, steps], 'int32'), n));
    };
  },
});
