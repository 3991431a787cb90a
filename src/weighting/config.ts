// ConFIG (Liu, Chu & Thuerey, "ConFIG: Towards Conflict-free Training of Physics Informed Neural
// Networks", ICLR 2025 / arXiv 2024): the direction has the same positive cosine with every task
// gradient, and its length is the sum of the task gradients' projections onto it.
// Paper: https://arxiv.org/abs/2408.11104
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { gradientStrategy } from './gradient-common';
import { combineRows, dot, gramOf, matVec, pinvSym, rowNorms, type Mat } from './gradmath';
import { strategy, type StrategyDescriptor } from './strategy';

/**
 * Liu et al. eq. 2: g_u = U⁺1 normalised, U rows the unit task gradients; g = (Σ_i g_iᵀĝ_u)ĝ_u.
 * With C = UUᵀ (the cosine matrix) the least-norm solution is v = Σ a_k u_k, a = C⁺1; everything
 * follows from the Gram matrix. Returns the coefficients of g on the raw rows.
 */
export function configWeights(M: Mat): number[] {
  const T = M.length;
  const n = rowNorms(M);
  const live = n.map((x) => x > 1e-20);
  const C = M.map((r, i) => r.map((x, j) => (live[i] && live[j] ? x / (n[i] * n[j]) : 0)));
  const a = matVec(pinvSym(C), new Array<number>(T).fill(1)).map((x, k) => (live[k] ? x : 0));
  const vv = dot(a, matVec(C, a));
  if (!(vv > 1e-30)) return new Array<number>(T).fill(0);
  const b = a.map((x, k) => (live[k] ? x / n[k] : 0)); // v = Σ b_k g_k
  const proj = M.reduce((s, row) => s + dot(row, b), 0); // Σ_i g_i·v
  return b.map((x) => (x * proj) / vv);
}

export function config(G: tf.Tensor2D): { direction: tf.Tensor1D; weights: number[] } {
  const w = configWeights(gramOf(G));
  return { direction: combineRows(G, w), weights: w };
}

export const configWeighting: StrategyDescriptor = strategy({
  type: 'config',
  description: 'ConFIG (Liu et al. 2024): equal positive cosine with every task gradient, length = sum of projections',
  options: opts(),
  create(_config, ctx) {
    return gradientStrategy(ctx, (g) => config(g.grads));
  },
});
