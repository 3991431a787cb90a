// Geometric loss strategy (Chennupati et al., "MultiNet++: Multi-Stream Feature Aggregation and
// Geometric Loss Strategy for Multi-Task Learning", CVPR-W 2019): L = (Π_t L_t)^{1/T}, computed as
// exp(mean_t log L_t) so that a product of small losses does not underflow.
// Paper: https://arxiv.org/abs/1904.08492
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { expand } from './present';
import { strategy, type LossStrategy, type StrategyDescriptor } from './strategy';

export const glsWeighting: StrategyDescriptor = strategy({
  type: 'gls',
  description: 'Geometric loss strategy (Chennupati et al. 2019): the geometric mean (Π L_t)^{1/T} of the task losses',
  options: opts(),
  create(_config, ctx): LossStrategy {
    const T = ctx.taskNames.length;
    let last = new Array<number>(T).fill(1 / T);
    return {
      needs: 'losses',
      combine({ losses, present }) {
        // The geometric mean of the present tasks' losses: an absent task's 0 would zero the product.
        const n = losses.length;
        const L = tf.maximum(tf.stack(losses as tf.Scalar[]), 1e-12);
        const loss = tf.exp(tf.mean(tf.log(L))) as tf.Scalar;
        // ∂L/∂L_t = L / (T·L_t): the weight each task effectively receives this step.
        const weights = tf.tidy(() => tf.tensor1d(tf.div(loss, tf.mul(n, L)).dataSync() as Float32Array));
        last = expand(weights.dataSync(), present, T);
        return { loss, weights };
      },
      variables: () => [],
      weights: () => Object.fromEntries(ctx.taskNames.map((t, i) => [t, last[i]])),
      state: () => null,
      restore() {},
      dispose() {},
    };
  },
});
