// IMTL (Liu et al., "Towards Impartial Multi-task Learning", ICLR 2021). IMTL-G: the shared direction
// Σα_t g_t whose projections onto every unit task gradient are equal, in closed form. IMTL-L: learnable
// loss scales e^{s_t}, trained on e^{s_t}L_t − s_t so each scaled loss tends to 1. Hybrid: both.
// Paper: https://openreview.net/forum?id=IMPnRXEWpvr (ICLR 2021; no arXiv version)
import { num, oneOf, opts } from '../util/options';
import { field, gradientStrategy, numArray } from './gradient-common';
import { combineRows, gramOf, lossValues, rowNorms, solveLinear, type Mat } from './gradmath';
import { pick, put } from './present';
import { strategy, type StrategyDescriptor } from './strategy';

/**
 * IMTL-G closed form (Liu et al. eq. 9–10): with D rows g_1 − g_t and U rows u_1 − u_t (t = 2..T,
 * u = g/‖g‖), α_{2:T} = g_1Uᵀ(DUᵀ)⁻¹ and α_1 = 1 − Σα_{2:T}; all products come from the Gram matrix.
 * The weights sum to 1, so identical gradients give that gradient back.
 */
export function imtlWeights(M: Mat): number[] {
  const T = M.length;
  if (T === 1) return [1];
  const n = rowNorms(M).map((x) => (x > 1e-20 ? x : 1));
  const gu = (a: number, b: number) => M[a][b] / n[b]; // g_a · u_b
  const A: Mat = [];
  const rhs: number[] = [];
  for (let s = 1; s < T; s++) {
    rhs.push(gu(0, 0) - gu(0, s));
    const row: number[] = [];
    // (DUᵀ)[t][s] = (g_1 − g_t)·(u_1 − u_s); solved transposed: x(DUᵀ) = g_1Uᵀ ⇔ (DUᵀ)ᵀxᵀ = (g_1Uᵀ)ᵀ.
    for (let t = 1; t < T; t++) row.push(gu(0, 0) - gu(0, s) - gu(t, 0) + gu(t, s));
    A.push(row);
  }
  const rest = solveLinear(A, rhs, 1e-9);
  return [1 - rest.reduce((a, b) => a + b, 0), ...rest];
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
        if (mode === 'gradient') {
          const w = imtlWeights(gramOf(g.grads));
          return { direction: combineRows(g.grads, w), weights: w };
        }
        const scale = pick(s, g.present).map(Math.exp);
        const L = lossValues(g.losses);
        // d/ds (e^s L − s) = e^s L − 1: one plain SGD step, after this step's scales are used.
        s = put(s, g.present, pick(s, g.present).map((x, k) => x - lr * (scale[k] * L[k] - 1)));
        if (mode === 'loss') return { direction: combineRows(g.grads, scale), weights: scale, headWeights: scale };
        const M = gramOf(g.grads).map((r, i) => r.map((x, j) => x * scale[i] * scale[j]));
        const a = imtlWeights(M);
        const w = a.map((x, t) => x * scale[t]);
        return { direction: combineRows(g.grads, w), weights: w, headWeights: scale };
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
