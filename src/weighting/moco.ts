// MoCo (Fernando et al., "Mitigating Gradient Bias in Multi-objective Learning: A Provably Convergent
// Approach", ICLR 2023): tracks each task gradient with a moving average Y and updates the MGDA
// weights λ by one projected-gradient step per training step, so the direction Yᵀλ is asymptotically
// unbiased under stochastic gradients.
// Paper: https://arxiv.org/abs/2210.12624
import * as tf from '@tensorflow/tfjs';
import { num, opts } from '../util/options';
import { field, gradientStrategy, KeptMatrix, numArray } from './gradient-common';
import { gramOf, lossValues, matVec, projectSimplex, rowNorms, scaleRows } from './gradmath';
import { restrictedUpdate, stepStatus } from './modo';
import { onSimplex } from './present';
import { strategy, type StrategyDescriptor } from './strategy';

export interface MocoOptions {
  beta: number;
  betaSigma: number;
  gamma: number;
  gammaSigma: number;
  rho: number;
}

/**
 * Fernando et al. Alg. 1 at step k (1-based): y_t ← y_t − β_k(y_t − h_t) with h_t = L_t·g_t/‖g_t‖
 * (the authors' gradient normalisation), λ ← Π_Δ(λ − γ_k(YYᵀ + ρI)λ), direction Yᵀλ;
 * β_k = β/k^βσ, γ_k = γ/k^γσ. Returns the new Y (caller owns it) and the step's status (one
 * projected-gradient step on λ over YYᵀ: see stepStatus).
 */
export function mocoStep(G: tf.Tensor2D, losses: readonly number[], Y: tf.Tensor2D | null, lambda: readonly number[], k: number, o: MocoOptions) {
  const betaK = o.beta / k ** o.betaSigma;
  const gammaK = o.gamma / k ** o.gammaSigma;
  const norms = rowNorms(gramOf(G));
  const nextY = tf.tidy(() => {
    const h = scaleRows(G, losses.map((l, t) => l / (norms[t] + 1e-8)));
    return (Y ? tf.sub(Y, tf.mul(betaK, tf.sub(Y, h))) : tf.mul(betaK, h)) as tf.Tensor2D;
  });
  const YY = gramOf(nextY);
  const step = matVec(YY, lambda).map((x, i) => x + o.rho * lambda[i]);
  const nextLambda = projectSimplex(lambda.map((l, i) => l - gammaK * step[i]));
  const direction = tf.tidy(() => tf.matMul(tf.tensor2d([nextLambda]), nextY).reshape([-1]) as tf.Tensor1D);
  return { Y: nextY, lambda: nextLambda, direction, solver: stepStatus(YY, lambda, nextLambda, gammaK) };
}

export const mocoWeighting: StrategyDescriptor = strategy({
  type: 'moco',
  description: 'MoCo (Fernando et al. 2023): MGDA with tracked gradients and one weight update per step',
  options: opts({
    beta: num({ exclusiveMinimum: 0, maximum: 1, default: 0.5, description: 'Tracking rate β of the gradient estimates Y, above 0 (β = 0 would keep Y at 0: the shared layers would never move)' }),
    betaSigma: num({ minimum: 0, default: 0.5, description: 'Decay exponent: the tracking rate at step k is β/k^σ' }),
    gamma: num({ minimum: 0, default: 0.1, description: 'Step size γ of the weight update' }),
    gammaSigma: num({ minimum: 0, default: 0.5, description: 'Decay exponent: the weight step at step k is γ/k^σ' }),
    rho: num({ minimum: 0, default: 0, description: 'Ridge ρ added to YYᵀ in the weight update' }),
  }),
  create(cfg, ctx) {
    const o: MocoOptions = cfg;
    const T = ctx.taskNames.length;
    const Y = new KeptMatrix();
    let lambda = new Array<number>(T).fill(1 / T);
    let k = 0;
    return gradientStrategy(
      ctx,
      (g) => {
        k++;
        const prevY = Y.rows(g.present);
        const r = mocoStep(g.grads, lossValues(g.losses), prevY, onSimplex(lambda, g.present), k, o);
        Y.release(prevY);
        Y.setRows(g.present, r.Y, T);
        // The present tasks' share of λ moves, the absent tasks' entries stay: λ stays on the simplex.
        lambda = restrictedUpdate(lambda, g.present, r.lambda);
        return { direction: r.direction, weights: r.lambda, solver: r.solver };
      },
      {
        state: () => ({ k, lambda, Y: Y.toJson() }),
        restore: (s) => {
          k = typeof field(s, 'k') === 'number' ? (field(s, 'k') as number) : 0;
          const l = numArray(field(s, 'lambda'));
          if (l && l.length === T) lambda = [...l];
          Y.fromJson(field(s, 'Y') ?? null);
        },
        dispose: () => Y.dispose(),
      },
    );
  },
});
