// Aligned-MTL (Senushkin et al., "Independent Component Alignment for Multi-Task Learning", CVPR 2023):
// aligns the principal components of the gradient matrix so the linear system is perfectly conditioned
// (all singular values equal to the smallest non-zero one), then sums the aligned gradients.
// Paper: https://arxiv.org/abs/2305.19000
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { gradientStrategy } from './gradient-common';
import { combineRows, gramOf, symEig, type Mat } from './gradmath';
import { strategy, type StrategyDescriptor } from './strategy';

/**
 * From GGᵀ = VΛVᵀ (rank r, eigenvalues above λ_max·T·ε_float32): B = √λ_r · V Λ^{-1/2} Vᵀ, and the
 * aligned gradients are BG (Senushkin et al. eq. 9–10). With unit task preferences the direction is
 * 1ᵀBG, so the weights are B's column sums.
 */
export function alignedMtlWeights(M: Mat): number[] {
  const T = M.length;
  const { values, vectors } = symEig(M);
  const lmax = Math.max(0, ...values);
  const tol = lmax * T * 1.1920929e-7;
  const keep = values.map((l, k) => k).filter((k) => values[k] > tol && values[k] > 0);
  if (!keep.length) return new Array<number>(T).fill(0);
  const lmin = Math.min(...keep.map((k) => values[k]));
  const w = new Array<number>(T).fill(0);
  for (const k of keep) {
    const f = Math.sqrt(lmin / values[k]);
    const colSum = vectors.reduce((s, r) => s + r[k], 0);
    for (let j = 0; j < T; j++) w[j] += f * vectors[j][k] * colSum;
  }
  return w;
}

export function alignedMtl(G: tf.Tensor2D): { direction: tf.Tensor1D; weights: number[] } {
  const w = alignedMtlWeights(gramOf(G));
  return { direction: combineRows(G, w), weights: w };
}

export const alignedMtlWeighting: StrategyDescriptor = strategy({
  type: 'aligned-mtl',
  description: 'Aligned-MTL (Senushkin et al. 2023): equalise the gradient matrix\'s singular values, then sum',
  options: opts(),
  create(_config, ctx) {
    return gradientStrategy(ctx, (g) => alignedMtl(g.grads));
  },
});
