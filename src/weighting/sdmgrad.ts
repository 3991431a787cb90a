// SDMGrad (Xiao et al., "Direction-oriented Multi-objective Learning: Simple and Provable Stochastic
// Algorithms", NeurIPS 2023): MGDA regularised towards the mean gradient g0; the weights w are warm-
// started from the previous step and refined by a few projected-gradient iterations.
// Paper: https://arxiv.org/abs/2305.18409
import { int, num, opts } from '../util/options';
import { field, gradientStrategy, numArray } from './gradient-common';
import { combineRows, gramOf, matVec, projectSimplex, report, symEig, type Mat, type SolverStatus } from './gradmath';
import { onSimplex } from './present';
import { restrictedUpdate } from './modo';
import { strategy, type StrategyDescriptor } from './strategy';

/**
 * Xiao et al. eq. 6–8: w ← Π_Δ(w − η(GGᵀw + λ·GGᵀ1/T)) for `iters` iterations (η = 1/λ_max(GGᵀ),
 * the objective's smoothness constant), then d = (Gᵀw + λg0)/(1 + λ). The paper draws independent
 * batches for the two gradients in the w update; here one batch serves both. Returns the new w and
 * the coefficients of d on the rows. `out`: the iterations run (the loop stops early only at an exact
 * fixed point, where further iterations change nothing) and the residual max_i |w_i − w_i'| of the last
 * one — converged below 1e-9, else max-iterations (normal: the method takes a few warm-started
 * iterations per step); every row zero: w kept, fallback.
 */
export function sdmgradStep(M: Mat, w0: readonly number[], lambda: number, iters: number, out?: SolverStatus): { w: number[]; coef: number[] } {
  const T = M.length;
  const mean = new Array<number>(T).fill(1 / T);
  const Mg0 = matVec(M, mean);
  const top = Math.max(0, ...symEig(M).values);
  let w = [...w0];
  if (!(top > 0)) report(out, { status: 'fallback', iterations: 0, residual: 0, reason: 'every gradient row is zero: weights kept' });
  else {
    let it = 0;
    let move = Infinity;
    while (it < iters && move > 0) {
      const Mw = matVec(M, w);
      const next = projectSimplex(w.map((x, i) => x - (Mw[i] + lambda * Mg0[i]) / top));
      move = Math.max(...next.map((x, i) => Math.abs(x - w[i])));
      w = next;
      it++;
    }
    report(out, { status: move <= 1e-9 ? 'converged' : 'max-iterations', iterations: it, residual: move });
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
        const solver: SolverStatus = { status: 'ok', iterations: 0, residual: 0 };
        const r = sdmgradStep(gramOf(g.grads), onSimplex(w, g.present), lambda, niter, solver);
        w = restrictedUpdate(w, g.present, r.w);
        return { direction: combineRows(g.grads, r.coef), weights: r.coef, solver };
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
