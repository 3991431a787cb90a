// GradDrop (Chen et al., "Just Pick a Sign: Optimizing Deep Multitask Models with Gradient Sign
// Dropout", NeurIPS 2020): per coordinate, keep only the positive or only the negative task gradients,
// choosing positive with probability P = ½(1 + Σg/Σ|g|) (the gradient positive sign purity).
// Paper: https://arxiv.org/abs/2010.06808
import * as tf from '@tensorflow/tfjs';
import { mixSeed } from '../util/random';
import { num, opts } from '../util/options';
import { gradientStrategy } from './gradient-common';
import { strategy, type StrategyDescriptor } from './strategy';

/**
 * Chen et al. eq. 1–3 on the shared-parameter gradients: P = ½(1 + Σ_i g_i / Σ_i |g_i|), U ~ U(0,1)
 * per coordinate, mask_i = [P > U]·[g_i > 0] + [P < U]·[g_i < 0]; the direction is
 * Σ_i (leak·g_i + (1 − leak)·mask_i·g_i). `seed` fixes U.
 * Computed per coordinate from the sums of the positive and of the negative entries, S⁺ and S⁻:
 * Σ|g| = S⁺ − S⁻ and Σ mask_i g_i = [P > U]·S⁺ + [P < U]·S⁻ — two passes over the T×d matrix
 * instead of a dozen (the masks, casts and products each were one).
 */
export function graddrop(G: tf.Tensor2D, leak: number, seed: number): tf.Tensor1D {
  return tf.tidy(() => {
    const d = G.shape[1];
    const sum = tf.sum(G, 0);
    const pos = tf.sum(tf.relu(G), 0);
    const neg = tf.sub(sum, pos);
    const P = tf.mul(0.5, tf.add(1, tf.div(sum, tf.add(tf.sub(pos, neg), 1e-7))));
    const U = tf.randomUniform([d], 0, 1, 'float32', seed);
    const zero = tf.zerosLike(sum);
    const kept = tf.where(tf.greater(P, U), pos, tf.where(tf.less(P, U), neg, zero));
    return (leak > 0 ? tf.add(tf.mul(leak, sum), tf.mul(1 - leak, kept)) : kept) as tf.Tensor1D;
  });
}

export const graddropWeighting: StrategyDescriptor = strategy({
  type: 'graddrop',
  description: 'GradDrop (Chen et al. 2020): per coordinate keep one gradient sign, chosen by its sign purity (seeded)',
  options: opts({
    leak: num({ minimum: 0, maximum: 1, default: 0, description: 'Fraction of every task gradient passed through unmasked' }),
  }),
  create(config, ctx) {
    const leak = config.leak;
    const T = ctx.taskNames.length;
    return gradientStrategy(ctx, (g) => ({ direction: graddrop(g.grads, leak, mixSeed(ctx.seed, g.step, 0x6d)), weights: new Array<number>(T).fill(1) }));
  },
});
