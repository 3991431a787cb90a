// ExcessMTL (He et al., "Robust Multi-Task Learning with Excess Risks", ICML 2024): raises the weight
// of tasks far from convergence, measuring each task's excess risk by gᵀH⁻¹g with a diagonal
// AdaGrad-style Hessian estimate, and updating the weights multiplicatively.
// Paper: https://arxiv.org/abs/2402.02009
import * as tf from '@tensorflow/tfjs';
import { num, opts } from '../util/options';
import { field, gradientStrategy, KeptMatrix, numArray } from './gradient-common';
import { keepSum, pick, put } from './present';
import { strategy, type StrategyDescriptor } from './strategy';

/**
 * He et al. Alg. 1: S ← S + g⊙g per task; r_t = g_tᵀ diag(√(S_t + ε))⁻¹ g_t; from the second step on
 * r_t is divided by its first-step value; w ← w·exp(η r), renormalised to sum to T; direction Σ w_t g_t.
 * Returns the new S (caller owns it) and the raw risks.
 */
export function excessRisks(G: tf.Tensor2D, S: tf.Tensor2D | null): { S: tf.Tensor2D; risks: number[] } {
  return tf.tidy(() => {
    const sq = tf.square(G);
    const next = (S ? tf.add(S, sq) : sq) as tf.Tensor2D;
    const risks = Array.from(tf.sum(tf.div(sq, tf.sqrt(tf.add(next, 1e-7))), 1).dataSync());
    return { S: next, risks };
  });
}

export function excessWeights(w: readonly number[], risks: readonly number[], initial: readonly number[] | null, eta: number): number[] {
  const r = initial ? risks.map((x, t) => (initial[t] > 1e-20 ? x / initial[t] : x)) : risks;
  const next = w.map((x, t) => x * Math.exp(eta * r[t]));
  const sum = next.reduce((a, b) => a + b, 0);
  return next.map((x) => (x * w.length) / sum);
}

export const excessmtlWeighting: StrategyDescriptor = strategy({
  type: 'excessmtl',
  description: 'ExcessMTL (He et al. 2024): multiplicative weights driven by each task\'s estimated excess risk',
  options: opts({
    robustStepSize: num({ minimum: 0, default: 1e-2, description: 'Step size η of the multiplicative weight update' }),
  }),
  create(cfg, ctx) {
    const eta = cfg.robustStepSize;
    const T = ctx.taskNames.length;
    const S = new KeptMatrix();
    let w = new Array<number>(T).fill(1);
    // Each task's first risk (0: not seen yet — excessWeights then uses the raw risk).
    let initial: number[] = new Array<number>(T).fill(0);
    return gradientStrategy(
      ctx,
      (g) => {
        const prevS = S.rows(g.present);
        const r = excessRisks(g.grads, prevS);
        S.release(prevS);
        S.setRows(g.present, r.S, T);
        const wp = pick(w, g.present);
        const seen = pick(initial, g.present);
        const next = keepSum(wp, excessWeights(wp, r.risks, seen.some((x) => x > 0) ? seen : null, eta));
        w = put(w, g.present, next);
        initial = put(initial, g.present, seen.map((x, k) => (x > 0 ? x : r.risks[k])));
        // The weights multiply whole task losses in the method, so the heads get them too.
        return { direction: tf.tidy(() => tf.matMul(tf.tensor2d([next]), g.grads).reshape([-1]) as tf.Tensor1D), weights: next, headWeights: next };
      },
      {
        state: () => ({ w, initial, S: S.toJson() }),
        restore: (s) => {
          const v = numArray(field(s, 'w'));
          if (v && v.length === T) w = [...v];
          const i = numArray(field(s, 'initial'));
        initial = i && i.length === T ? [...i] : new Array<number>(T).fill(0);
          S.fromJson(field(s, 'S') ?? null);
        },
        dispose: () => S.dispose(),
      },
    );
  },
});
