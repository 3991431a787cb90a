// GradNorm (Chen et al., "GradNorm: Gradient Normalization for Adaptive Loss Balancing in Deep
// Multitask Networks", ICML 2018). With g_i the task-i gradient over the shared parameters (or over
// the shared representation in gradSpace: representation), G_i = w_i‖g_i‖, L̃_i = L_i(t)/L_i(0),
// r_i = L̃_i / mean(L̃), and L_grad = Σ_i |G_i − mean(G)·r_i^α| with the target mean(G)·r_i^α held
// constant (Eq. 2): ∂L_grad/∂w_i = sign(G_i − target_i)·‖g_i‖. The weights take one gradient step,
// then are renormalised so that Σ w_i = T. The update uses L = Σ w_i L_i with the weights before the
// step (Algorithm 1): shared direction Σ w_i g_i, head i scaled by w_i.
// Paper: https://arxiv.org/abs/1711.02257
import * as tf from '@tensorflow/tfjs';
import { num, opts } from '../util/options';
import { expand, keepSum, pick, put } from './present';
import { strategy, type GradientStrategy, type Json, type StrategyDescriptor } from './strategy';

/** One GradNorm weight update (pure, on plain numbers): the new weights, Σ = T. */
export function gradNormUpdate(weights: readonly number[], norms: readonly number[], losses: readonly number[], initialLosses: readonly number[], alpha: number, lr: number): number[] {
  const T = weights.length;
  const G = weights.map((w, i) => w * norms[i]);
  const meanG = G.reduce((a, b) => a + b, 0) / T;
  const ratio = losses.map((l, i) => l / Math.max(initialLosses[i], 1e-12));
  const meanRatio = ratio.reduce((a, b) => a + b, 0) / T;
  const next = weights.map((w, i) => {
    const target = meanG * Math.pow(ratio[i] / Math.max(meanRatio, 1e-12), alpha);
    return Math.max(w - lr * Math.sign(G[i] - target) * norms[i], 1e-6);
  });
  const s = next.reduce((a, b) => a + b, 0);
  return next.map((w) => (T * w) / s);
}

export const gradnormWeighting: StrategyDescriptor = strategy({
  type: 'gradnorm',
  description: 'GradNorm (Chen et al. 2018): learns weights so that each task\'s weighted gradient norm tracks its relative training rate',
  options: opts({
    alpha: num({ minimum: 0, default: 1.5, description: 'Asymmetry α: how strongly slow tasks are pulled up (0: equal gradient norms)' }),
    weightLr: num({ exclusiveMinimum: 0, default: 0.025, description: 'Step size of the weight update' }),
  }),
  create(config, ctx): GradientStrategy {
    const T = ctx.taskNames.length;
    const alpha = config.alpha;
    const lr = config.weightLr;
    let w = new Array<number>(T).fill(1);
    let used = [...w];
    // Each task's first loss, L_i(0), taken the first time the task is present.
    let initial: (number | null)[] = new Array<number | null>(T).fill(null);
    return {
      needs: 'task-gradients',
      combine({ losses, grads, present }) {
        const L = losses.map((l) => l.dataSync()[0]);
        initial = initial.map((x, t) => (x === null && present.includes(t) ? L[present.indexOf(t)] : x));
        // ‖g_i‖ as √Σg², not tf.norm: tf.norm squares through Pow, which on wasm is powf per element
        // (~15× the whole square-sum-root here, and off by an ulp on some squares, where square is exact).
        const norms = Array.from(tf.tidy(() => tf.sqrt(tf.sum(tf.square(grads), 1))).dataSync());
        const wp = pick(w, present);
        used = expand(wp, present, T);
        const weights = tf.tensor1d(wp);
        const direction = tf.tidy(() => tf.matMul(weights.reshape([1, present.length]), grads).reshape([-1])) as tf.Tensor1D;
        // Only the present tasks' weights move, keeping their total, so Σ w = T still holds over all tasks.
        w = put(w, present, keepSum(wp, gradNormUpdate(wp, norms, L, pick(initial, present) as number[], alpha, lr)));
        return { direction, weights, headWeights: tf.tensor1d(wp) };
      },
      variables: () => [],
      weights: () => Object.fromEntries(ctx.taskNames.map((t, i) => [t, used[i]])),
      state: () => ({ weights: w, initialLosses: initial }),
      restore(state: Json) {
        const s = state as { weights?: number[]; initialLosses?: (number | null)[] | null } | null;
        if (Array.isArray(s?.weights) && s.weights.length === T) w = [...s.weights];
        if (Array.isArray(s?.initialLosses) && s.initialLosses.length === T) initial = [...s.initialLosses];
        else initial = new Array<number | null>(T).fill(null);
        used = [...w];
      },
      dispose() {},
    };
  },
});
