// Smooth Tchebycheff scalarisation (Lin et al., "Smooth Tchebycheff Scalarization for Multi-Objective
// Optimization", ICML 2024), Eq. 7: g_μ(θ|λ) = μ·log Σ_t exp(λ_t(L_t − z*_t)/μ), with the ideal point
// z* = 0 (losses are non-negative) and preferences λ_t = the tasks' static weights. As μ → 0 it tends
// to the Tchebycheff max_t λ_t L_t (the worst task dominates); larger μ smooths toward Σ λ_t L_t / T.
// Paper: https://arxiv.org/abs/2402.19078
import * as tf from '@tensorflow/tfjs';
import { num, opts } from '../util/options';
import { pick } from './present';
import { statelessLoss } from './stateless-loss';
import { strategy, type LossStrategy, type StrategyDescriptor } from './strategy';

export const stchWeighting: StrategyDescriptor = strategy({
  type: 'stch',
  description: 'Smooth Tchebycheff scalarisation (Lin et al. 2024): μ·log Σ exp(λ_t L_t / μ), a smooth maximum of the weighted task losses',
  options: opts({
    mu: num({ exclusiveMinimum: 0, default: 1, description: 'Smoothing μ (small: close to the worst task only)' }),
  }),
  create(config, ctx): LossStrategy {
    const mu = config.mu;
    const lambda = [...ctx.taskWeights];
    return statelessLoss(ctx, 1 / ctx.taskNames.length, ({ losses, present }) => {
      const lp = tf.tensor1d(pick(lambda, present));
      const scaled = tf.div(tf.mul(lp, tf.stack(losses as tf.Scalar[])), mu);
      const loss = tf.mul(mu, tf.logSumExp(scaled)) as tf.Scalar;
      // ∂g/∂L_t = λ_t·softmax(λL/μ)_t.
      return { loss, weights: tf.mul(lp, tf.softmax(scaled)).dataSync() };
    });
  },
});
