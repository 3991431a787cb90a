// Uncertainty weighting (Kendall, Gal & Cipolla, "Multi-Task Learning Using Uncertainty to Weigh
// Losses for Scene Geometry and Semantics", CVPR 2018), Eq. 7 in the log-variance form the paper
// recommends for stability: L = Σ_t ½·e^{−s_t}·L_t + ½·s_t with s_t = log σ_t² learned with the model.
// Paper: https://arxiv.org/abs/1705.07115
import * as tf from '@tensorflow/tfjs';
import { num, opts } from '../util/options';
import { expand } from './present';
import { strategy, type Json, type LossStrategy, type StrategyDescriptor } from './strategy';
import { strategyVariable } from './variables';

export const uwWeighting: StrategyDescriptor = strategy({
  type: 'uw',
  description: 'Uncertainty weighting (Kendall et al. 2018): learned log-variances s_t, L = Σ ½e^{−s_t}L_t + ½s_t',
  options: opts({
    initLogVariance: num({ default: 0, description: 'Initial s_t = log σ_t² of every task (0: weight ½)' }),
  }),
  create(config, ctx): LossStrategy {
    const T = ctx.taskNames.length;
    // One variable per task: an absent task's s_t gets no gradient, so the optimizer leaves it and its
    // slots untouched (a slice of one [T] variable would still move under Adam's momentum).
    const s = ctx.taskNames.map((t) => strategyVariable(`uw/logVariance/${t}`, config.initLogVariance));
    let last = new Array<number>(T).fill(0.5 * Math.exp(-config.initLogVariance));
    return {
      needs: 'losses',
      combine({ losses, present }) {
        // Only the present tasks' log-variances enter the loss.
        const sp = tf.stack(present.map((t) => s[t]));
        const L = tf.stack(losses as tf.Scalar[]);
        const precision = tf.mul(0.5, tf.exp(tf.neg(sp)));
        const loss = tf.sum(tf.add(tf.mul(precision, L), tf.mul(0.5, sp))) as tf.Scalar;
        const w = precision.dataSync() as Float32Array;
        last = expand(w, present, T);
        return { loss, weights: tf.tensor1d(w) };
      },
      variables: () => [...s],
      weights: () => Object.fromEntries(ctx.taskNames.map((t, i) => [t, last[i]])),
      state: () => ({ logVariances: s.map((v) => v.dataSync()[0]) }),
      restore(state: Json) {
        const v = (state as { logVariances?: number[] } | null)?.logVariances;
        if (Array.isArray(v) && v.length === T) tf.tidy(() => s.forEach((x, t) => x.assign(tf.scalar(v[t]))));
      },
      dispose: () => s.forEach((v) => v.dispose()),
    };
  },
});
