// Geometric loss strategy (Chennupati et al., "MultiNet++: Multi-Stream Feature Aggregation and
// Geometric Loss Strategy for Multi-Task Learning", CVPR-W 2019): L = (Π_t L_t)^{1/T}, computed as
// exp(mean_t log L_t) so that a product of small losses does not underflow.
// Paper: https://arxiv.org/abs/1904.08492
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { statelessLoss } from './stateless-loss';
import { strategy, type LossStrategy, type StrategyDescriptor } from './strategy';

export const glsWeighting: StrategyDescriptor = strategy({
  type: 'gls',
  description: 'Geometric loss strategy (Chennupati et al. 2019): the geometric mean (Π L_t)^{1/T} of the task losses',
  options: opts(),
  create(_config, ctx): LossStrategy {
    return statelessLoss(ctx, 1 / ctx.taskNames.length, ({ losses }) => {
      // The geometric mean of the present tasks' losses: an absent task's 0 would zero the product.
      const L = tf.maximum(tf.stack(losses as tf.Scalar[]), 1e-12);
      const loss = tf.exp(tf.mean(tf.log(L))) as tf.Scalar;
      // ∂L/∂L_t = L / (T·L_t): the weight each task effectively receives this step.
      return { loss, weights: tf.div(loss, tf.mul(losses.length, L)).dataSync() };
    });
  },
});
