// Equal weighting (EW): L = Σ_t L_t / T' over the T' tasks labelled in the batch — the baseline every
// balancing method is compared to.
// No paper of its own, hence no link.
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { expand } from './present';
import { strategy, type LossStrategy, type StrategyDescriptor } from './strategy';

export const equalWeighting: StrategyDescriptor = strategy({
  type: 'equal',
  description: 'Equal weighting (EW): the mean of the task losses, ignoring per-task weights',
  options: opts(),
  create(_config, ctx): LossStrategy {
    const T = ctx.taskNames.length;
    let last = new Array<number>(T).fill(1 / T);
    return {
      needs: 'losses',
      combine({ losses, present }) {
        const n = losses.length;
        last = expand(new Array<number>(n).fill(1 / n), present, T);
        const weights = tf.fill([n], 1 / n) as tf.Tensor1D;
        return { loss: tf.mean(tf.stack(losses as tf.Scalar[])) as tf.Scalar, weights };
      },
      variables: () => [],
      weights: () => Object.fromEntries(ctx.taskNames.map((t, i) => [t, last[i]])),
      state: () => null,
      restore() {},
      dispose() {},
    };
  },
});
