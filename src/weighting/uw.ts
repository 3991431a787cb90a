// Uncertainty weighting (Kendall, Gal & Cipolla, "Multi-Task Learning Using Uncertainty to Weigh
// Losses for Scene Geometry and Semantics", CVPR 2018), Eq. 7 in the log-variance form the paper
// recommends for stability: L = Σ_t ½·e^{−s_t}·L_t + ½·s_t with s_t = log σ_t² learned with the model.
// Paper: https://arxiv.org/abs/1705.07115
import * as tf from '@tensorflow/tfjs';
import { num, opts } from '../util/options';
import { expand } from './present';
import { strategy, type Json, type LossStrategy, type StrategyDescriptor } from './strategy';

export const uwWeighting: StrategyDescriptor = strategy({
  type: 'uw',
  description: 'Uncertainty weighting (Kendall et al. 2018): learned log-variances s_t, L = Σ ½e^{−s_t}L_t + ½s_t',
  options: opts({
    initLogVariance: num({ default: 0, description: 'Initial s_t = log σ_t² of every task (0: weight ½)' }),
  }),
  create(config, ctx): LossStrategy {
    const T = ctx.taskNames.length;
    // One [T] variable: the step differentiates the combined loss w.r.t. it, so the optimizer moves it.
    const s = tf.variable(tf.fill([T], config.initLogVariance), true);
    let last = new Array<number>(T).fill(0.5 * Math.exp(-config.initLogVariance));
    return {
      needs: 'losses',
      combine({ losses, present }) {
        // Only the present tasks' log-variances enter the loss, so an absent task's s_t gets no gradient.
        const sp = tf.gather(s, present);
        const L = tf.stack(losses as tf.Scalar[]);
        const precision = tf.mul(0.5, tf.exp(tf.neg(sp)));
        const loss = tf.sum(tf.add(tf.mul(precision, L), tf.mul(0.5, sp))) as tf.Scalar;
        const w = precision.dataSync() as Float32Array;
        last = expand(w, present, T);
        return { loss, weights: tf.tensor1d(w) };
      },
      variables: () => [s],
      weights: () => Object.fromEntries(ctx.taskNames.map((t, i) => [t, last[i]])),
      state: () => ({ logVariances: Array.from(s.dataSync()) }),
      restore(state: Json) {
        const v = (state as { logVariances?: number[] } | null)?.logVariances;
        if (Array.isArray(v) && v.length === T) s.assign(tf.tensor1d(v));
      },
      dispose: () => s.dispose(),
    };
  },
});
