// FAMO (Liu et al., "FAMO: Fast Adaptive Multitask Optimization", NeurIPS 2023). Task weights
// z = softmax(ξ); the model descends Σ_i c·z_i·log L_i with c = 1/Σ_j(z_j/L_j) (Eq. 5, so the update
// direction is Σ c z_i ∇L_i / L_i), and the logits follow Algorithm 1:
// ξ ← ξ − β(δ + γξ), δ = Jᵀ(log ℓ_prev − log ℓ_now), J = ∂z/∂ξ = diag(z) − zzᵀ.
// Here ℓ_prev and ℓ_now are the losses of consecutive steps (each on its own batch), which avoids the
// second forward pass the paper's version spends on re-evaluating the same batch after the update.
// Paper: https://arxiv.org/abs/2306.03792
import * as tf from '@tensorflow/tfjs';
import { num, opts } from '../util/options';
import { expand, pick, put } from './present';
import { strategy, type Json, type LossStrategy, type StrategyDescriptor } from './strategy';

const EPS = 1e-8;

export function softmax(x: readonly number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** One logit update of Algorithm 1 (plain numbers). */
export function famoLogitStep(logits: readonly number[], prev: readonly number[], now: readonly number[], beta: number, gamma: number): number[] {
  const z = softmax(logits);
  const d = prev.map((p, i) => Math.log(p + EPS) - Math.log(now[i] + EPS));
  const zd = z.reduce((a, zi, i) => a + zi * d[i], 0);
  return logits.map((x, i) => x - beta * (z[i] * (d[i] - zd) + gamma * x));
}

export const famoWeighting: StrategyDescriptor = strategy({
  type: 'famo',
  description: 'FAMO (Liu et al. 2023): decreases every task loss at a balanced rate with O(1) cost per step, by learned softmax weights on log-losses',
  options: opts({
    weightLr: num({ exclusiveMinimum: 0, default: 0.025, description: 'Step size β of the logit update' }),
    gamma: num({ minimum: 0, default: 0.001, description: 'Decay γ of the logits' }),
  }),
  create(config, ctx): LossStrategy {
    const T = ctx.taskNames.length;
    const beta = config.weightLr;
    const gamma = config.gamma;
    let logits = new Array<number>(T).fill(0);
    // Each task's loss the last time it was present (null: never yet).
    let prev: (number | null)[] = new Array<number | null>(T).fill(null);
    let last = new Array<number>(T).fill(1 / T);
    return {
      needs: 'losses',
      combine({ losses, present }) {
        const now = losses.map((l) => l.dataSync()[0]);
        // The logit update over the present tasks whose previous loss is known; the others' logits stay.
        const known = present.filter((t) => prev[t] !== null);
        if (known.length) {
          const nowKnown = known.map((t) => now[present.indexOf(t)]);
          logits = put(logits, known, famoLogitStep(pick(logits, known), pick(prev, known) as number[], nowKnown, beta, gamma));
        }
        prev = put(prev, present, now);
        const z = softmax(pick(logits, present));
        const c = 1 / z.reduce((a, zi, i) => a + zi / (now[i] + EPS), 0);
        const w = z.map((zi, i) => (c * zi) / (now[i] + EPS));
        last = expand(w, present, T);
        const L = tf.stack(losses as tf.Scalar[]);
        const loss = tf.sum(tf.mul(tf.tensor1d(z.map((zi) => c * zi)), tf.log(tf.add(L, EPS)))) as tf.Scalar;
        return { loss, weights: tf.tensor1d(w) };
      },
      variables: () => [],
      weights: () => Object.fromEntries(ctx.taskNames.map((t, i) => [t, last[i]])),
      state: () => ({ logits, prevLosses: prev }),
      restore(state: Json) {
        const s = state as { logits?: number[]; prevLosses?: (number | null)[] | null } | null;
        if (Array.isArray(s?.logits) && s.logits.length === T) logits = [...s.logits];
        // Older checkpoints saved null (no step yet) or all T losses; both read as per-task entries.
        prev = Array.isArray(s?.prevLosses) && s.prevLosses.length === T ? [...s.prevLosses] : new Array<number | null>(T).fill(null);
      },
      dispose() {},
    };
  },
});
