// Static loss weights: L = Σ_t w_t · L_t, as Keras' loss_weights. Weights come from the spec.
// No paper of its own, hence no link.
import * as tf from '@tensorflow/tfjs';
import { custom, opts } from '../util/options';
import { pick } from './present';
import { strategy, type LossStrategy, type StrategyDescriptor } from './strategy';

export const staticWeighting: StrategyDescriptor = strategy({
  type: 'static',
  description: 'Fixed per-task loss weights (tasks.<name>.weight or weighting.weights; default 1 each), like Keras loss_weights',
  options: opts({
    weights: custom<Record<string, number>>()({
      type: 'object',
      description: 'Per-task weight by task name; a task not named here uses tasks.<name>.weight, else 1',
      additionalProperties: { type: 'number', minimum: 0 },
    }),
  }),
  create(_config, ctx): LossStrategy {
    const w = [...ctx.taskWeights];
    return {
      needs: 'losses',
      combine({ losses, epoch, present }) {
        if (ctx.weightsAt) w.splice(0, w.length, ...ctx.weightsAt(epoch));
        const weights = tf.tensor1d(pick(w, present));
        return { loss: tf.sum(tf.mul(tf.stack(losses as tf.Scalar[]), weights)) as tf.Scalar, weights };
      },
      variables: () => [],
      weights: () => Object.fromEntries(ctx.taskNames.map((t, i) => [t, w[i]])),
      // A copy: the record of an epoch must not follow a schedule's later splices.
      state: () => ({ weights: [...w] }),
      restore() {},
      dispose() {},
    };
  },
});
