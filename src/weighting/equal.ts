// Equal weighting (EW): L = Σ_t L_t / T — the baseline every balancing method is compared to.
// No paper of its own, hence no link.
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { strategy, type LossStrategy, type StrategyDescriptor } from './strategy';

export const equalWeighting: StrategyDescriptor = strategy({
  type: 'equal',
  description: 'Equal weighting (EW): the mean of the task losses, ignoring per-task weights',
  options: opts(),
  create(_config, ctx): LossStrategy {
    const T = ctx.taskNames.length;
    return {
      needs: 'losses',
      combine({ losses }) {
        const weights = tf.fill([T], 1 / T) as tf.Tensor1D;
        return { loss: tf.mean(tf.stack(losses as tf.Scalar[])) as tf.Scalar, weights };
      },
      variables: () => [],
      weights: () => Object.fromEntries(ctx.taskNames.map((t) => [t, 1 / T])),
      state: () => null,
      restore() {},
      dispose() {},
    };
  },
});
