// Aligned-MTL (Senushkin et al., "Independent Component Alignment for Multi-Task Learning", CVPR 2023):
// aligns the principal components of the gradient matrix so the linear system is perfectly conditioned
// (all singular values equal to the smallest non-zero one), then sums the aligned gradients.
// Paper: https://arxiv.org/abs/2305.19000
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { gradientStrategy } from './gradient-common';
import { combineRows, gramOf, report, spectrum, symEig, type Mat, type SolverStatus } from './gradmath';
import { strategy, type StrategyDescriptor } from './strategy';

/**
 * From GGᵀ = VΛVᵀ (rank r, eigenvalues above λ_max·T·ε_float32): B = √λ_r · V Λ^{-1/2} Vᵀ, and the
 * aligned gradients are BG (Senushkin et al. eq. 9–10). With unit task preferences the direction is
 * 1ᵀBG, so the weights are B's column sums. `out`: the Jacobi sweeps and remaining off-diagonal norm
 * of the eigendecomposition, the condition σ_max/σ_min of G over the kept directions and the rank;
 * zero eigenvalues (rank r < T: collinear gradients, a zero row, T > d) are left out as the paper
 * prescribes (status degenerate); no non-zero eigenvalue (every row zero): weights 0 (fallback).
 */
export function alignedMtlWeights(M: Mat, out?: SolverStatus): number[] {
  const T = M.length;
  const { values, vectors, sweeps, offDiagonal } = symEig(M);
  const rel = T * 1.1920929e-7;
  const { rank, condition } = spectrum(values, rel);
  const lmax = Math.max(0, ...values);
  const tol = lmax * rel;
  const keep = values.map((l, k) => k).filter((k) => values[k] > tol && values[k] > 0);
  const base = { iterations: sweeps, residual: offDiagonal, condition: Math.sqrt(condition), rank, size: T };
  if (!keep.length) {
    report(out, { ...base, status: 'fallback', reason: 'every gradient row is zero: weights 0' });
    return new Array<number>(T).fill(0);
  }
  report(out, rank < T ? { ...base, status: 'degenerate', reason: `GGᵀ has rank ${rank} of ${T}: its zero eigenvalues are left out` } : { ...base, status: 'ok' });
  const lmin = Math.min(...keep.map((k) => values[k]));
  const w = new Array<number>(T).fill(0);
  for (const k of keep) {
    const f = Math.sqrt(lmin / values[k]);
    const colSum = vectors.reduce((s, r) => s + r[k], 0);
    for (let j = 0; j < T; j++) w[j] += f * vectors[j][k] * colSum;
  }
  return w;
}

export function alignedMtl(G: tf.Tensor2D): { direction: tf.Tensor1D; weights: number[]; solver: SolverStatus } {
  const solver: SolverStatus = { status: 'ok', iterations: 0, residual: 0 };
  const w = alignedMtlWeights(gramOf(G), solver);
  return { direction: combineRows(G, w), weights: w, solver };
}

export const alignedMtlWeighting: StrategyDescriptor = strategy({
  type: 'aligned-mtl',
  description: 'Aligned-MTL (Senushkin et al. 2023): equalise the gradient matrix\'s singular values, then sum',
  options: opts(),
  create(_config, ctx) {
    return gradientStrategy(ctx, (g) => alignedMtl(g.grads));
  },
});
