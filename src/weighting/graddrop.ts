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
 */
export function graddrop(G: tf.Tensor2D, leak: number, seed: number): tf.Tensor1D {
  return tf.tidy(() => {
    const d = G.shape[1];
    const P = tf.mul(0.5, tf.add(1, tf.div(tf.sum(G, 0), tf.add(tf.sum(tf.abs(G), 0), 1e-7))));
    const U = tf.randomUniform([d], 0, 1, 'float32', seed);
    const pos = tf.cast(tf.greater(P, U), 'float32');
    const neg = tf.cast(tf.less(P, U), 'float32');
    const mask = tf.add(tf.mul(tf.cast(tf.greater(G, 0), 'float32'), pos), tf.mul(tf.cast(tf.less(G, 0), 'float32'), neg));
    const kept = tf.sum(tf.mul(mask, G), 0);
    return (leak > 0 ? tf.add(tf.mul(leak, tf.sum(G, 0)), tf.mul(1 - leak, kept)) : kept) as tf.Tensor1D;
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
