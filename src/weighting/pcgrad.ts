// PCGrad (Yu et al., "Gradient Surgery for Multi-Task Learning", NeurIPS 2020): each task gradient
// is projected onto the normal plane of every other task gradient it conflicts with (negative inner
// product), visiting the others in random order; the direction is the sum of the projected gradients.
// Paper: https://arxiv.org/abs/2001.06782
import * as tf from '@tensorflow/tfjs';
import { mixSeed, mulberry32, shuffleInPlace } from '../util/random';
import { opts } from '../util/options';
import { gradientStrategy } from './gradient-common';
import { combineRows, gramOf, type Mat } from './gradmath';
import { strategy, type StrategyDescriptor } from './strategy';

/**
 * Coefficients C (T×T) with g_i^PC = Σ_k C[i][k] g_k, computed from the Gram matrix alone: every
 * projection subtracts a multiple of an original g_j, so inner products stay in Gram coordinates.
 * Returns the column sums, i.e. the weights w with Σ_i g_i^PC = Σ_k w_k g_k.
 */
export function pcgradWeights(M: Mat, rand: () => number): number[] {
  const T = M.length;
  const w = new Array<number>(T).fill(0);
  for (let i = 0; i < T; i++) {
    const c = new Array<number>(T).fill(0);
    c[i] = 1;
    const order = shuffleInPlace(Array.from({ length: T }, (_, k) => k).filter((k) => k !== i), rand);
    for (const j of order) {
      const ip = c.reduce((s, ck, k) => s + ck * M[k][j], 0);
      if (ip < 0 && M[j][j] > 0) c[j] -= ip / M[j][j];
    }
    c.forEach((ck, k) => (w[k] += ck));
  }
  return w;
}

/** Task order for step `step`: a pure function of (seed, step), so a restored run replays it. */
export const stepRandom = (seed: number, step: number) => mulberry32(mixSeed(seed, step, 0x9c));

export function pcgrad(G: tf.Tensor2D, seed: number, step: number): { direction: tf.Tensor1D; weights: number[] } {
  const w = pcgradWeights(gramOf(G), stepRandom(seed, step));
  return { direction: combineRows(G, w), weights: w };
}

export const pcgradWeighting: StrategyDescriptor = strategy({
  type: 'pcgrad',
  description: 'PCGrad (Yu et al. 2020): project away each gradient\'s conflicting components, then sum',
  options: opts(),
  create(_config, ctx) {
    return gradientStrategy(ctx, (g) => pcgrad(g.grads, ctx.seed, g.step));
  },
});
