// Nash-MTL (Navon et al., "Multi-Task Learning as a Bargaining Game", ICML 2022): the Nash bargaining
// solution d = Σ α_t g_t with GGᵀα = 1/α, then the shared gradient's norm clipped to maxNorm as in
// the authors' code. The T-dimensional equation is solved by damped Newton (gradmath.solveBalance).
// Paper: https://arxiv.org/abs/2202.01017
import { int, num, opts } from '../util/options';
import { gradientStrategy } from './gradient-common';
import { combineRows, gramOf, quad, solveBalance, type Mat } from './gradmath';
import { strategy, type StrategyDescriptor } from './strategy';

export function nashWeights(M: Mat, optimIters: number, start?: readonly number[]): number[] {
  return solveBalance(M, 1, optimIters, start);
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
    // Stateless: the equation has one solution, found from scratch each step; skipping steps is the
    // common weighting.updateEvery option, which reuses these weights in between.
    return gradientStrategy(ctx, (g) => {
      const M = gramOf(g.grads);
      const alpha = nashWeights(M, iters);
      // Reported weights are the clipped coefficients, so reusing them (updateEvery) repeats this direction.
      const coef = nashCoefficients(M, alpha, maxNorm);
      return { direction: combineRows(g.grads, coef), weights: coef };
    });
  },
});
