// MoDo (Chen et al., "Three-Way Trade-Off in Multi-Objective Learning: Optimization, Generalization
// and Conflict-Avoidance", NeurIPS 2023): stochastic MGDA with one projected-gradient step on the
// weights λ per training step and direction Gᵀλ.
// Paper: https://arxiv.org/abs/2305.20057
import { num, opts } from '../util/options';
import { field, gradientStrategy, numArray } from './gradient-common';
import { combineRows, gramOf, matVec, projectSimplex, report, type Mat, type SolverStatus } from './gradmath';
import { onSimplex } from './present';
import { strategy, type StrategyDescriptor } from './strategy';

/**
 * Chen et al. Alg. 1: λ ← Π_Δ(λ − γ(GGᵀλ + ρλ)), then d = Gᵀλ with the new λ. The paper uses
 * independent batches for the two factors of GGᵀ; here one batch serves both. `out`: the one step
 * (status ok) and its stationarity residual (see stepStatus); every row zero: degenerate.
 */
export function modoWeights(M: Mat, lambda: readonly number[], gamma: number, rho: number, out?: SolverStatus): number[] {
  const Ml = matVec(M, lambda);
  const next = projectSimplex(lambda.map((l, i) => l - gamma * (Ml[i] + rho * l)));
  report(out, stepStatus(M, lambda, next, gamma));
  return next;
}

/**
 * The status of one projected-gradient step λ → λ' on the simplex with step size γ: the residual is
 * the projected-gradient mapping max_i |λ_i − λ'_i| / γ, 0 exactly at the regularised min-norm weights
 * (the stationarity measure of MGDA's weight problem; the move itself when γ = 0).
 */
export function stepStatus(M: Mat, lambda: readonly number[], next: readonly number[], gamma: number): SolverStatus {
  const move = Math.max(0, ...next.map((x, i) => Math.abs(x - lambda[i])));
  const residual = gamma > 0 ? move / gamma : move;
  if (M.every((r, i) => !(r[i] > 0))) return { status: 'degenerate', iterations: 1, residual, reason: 'every gradient row is zero: the direction is zero' };
  return { status: 'ok', iterations: 1, residual };
}

export const modoWeighting: StrategyDescriptor = strategy({
  type: 'modo',
  description: 'MoDo (Chen et al. 2023): one projected-gradient step on the MGDA weights per step',
  options: opts({
    gamma: num({ minimum: 0, default: 1e-3, description: 'Step size γ of the weight update' }),
    rho: num({ minimum: 0, default: 0.1, description: 'Ridge ρ of the weight update' }),
  }),
  create(cfg, ctx) {
    const gamma = cfg.gamma;
    const rho = cfg.rho;
    const T = ctx.taskNames.length;
    let lambda = new Array<number>(T).fill(1 / T);
    return gradientStrategy(
      ctx,
      (g) => {
        const solver: SolverStatus = { status: 'ok', iterations: 0, residual: 0 };
        const l = modoWeights(gramOf(g.grads), onSimplex(lambda, g.present), gamma, rho, solver);
        lambda = restrictedUpdate(lambda, g.present, l);
        return { direction: combineRows(g.grads, l), weights: l, solver };
      },
      {
        state: () => ({ lambda }),
        restore: (s) => {
          const v = numArray(field(s, 'lambda'));
          if (v && v.length === T) lambda = [...v];
        },
      },
    );
  },
});

/**
 * Simplex weights over all T tasks after a step that moved only the present tasks' (renormalised)
 * share `sub`: the present tasks keep their total mass, the absent tasks' entries stay.
 */
export function restrictedUpdate(all: readonly number[], present: readonly number[], sub: readonly number[]): number[] {
  const mass = present.reduce((s, t) => s + all[t], 0);
  if (!(mass > 1e-12)) return all.map((_, t) => (present.includes(t) ? sub[present.indexOf(t)] : 0));
  const out = [...all];
  present.forEach((t, k) => (out[t] = sub[k] * mass));
  return out;
}
