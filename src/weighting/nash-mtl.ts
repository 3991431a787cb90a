// Nash-MTL (Navon et al., "Multi-Task Learning as a Bargaining Game", ICML 2022): the Nash bargaining
// solution d = Σ α_t g_t with GGᵀα = 1/α, then the shared gradient's norm clipped to maxNorm as in
// the authors' code. The T-dimensional equation is solved by damped Newton (gradmath.solveBalance),
// warm-started from the previous step's α, stopped at a residual of 1e-6; when it has no positive
// solution (opposed gradients) the step falls back to α_t = 1/‖g_t‖ and says so in its solver status.
// Paper: https://arxiv.org/abs/2202.01017
import { int, num, opts } from '../util/options';
import { field, gradientStrategy, numArray } from './gradient-common';
import { combineRows, gramOf, quad, solveBalance, type Mat, type SolverStatus } from './gradmath';
import { pick, put } from './present';
import { strategy, type StrategyDescriptor } from './strategy';

export function nashWeights(M: Mat, optimIters: number, start?: readonly number[], out?: SolverStatus): number[] {
  return solveBalance(M, 1, optimIters, start, out);
}

/** The coefficients of the clipped direction: α scaled by min(1, maxNorm/‖Σα_t g_t‖) (maxNorm 0: no clipping). */
export function nashCoefficients(M: Mat, alpha: readonly number[], maxNorm: number): number[] {
  const norm = Math.sqrt(Math.max(quad(M, alpha), 0));
  const s = maxNorm > 0 && norm > maxNorm ? maxNorm / norm : 1;
  return alpha.map((a) => a * s);
}

export const nashMtlWeighting: StrategyDescriptor = strategy({
  type: 'nash-mtl',
  description: 'Nash-MTL (Navon et al. 2022): the Nash bargaining direction Σα_t g_t with GGᵀα = 1/α',
  options: opts({
    maxNorm: num({ minimum: 0, default: 1.0, description: 'Clip the norm of the shared direction to this (0: no clipping)' }),
    optimIters: int({ minimum: 1, maximum: 1000, default: 20, description: 'Newton iterations for GGᵀα = 1/α per solve' }),
  }),
  create(config, ctx) {
    const maxNorm = config.maxNorm;
    const iters = config.optimIters;
    // The last solution per task (0: none yet): the next solve starts from it. Skipping solves is the
    // common weighting.updateEvery option, which reuses the clipped coefficients in between.
    let last = new Array<number>(ctx.taskNames.length).fill(0);
    return gradientStrategy(
      ctx,
      (g) => {
        const M = gramOf(g.grads);
        const solver: SolverStatus = { status: 'converged', iterations: 0, residual: 0 };
        const start = pick(last, g.present);
        const alpha = nashWeights(M, iters, start.every((x) => x > 0) ? start : undefined, solver);
        if (solver.status !== 'fallback') last = put(last, g.present, alpha);
        // Reported weights are the clipped coefficients, so reusing them (updateEvery) repeats this direction.
        const coef = nashCoefficients(M, alpha, maxNorm);
        return { direction: combineRows(g.grads, coef), weights: coef, solver };
      },
      {
        state: () => ({ alpha: last }),
        restore: (s) => {
          const v = numArray(field(s, 'alpha'));
          if (v && v.length === last.length) last = [...v];
        },
      },
    );
  },
});
