// DualProj (Quinton & Rey 2024, torchjd): the mean task gradient projected onto the dual cone of
// the task gradients — the closest direction to the mean that conflicts with no task.
// Paper: https://arxiv.org/abs/2406.16232; the dual-cone projection itself is GEM's (Lopez-Paz &
// Ranzato 2017, https://arxiv.org/abs/1706.08840).
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { gradientStrategy } from './gradient-common';
import { combineRows, gramOf, projectWeightsDualCone, type Mat } from './gradmath';
import { strategy, type StrategyDescriptor } from './strategy';

export function dualprojWeights(M: Mat): number[] {
  return projectWeightsDualCone(M, new Array<number>(M.length).fill(1 / M.length));
}

export function dualproj(G: tf.Tensor2D): { direction: tf.Tensor1D; weights: number[] } {
  const w = dualprojWeights(gramOf(G));
  return { direction: combineRows(G, w), weights: w };
}

export const dualprojWeighting: StrategyDescriptor = strategy({
  type: 'dualproj',
  description: 'DualProj (Quinton & Rey 2024): the mean gradient projected onto the dual cone of the task gradients',
  options: opts(),
  create(_config, ctx) {
    return gradientStrategy(ctx, (g) => dualproj(g.grads));
  },
});
