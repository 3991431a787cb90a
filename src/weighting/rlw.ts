// Random loss weighting (Lin et al., "Reasonable Effectiveness of Random Weighting: A Litmus Test for
// Multi-Task Learning", TMLR 2022; arXiv 2021): each step λ = softmax(z), z ~ N(0, I_T), L = Σ λ_t L_t.
// The draw is a pure function of (seed, step), so a resumed run repeats it without saved state.
// Paper: https://arxiv.org/abs/2111.10603
import * as tf from '@tensorflow/tfjs';
import { mixSeed, mulberry32 } from '../util/random';
import { opts } from '../util/options';
import { onSimplex } from './present';
import { statelessLoss } from './stateless-loss';
import { strategy, type LossStrategy, type StrategyDescriptor } from './strategy';

/** softmax of T standard-normal draws (Box–Muller) for this step. */
export function rlwWeights(seed: number, step: number, T: number): number[] {
  const rand = mulberry32(mixSeed(seed, step, 0x726c77));
  const z: number[] = [];
  while (z.length < T) {
    const u1 = Math.max(rand(), 1e-12);
    const u2 = rand();
    const r = Math.sqrt(-2 * Math.log(u1));
    z.push(r * Math.cos(2 * Math.PI * u2), r * Math.sin(2 * Math.PI * u2));
  }
  const zs = z.slice(0, T);
  const m = Math.max(...zs);
  const e = zs.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

export const rlwWeighting: StrategyDescriptor = strategy({
  type: 'rlw',
  description: 'Random loss weighting (Lin et al. 2021): weights = softmax of standard-normal draws, redrawn every step (seeded)',
  options: opts(),
  create(_config, ctx): LossStrategy {
    return statelessLoss(ctx, 1 / ctx.taskNames.length, ({ losses, step, present }) => {
      // The step's draw over all T tasks, restricted to the present ones and renormalised.
      const w = onSimplex(rlwWeights(ctx.seed, step, ctx.taskNames.length), present);
      return { loss: tf.sum(tf.mul(tf.stack(losses as tf.Scalar[]), tf.tensor1d(w))) as tf.Scalar, weights: w };
    });
  },
});
