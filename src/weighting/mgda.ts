// MGDA-UB (Sener & Koltun, "Multi-Task Learning as Multi-Objective Optimization", NeurIPS 2018):
// the shared direction is the min-norm point of the convex hull of the task gradients.
// Paper: https://arxiv.org/abs/1810.04650
import * as tf from '@tensorflow/tfjs';
import { oneOf, opts } from '../util/options';
import { gradientStrategy } from './gradient-common';
import { gramOf, lossValues, minNormSimplex, rowNorms, type Mat, type SolverStatus } from './gradmath';
import { strategy, type StrategyDescriptor } from './strategy';

export type MgdaNormalization = 'none' | 'l2' | 'loss' | 'loss+';

/**
 * Weights α ∈ Δ minimising ‖Σ α_t ĝ_t‖² where ĝ_t = g_t / n_t (Sener & Koltun §3.2 and their code's
 * gradient normalisers: none n=1, l2 n=‖g‖, loss n=L, loss+ n=L·‖g‖). As in the authors' code the
 * weights then multiply the raw task losses, so the direction Σ α_t g_t lies in the convex hull of
 * the raw gradients (for `none` it is exactly the min-norm point).
 */
export function mgdaWeights(M: Mat, normalization: MgdaNormalization, losses: readonly number[], out?: SolverStatus): number[] {
  const norms = rowNorms(M);
  const n = M.map((_, t) => {
    const v = normalization === 'l2' ? norms[t] : normalization === 'loss' ? losses[t] : normalization === 'loss+' ? losses[t] * norms[t] : 1;
    return v > 1e-12 && Number.isFinite(v) ? v : 1; // a zero gradient or loss is left unscaled
  });
  const Mn = M.map((r, i) => r.map((x, j) => x / (n[i] * n[j])));
  return minNormSimplex(Mn, undefined, undefined, out);
}

export function mgda(G: tf.Tensor2D, normalization: MgdaNormalization, losses: readonly number[]): { direction: tf.Tensor1D; weights: number[]; solver: SolverStatus } {
  const solver: SolverStatus = { status: 'converged', iterations: 0, residual: 0 };
  const w = mgdaWeights(gramOf(G), normalization, losses, solver);
  return { direction: tf.tidy(() => tf.matMul(tf.tensor2d([w]), G).reshape([-1]) as tf.Tensor1D), weights: w, solver };
}

export const mgdaWeighting: StrategyDescriptor = strategy({
  type: 'mgda',
  description: 'MGDA-UB (Sener & Koltun 2018): the min-norm point of the convex hull of the task gradients',
  options: opts({
    normalization: oneOf(['none', 'l2', 'loss', 'loss+'], {
      default: 'none',
      description: 'Gradient normaliser before solving: none, l2 (‖g‖), loss (L), loss+ (L·‖g‖); the weights then multiply the raw gradients',
    }),
  }),
  create(config, ctx) {
    const norm = config.normalization;
    return gradientStrategy(ctx, (g) => mgda(g.grads, norm, norm === 'loss' || norm === 'loss+' ? lossValues(g.losses) : []));
  },
});
