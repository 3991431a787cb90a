// CAGrad (Liu et al., "Conflict-Averse Gradient Descent for Multi-task Learning", NeurIPS 2021):
// the direction maximises the worst task improvement within a ball of radius c·‖g0‖ around the mean
// gradient g0. Its dual over the simplex is solved here on the T×T Gram matrix.
// Paper: https://arxiv.org/abs/2110.14048
import * as tf from '@tensorflow/tfjs';
import { num, oneOf, opts } from '../util/options';
import { gradientStrategy } from './gradient-common';
import { dot, gramOf, matVec, quad, type Mat, type SolverStatus } from './gradmath';
import { simplexMinimize } from './simplex';
import { strategy, type StrategyDescriptor } from './strategy';

/** The solver stops when f(w) is within this fraction of f's scale from its minimum (duality gap). */
const GAP_TOL = 1e-12;

/**
 * Task weights w_t of the direction d = g0 + λ g_w (Liu et al. eq. 7–8): w solves
 * min_{w∈Δ} g_wᵀg0 + √φ‖g_w‖ with φ = c²‖g0‖², λ = √φ/‖g_w‖; d is divided by 1+c² (rescale 1) or
 * 1+c (rescale 2) as in the authors' code. Returns the per-task coefficients of d.
 * The Gram matrix is first divided by its largest diagonal entry: in exact arithmetic w and λ do not
 * depend on the gradients' scale, but the 1e-8 guards under the square roots do. On the raw matrix,
 * gradients of norm 1e-6 gave coefficients of 20 and 41 instead of 0.39 and 0.50 (a 50× step).
 */
export function cagradWeights(M: Mat, c: number, rescale: 0 | 1 | 2, out?: SolverStatus): number[] {
  const top = Math.max(0, ...M.map((r, i) => r[i]));
  const N = top > 0 ? M.map((r) => r.map((v) => v / top)) : M;
  const T = N.length;
  const mean = new Array<number>(T).fill(1 / T);
  const g0sq = quad(N, mean);
  // √φ multiplies, it never divides: no guard (with one, the direction had a relative error of 1e-8/2).
  const sqrtPhi = c * Math.sqrt(Math.max(g0sq, 0));
  let coef = [...mean];
  if (c > 0) {
    const w = solveDual(N, mean, sqrtPhi, out);
    const gw = Math.sqrt(Math.max(quad(N, w), 0));
    // d = g0 + √φ·g_w/‖g_w‖. A (near-)zero g_w (a zero task gradient, or all of them) has no direction:
    // dividing by it only inflates the reported weights (1e7 before), so d = g0, said in the status.
    if (gw > 1e-6 * Math.sqrt(Math.max(g0sq, 0)) && gw > 1e-20) {
      const lambda = sqrtPhi / gw;
      coef = mean.map((m, i) => m + lambda * w[i]);
    } else if (out) Object.assign(out, { status: 'fallback', reason: 'g_w ≈ 0 (a zero task gradient): direction g0' });
  }
  const div = rescale === 1 ? 1 + c * c : rescale === 2 ? 1 + c : 1;
  return coef.map((x) => x / div);
}

/** argmin_{w∈Δ} f(w) = wᵀMḡ + √φ‖g_w‖ (ḡ = `mean`, ‖g_w‖ = √(wᵀMw + 1e-8)) by simplexMinimize. */
function solveDual(M: Mat, mean: number[], sqrtPhi: number, out?: SolverStatus): number[] {
  const Mb = matVec(M, mean);
  const norm = (x: number[]) => Math.sqrt(Math.max(quad(M, x), 0) + 1e-8);
  // f's change along d, with ‖g_{x+d}‖ − ‖g_x‖ = dᵀM(2x + d)/(‖g_{x+d}‖ + ‖g_x‖).
  const change = (x: number[], d: number[]) => {
    const y = x.map((v, i) => v + d[i]);
    return dot(d, Mb) + (sqrtPhi * dot(d, matVec(M, x.map((v, i) => v + y[i])))) / (norm(y) + norm(x));
  };
  const grad = (x: number[]) => {
    const Mx = matVec(M, x);
    const n = norm(x);
    return Mb.map((b, i) => b + (sqrtPhi * Mx[i]) / n);
  };
  // The gap is in f's units; f's two terms are at most max|Mḡ| and √φ·max‖g_t‖.
  const scale = Math.max(...Mb.map(Math.abs)) + sqrtPhi * Math.sqrt(Math.max(...M.map((r, i) => r[i]), 0));
  return simplexMinimize(change, grad, mean, GAP_TOL * scale, out);
}

export function cagrad(G: tf.Tensor2D, c: number, rescale: 0 | 1 | 2): { direction: tf.Tensor1D; weights: number[]; solver: SolverStatus } {
  const solver: SolverStatus = { status: 'converged', iterations: 0, residual: 0 };
  const w = cagradWeights(gramOf(G), c, rescale, solver);
  return { direction: tf.tidy(() => tf.matMul(tf.tensor2d([w]), G).reshape([-1]) as tf.Tensor1D), weights: w, solver };
}

export const cagradWeighting: StrategyDescriptor = strategy({
  type: 'cagrad',
  description: 'CAGrad (Liu et al. 2021): the best worst-task direction within c·‖g0‖ of the mean gradient g0',
  options: opts({
    c: num({ minimum: 0, default: 0.5, description: 'Radius of the ball around the mean gradient, relative to its norm (0: the mean gradient)' }),
    rescale: oneOf([0, 1, 2], { default: 1, description: 'Divide the direction by 1 (0), 1+c² (1) or 1+c (2)' }),
  }),
  create(config, ctx) {
    const c = config.c;
    const rescale = config.rescale;
    return gradientStrategy(ctx, (g) => cagrad(g.grads, c, rescale));
  },
});
