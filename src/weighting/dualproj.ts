// DualProj (Quinton & Rey 2024, torchjd): the mean task gradient projected onto the dual cone of
// the task gradients — the closest direction to the mean that conflicts with no task.
// Paper: https://arxiv.org/abs/2406.16232; the dual-cone projection itself is GEM's (Lopez-Paz &
// Ranzato 2017, https://arxiv.org/abs/1706.08840).
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { gradientStrategy } from './gradient-common';
import { combineRows, gramOf, projectWeightsDualCone, type Mat, type SolverStatus } from './gradmath';
import { strategy, type StrategyDescriptor } from './strategy';

export function dualprojWeights(M: Mat, out?: SolverStatus): number[] {
  return projectWeightsDualCone(M, new Array<number>(M.length).fill(1 / M.length), undefined, undefined, out);
}

export function dualproj(G: tf.Tensor2D): { direction: tf.Tensor1D; weights: number[]; solver: SolverStatus } {
  const solver: SolverStatus = { status: 'converged', iterations: 0, residual: 0 };
  const w = dualprojWeights(gramOf(G), solver);
  return { direction: combineRows(G, w), weights: w, solver };
}

export const dualprojWeighting: StrategyDescriptor = strategy({
  type: 'dualproj',
  description: 'DualProj (Quinton & Rey 2024): the mean gradient projected onto the dual cone of the task gradients',
  options: opts(),
  create(_config, ctx) {
    return gradientStrategy(ctx, (g) => dualproj(g.grads));
  },
});
