// ConFIG (Liu, Chu & Thuerey, "ConFIG: Towards Conflict-free Training of Physics Informed Neural
// Networks", ICLR 2025 / arXiv 2024): the direction has the same positive cosine with every task
// gradient, and its length is the sum of the task gradients' projections onto it.
// Paper: https://arxiv.org/abs/2408.11104
import * as tf from '@tensorflow/tfjs';
import { opts } from '../util/options';
import { gradientStrategy } from './gradient-common';
import { combineRows, dot, gramOf, matVec, pinvSym, report, rowNorms, type Mat, type SolverStatus } from './gradmath';
import { strategy, type StrategyDescriptor } from './strategy';

/**
 * Liu et al. eq. 2: g_u = U⁺1 normalised, U rows the unit task gradients; g = (Σ_i g_iᵀĝ_u)ĝ_u.
 * With C = UUᵀ (the cosine matrix) the least-norm solution is v = Σ a_k u_k, a = C⁺1; everything
 * follows from the Gram matrix. Returns the coefficients of g on the raw rows. `out`: C's condition
 * and rank over the kept eigenvalues, and the residual max_t |u_t·v − 1| over the non-zero rows (0: v
 * has the same unit projection on every task direction); a zero row, or C singular (collinear
 * gradients, T > d), is degenerate (the pseudo-inverse's least-squares answer); v = 0 (no direction
 * with a positive projection on all, e.g. opposed gradients) is a fallback to the zero update.
 */
export function configWeights(M: Mat, out?: SolverStatus): number[] {
  const T = M.length;
  const n = rowNorms(M);
  const live = n.map((x) => x > 1e-20);
  const C = M.map((r, i) => r.map((x, j) => (live[i] && live[j] ? x / (n[i] * n[j]) : 0)));
  const info = { rank: 0, condition: 0, size: T };
  const a = matVec(pinvSym(C, 1e-10, info), new Array<number>(T).fill(1)).map((x, k) => (live[k] ? x : 0));
  const Ca = matVec(C, a);
  const residual = Math.max(0, ...Ca.map((x, k) => (live[k] ? Math.abs(x - 1) : 0)));
  const vv = dot(a, Ca);
  const dead = live.filter((x) => !x).length;
  const base = { iterations: 0, residual, ...info };
  if (!(vv > 1e-30)) {
    report(out, { ...base, status: 'fallback', reason: 'no direction projects positively on every task gradient (or every row is zero): zero update' });
    return new Array<number>(T).fill(0);
  }
  const why = [dead ? `${dead} zero gradient row(s) left out` : '', info.rank < T - dead ? `C has rank ${info.rank} of ${T - dead}: pseudo-inverse` : ''].filter(Boolean).join('; ');
  report(out, why ? { ...base, status: 'degenerate', reason: why } : { ...base, status: 'ok' });
  const b = a.map((x, k) => (live[k] ? x / n[k] : 0)); // v = Σ b_k g_k
  const proj = M.reduce((s, row) => s + dot(row, b), 0); // Σ_i g_i·v
  return b.map((x) => (x * proj) / vv);
}

export function config(G: tf.Tensor2D): { direction: tf.Tensor1D; weights: number[]; solver: SolverStatus } {
  const solver: SolverStatus = { status: 'ok', iterations: 0, residual: 0 };
  const w = configWeights(gramOf(G), solver);
  return { direction: combineRows(G, w), weights: w, solver };
}

export const configWeighting: StrategyDescriptor = strategy({
  type: 'config',
  description: 'ConFIG (Liu et al. 2024): equal positive cosine with every task gradient, length = sum of projections',
  options: opts(),
  create(_config, ctx) {
    return gradientStrategy(ctx, (g) => config(g.grads));
  },
});
