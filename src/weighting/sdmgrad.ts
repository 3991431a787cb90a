// SDMGrad (Xiao et al., "Direction-oriented Multi-objective Learning: Simple and Provable Stochastic
// Algorithms", NeurIPS 2023): MGDA regularised towards the mean gradient g0; the weights w are warm-
// started from the previous step and refined by a few projected-gradient iterations.
// Paper: https://arxiv.org/abs/2305.18409
import { int, num, opts } from '../util/options';
import { field, gradientStrategy, numArray } from './gradient-common';
import { combineRows, gramOf, matVec, projectSimplex, symEig, type Mat } from './gradmath';
import { onSimplex } from './present';
import { restrictedUpdate } from './modo';
import { strategy, type StrategyDescriptor } from './strategy';

/**
 * Xiao et al. eq. 6–8: w ← Π_Δ(w − η(GGᵀw + λ·GGᵀ1/T)) for `iters` iterations (η = 1/λ_max(GGᵀ),
 * the objective's smoothness constant), then d = (Gᵀw + λg0)/(1 + λ). The paper draws independent
 * batches for the two gradients in the w update; here one batch serves both. Returns the new w and
 * the coefficients of d on the rows.
 */
export function sdmgradStep(M: Mat, w0: readonly number[], lambda: number, iters: number): { w: number[]; coef: number[] } {
  const T = M.length;
  const mean = new Array<number>(T).fill(1 / T);
  const Mg0 = matVec(M, mean);
  const top = Math.max(0, ...symEig(M).values);
  let w = [...w0];
  if (top > 0) {
    for (let it = 0; it < iters; it++) {
      const Mw = matVec(M, w);
      w = projectSimplex(w.map((x, i) => x - (Mw[i] + lambda * Mg0[i]) / top));
    }
  }
  return { w, coef: w.map((x) => (x + lambda / T) / (1 + lambda)) };
}

export const sdmgradWeighting: StrategyDescriptor = strategy({
  type: 'sdmgrad',
  description: 'SDMGrad (Xiao et al. 2023): MGDA pulled towards the mean gradient, weights refined each step',
  options: opts({
    lambda: num({ minimum: 0, default: 0.3, description: 'Pull λ towards the mean gradient (0: MGDA-like; large: the mean gradient)' }),
    niter: int({ minimum: 1, maximum: 1000, default: 20, description: 'Projected-gradient iterations on the weights per step' }),
  }),
  create(cfg, ctx) {
    const lambda = cfg.lambda;
    const niter = cfg.niter;
    const T = ctx.taskNames.length;
    let w = new Array<number>(T).fill(1 / T);
    return gradientStrategy(
      ctx,
      (g) => {
        const r = sdmgradStep(gramOf(g.grads), onSimplex(w, g.present), lambda, niter);
        w = restrictedUpdate(w, g.present, r.w);
        return { direction: combineRows(g.grads, r.coef), weights: r.coef };
      },
      {
        state: () => ({ w }),
        restore: (s) => {
          const v = numArray(field(s, 'w'));
          if (v && v.length === T) w = [...v];
        },
      },
    );
  },
});
