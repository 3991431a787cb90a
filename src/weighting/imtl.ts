// IMTL (Liu et al., "Towards Impartial Multi-task Learning", ICLR 2021). IMTL-G: the shared direction
// Σα_t g_t whose projections onto every unit task gradient are equal, in closed form. IMTL-L: learnable
// loss scales e^{s_t}, trained on e^{s_t}L_t − s_t so each scaled loss tends to 1. Hybrid: both.
// Paper: https://openreview.net/forum?id=IMPnRXEWpvr (ICLR 2021; no arXiv version)
import { num, oneOf, opts } from '../util/options';
import { field, gradientStrategy, numArray } from './gradient-common';
import { combineRows, gramOf, lossValues, matVec, pinvSym, report, rowNorms, solveLinear, type Mat, type SolverStatus } from './gradmath';
import { expand, pick, put } from './present';
import { strategy, type StrategyDescriptor } from './strategy';

/** Below this condition number of DUᵀ the closed form is solved as is; above it, as a singular system. */
const MAX_CONDITION = 1e6;

/**
 * IMTL-G closed form (Liu et al. eq. 9–10): with D rows g_1 − g_t and U rows u_1 − u_t (t = 2..T,
 * u = g/‖g‖), α_{2:T} = g_1Uᵀ(DUᵀ)⁻¹ and α_1 = 1 − Σα_{2:T}; all products come from the Gram matrix.
 * The weights sum to 1, so identical gradients give that gradient back. Degenerate cases, reported in
 * `out`: a zero row has no direction to be impartial to — it gets weight 0 and the others are solved
 * without it (all zero: weights 0, fallback); a singular DUᵀ (collinear gradients, or T > d) has many
 * solutions — the one closest to equal weights, x = x₀ + A⁺(b − Ax₀) with x₀ = 1/T.
 */
export function imtlWeights(M: Mat, out?: SolverStatus): number[] {
  const T = M.length;
  const norms = rowNorms(M);
  const top = Math.max(0, ...norms);
  const live = norms.map((x, t) => t).filter((t) => top > 0 && norms[t] > 1e-10 * top);
  if (!live.length) {
    report(out, { status: 'fallback', iterations: 0, residual: 0, reason: 'every gradient row is zero: weights 0' });
    return new Array<number>(T).fill(0);
  }
  if (live.length < T) {
    const sub = imtlWeights(live.map((i) => live.map((j) => M[i][j])), out);
    if (out && out.status !== 'fallback') Object.assign(out, { status: 'degenerate', reason: `${T - live.length} zero gradient row(s) left out with weight 0${out.reason ? `; ${out.reason}` : ''}` });
    return expand(sub, live, T);
  }
  if (T === 1) {
    report(out, { status: 'ok', iterations: 0, residual: 0 });
    return [1];
  }
  const gu = (a: number, b: number) => M[a][b] / norms[b]; // g_a · u_b
  const A: Mat = [];
  const rhs: number[] = [];
  for (let s = 1; s < T; s++) {
    rhs.push(gu(0, 0) - gu(0, s));
    const row: number[] = [];
    // (DUᵀ)[t][s] = (g_1 − g_t)·(u_1 − u_s); solved transposed: x(DUᵀ) = g_1Uᵀ ⇔ (DUᵀ)ᵀxᵀ = (g_1Uᵀ)ᵀ.
    for (let t = 1; t < T; t++) row.push(gu(0, 0) - gu(0, s) - gu(t, 0) + gu(t, s));
    A.push(row);
  }
  const rest = solveImpartial(A, rhs, out);
  return [1 - rest.reduce((a, b) => a + b, 0), ...rest];
}

/** Ax = b, A = (DUᵀ)ᵀ: directly when well conditioned, else the solution closest to equal weights. */
function solveImpartial(A: Mat, b: number[], out?: SolverStatus): number[] {
  const n = A.length;
  const AtA = A[0].map((_, i) => A[0].map((__, j) => A.reduce((s, r) => s + r[i] * r[j], 0)));
  const info = { rank: 0, condition: 0, size: n };
  const P = pinvSym(AtA, 1 / MAX_CONDITION ** 2, info);
  const condition = Math.sqrt(info.condition); // of A: the square root of AᵀA's
  const resid = (x: number[]) => Math.max(0, ...matVec(A, x).map((v, i) => Math.abs(v - b[i]))) / Math.max(1e-300, ...b.map(Math.abs), ...A.map((r, i) => Math.abs(r[i])));
  if (info.rank === n) {
    const x = solveLinear(A, b, 1e-9);
    report(out, { status: 'ok', iterations: 0, residual: resid(x), condition, rank: n, size: n });
    return x;
  }
  const x0 = new Array<number>(n).fill(1 / (n + 1));
  const r = matVec(A, x0).map((v, i) => b[i] - v);
  const Atr = A[0].map((_, j) => A.reduce((s, row, i) => s + row[j] * r[i], 0));
  const x = matVec(P, Atr).map((v, i) => x0[i] + v);
  report(out, { status: 'degenerate', iterations: 0, residual: resid(x), condition, rank: info.rank, size: n, reason: `DUᵀ is singular (collinear gradients or T > d; rank ${info.rank} of ${n}): the solution closest to equal weights` });
  return x;
}

export type ImtlMode = 'gradient' | 'loss' | 'hybrid';

export const imtlWeighting: StrategyDescriptor = strategy({
  type: 'imtl',
  description: 'IMTL (Liu et al. 2021): impartial gradients (IMTL-G), learned loss scales (IMTL-L), or both (hybrid)',
  options: opts({
    mode: oneOf(['gradient', 'loss', 'hybrid'], { default: 'gradient', description: 'gradient: IMTL-G; loss: IMTL-L; hybrid: IMTL-G on the IMTL-L-scaled gradients' }),
    lossScaleLr: num({ minimum: 0, default: 1e-3, description: 'SGD learning rate of the loss scales s_t (loss and hybrid modes)' }),
  }),
  create(config, ctx) {
    const mode = config.mode;
    const lr = config.lossScaleLr;
    const T = ctx.taskNames.length;
    let s = new Array<number>(T).fill(0);
    return gradientStrategy(
      ctx,
      (g) => {
        const solver: SolverStatus = { status: 'ok', iterations: 0, residual: 0 };
        if (mode === 'gradient') {
          const w = imtlWeights(gramOf(g.grads), solver);
          return { direction: combineRows(g.grads, w), weights: w, solver };
        }
        const scale = pick(s, g.present).map(Math.exp);
        const L = lossValues(g.losses);
        // d/ds (e^s L − s) = e^s L − 1: one plain SGD step, after this step's scales are used.
        s = put(s, g.present, pick(s, g.present).map((x, k) => x - lr * (scale[k] * L[k] - 1)));
        if (mode === 'loss') return { direction: combineRows(g.grads, scale), weights: scale, headWeights: scale };
        const M = gramOf(g.grads).map((r, i) => r.map((x, j) => x * scale[i] * scale[j]));
        const a = imtlWeights(M, solver);
        const w = a.map((x, t) => x * scale[t]);
        return { direction: combineRows(g.grads, w), weights: w, headWeights: scale, solver };
      },
      {
        state: () => (mode === 'gradient' ? null : { s }),
        restore: (st) => {
          const v = numArray(field(st, 's'));
          if (v && v.length === T) s = [...v];
        },
      },
    );
  },
});
