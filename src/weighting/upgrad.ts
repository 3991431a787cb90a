// UPGrad (Quinton & Rey, "Jacobian Descent for Multi-Objective Optimization", 2024; torchjd):
// the mean of every task gradient projected onto the dual cone of all task gradients, so the result
// never conflicts with any task (non-negative inner product with every row).
// Paper: https://arxiv.org/abs/2406.16232
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { gradientStrategy } from './gradient-common';
import { combineRows, gramOf, projectWeightsDualCone, type Mat, type SolverStatus } from './gradmath';
import { strategy, type StrategyDescriptor } from './strategy';

/** Weights w with direction wᵀG = (1/T) Σ_i π(g_i), π the projection onto {x : Gx ≥ 0} (Quinton & Rey eq. 5). */
export function upgradWeights(M: Mat, out?: SolverStatus): number[] {
  const T = M.length;
  const w = new Array<number>(T).fill(0);
  // The T projections' statuses: the worst one, total iterations, largest residual.
  const all: SolverStatus = { status: 'converged', iterations: 0, residual: 0 };
  for (let i = 0; i < T; i++) {
    const u = new Array<number>(T).fill(0);
    u[i] = 1 / T;
    const one: SolverStatus = { status: 'converged', iterations: 0, residual: 0 };
    projectWeightsDualCone(M, u, undefined, undefined, one).forEach((v, k) => (w[k] += v));
    all.iterations += one.iterations;
    all.residual = Math.max(all.residual, one.residual);
    if (one.status !== 'converged') all.status = one.status;
  }
  if (out) Object.assign(out, all);
  return w;
}

export function upgrad(G: tf.Tensor2D): { direction: tf.Tensor1D; weights: number[]; solver: SolverStatus } {
  const solver: SolverStatus = { status: 'converged', iterations: 0, residual: 0 };
  const w = upgradWeights(gramOf(G), solver);
  return { direction: combineRows(G, w), weights: w, solver };
}

export const upgradWeighting: StrategyDescriptor = strategy({
  type: 'upgrad',
  description: 'UPGrad (Quinton & Rey 2024): the mean of each task gradient projected onto the dual cone of all of them',
  options: opts(),
  create(_config, ctx) {
    return gradientStrategy(ctx, (g) => upgrad(g.grads));
  },
});
