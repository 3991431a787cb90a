// Equal weighting (EW): L = Σ_t L_t / T' over the T' tasks labelled in the batch — the baseline every
// balancing method is compared to.
// No paper of its own, hence no link.
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { statelessLoss } from './stateless-loss';
import { strategy, type LossStrategy, type StrategyDescriptor } from './strategy';

export const equalWeighting: StrategyDescriptor = strategy({
  type: 'equal',
  description: 'Equal weighting (EW): the mean of the task losses, ignoring per-task weights',
  options: opts(),
  create(_config, ctx): LossStrategy {
    return statelessLoss(ctx, 1 / ctx.taskNames.length, ({ losses }) => ({
      loss: tf.mean(tf.stack(losses as tf.Scalar[])) as tf.Scalar,
      weights: new Array<number>(losses.length).fill(1 / losses.length),
    }));
  },
});
