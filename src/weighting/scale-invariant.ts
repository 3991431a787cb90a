// Scale-invariant loss: L = Σ_t log L_t, the "SI" baseline of Navon et al., "Multi-Task Learning as
// a Bargaining Game", ICML 2022. Multiplying a task's loss by a constant c adds log c, a constant, so
// the update does not depend on the tasks' loss scales: ∇L = Σ_t ∇L_t / L_t.
// Paper: https://arxiv.org/abs/2202.01017
import * as tf from '@tensorflow/tfjs';
import { num, opts } from '../util/options';
import { statelessLoss } from './stateless-loss';
import { strategy, type LossStrategy, type StrategyDescriptor } from './strategy';

/** Below this a loss is floored before the log (a loss of exactly 0 would give −∞). */
const FLOOR = 1e-12;

export const scaleInvariantWeighting: StrategyDescriptor = strategy({
  type: 'scale-invariant',
  description: 'Scale-invariant loss (Navon et al. 2022\'s SI baseline): Σ_t log(L_t + ε), so each task\'s gradient is divided by its loss',
  options: opts({
    epsilon: num({ minimum: 0, default: 0, description: 'Added to each task loss inside the log (ε > 0 damps the weight 1/(L_t + ε) of a nearly solved task)' }),
  }),
  create(config, ctx): LossStrategy {
    return statelessLoss(ctx, 1, ({ losses }) => {
      const L = tf.maximum(tf.add(tf.stack(losses as tf.Scalar[]), config.epsilon), FLOOR);
      // ∂L/∂L_t = 1/(L_t + ε): the weight each task effectively receives this step.
      return { loss: tf.sum(tf.log(L)) as tf.Scalar, weights: tf.reciprocal(L).dataSync() };
    });
  },
});
