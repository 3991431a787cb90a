// FairGrad (Ban & Ji, "Fair Resource Allocation in Multi-Task Learning", ICML 2024): α-fair utility
// maximisation; the direction is Σ w_t g_t with GGᵀw = w^(-1/α) (α = 1 is proportional fairness,
// the Nash-MTL equation; larger α moves towards max-min fairness).
// Paper: https://arxiv.org/abs/2402.15638
import * as tf from '@tensorflow/tfjs';
import { num, opts } from '../util/options';
import { gradientStrategy } from './gradient-common';
import { combineRows, gramOf, solveBalance, type Mat, type SolverStatus } from './gradmath';
import { strategy, type StrategyDescriptor } from './strategy';

export function fairgradWeights(M: Mat, alpha: number, out?: SolverStatus): number[] {
  return solveBalance(M, 1 / alpha, 50, undefined, out);
}

export function fairgrad(G: tf.Tensor2D, alpha: number): { direction: tf.Tensor1D; weights: number[]; solver: SolverStatus } {
  const solver: SolverStatus = { status: 'converged', iterations: 0, residual: 0 };
  const w = fairgradWeights(gramOf(G), alpha, solver);
  return { direction: combineRows(G, w), weights: w, solver };
}

export const fairgradWeighting: StrategyDescriptor = strategy({
  type: 'fairgrad',
  description: 'FairGrad (Ban & Ji 2024): α-fair direction Σw_t g_t with GGᵀw = w^(-1/α)',
  options: opts({
    alpha: num({ exclusiveMinimum: 0, default: 1.0, description: 'Fairness level α (1: proportional fairness; large: max-min fairness)' }),
  }),
  create(config, ctx) {
    const alpha = config.alpha;
    return gradientStrategy(ctx, (g) => fairgrad(g.grads, alpha));
  },
});
