// Owns the simplex solver of the methods whose weights minimise a smooth convex function over the
// probability simplex (CAGrad's dual): projected gradient descent with backtracking, stopped by the
// Frank–Wolfe duality gap, which bounds how far from the minimum the answer is.
import { dot, projectSimplex, report, type SolverStatus } from './gradmath';

/**
 * The Frank–Wolfe duality gap of x on the simplex, gᵀx − min_i g_i with g = ∇f(x): for a convex f it
 * bounds f(x) − min f from above, so it certifies how far from the minimum x is (0 at a minimum).
 */
export function simplexGap(x: readonly number[], g: readonly number[]): number {
  return Math.max(0, dot(g, x) - Math.min(...g));
}

/**
 * Minimises a smooth convex f over the simplex by projected gradient descent with backtracking, until
 * the duality gap (simplexGap) is at most `tol` — a bound on f(x) − min f. `change(x, d)` is
 * f(x + d) − f(x), computed from d without subtracting two values of f: near the minimum that
 * difference is below f's rounding, and a test on rounded values of f stalls the descent at
 * ‖d‖ ≈ √ε (the old rule, a move under 1e-12, was never met: CAGrad ran all 500 iterations on every
 * step after converging in about 20). The residual reported is the gap.
 */
export function simplexMinimize(change: (x: number[], d: number[]) => number, grad: (x: number[]) => number[], x0: readonly number[], tol: number, out?: SolverStatus, iters = 500): number[] {
  let x = projectSimplex(x0);
  let step = 1;
  for (let it = 0; it < iters; it++) {
    const g = grad(x);
    const gap = simplexGap(x, g);
    if (gap <= tol) {
      report(out, { status: 'converged', iterations: it, residual: gap });
      return x;
    }
    const next = descend(change, x, g, step);
    if (!next) {
      report(out, { status: 'converged', iterations: it, residual: gap, reason: `no descent at working precision; duality gap ${gap.toExponential(2)} > ${tol.toExponential(2)}` });
      return x;
    }
    [x, step] = next;
  }
  report(out, { status: 'max-iterations', iterations: iters, residual: simplexGap(x, grad(x)) });
  return x;
}

/**
 * One projected-gradient move from x with the largest step t (from `step`, halving) that passes the
 * sufficient-decrease test f(x + d) − f(x) ≤ gᵀd + ‖d‖²/2t; the next trial step is 2t. Undefined when
 * no step moves x and passes.
 */
function descend(change: (x: number[], d: number[]) => number, x: number[], g: number[], step: number): [number[], number] | undefined {
  for (let k = 0; k < 60; k++, step /= 2) {
    const y = projectSimplex(x.map((v, i) => v - step * g[i]));
    const d = y.map((v, i) => v - x[i]);
    const dd = dot(d, d);
    if (dd > 0 && change(x, d) <= dot(g, d) + dd / (2 * step)) return [y, 2 * step];
  }
  return undefined;
}
