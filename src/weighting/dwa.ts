// Dynamic Weight Average (Liu, Johns & Davison, "End-to-End Multi-Task Learning with Attention",
// CVPR 2019), Eq. 1: w_t(k) = T·exp(r_t(k−1)/Temp) / Σ_i exp(r_i(k−1)/Temp), r_t(k−1) = L_t(k−1)/L_t(k−2),
// with L_t(k) the mean training loss of epoch k; w_t = 1 for the first two epochs.
// Paper: https://arxiv.org/abs/1803.10704
import * as tf from '@tensorflow/tfjs';
import { num, opts } from '../util/options';
import { expand, pick } from './present';
import { strategy, type LossStrategy, type StrategyDescriptor } from './strategy';

/**
 * DWA weights from the finished epochs' mean losses (oldest first). A task without a training loss in
 * one of the last two epochs (no labelled batch: task sampling, partial labels; NaN, or null after a
 * resume) has no ratio: it counts as r = 1, the ratio of a loss that did not change, and its entry in
 * `ratios` is null. (Before, its NaN made every weight NaN and training stopped as "non-finite".)
 */
export function dwaWeights(epochLosses: readonly (readonly (number | null)[])[], T: number, temperature: number): { weights: number[]; ratios: (number | null)[] | null } {
  const n = epochLosses.length;
  if (n < 2) return { weights: new Array<number>(T).fill(1), ratios: null };
  const known = (x: number | null): x is number => typeof x === 'number' && Number.isFinite(x);
  const ratios = epochLosses[n - 1].map((l, t) => {
    const prev = epochLosses[n - 2][t];
    return known(l) && known(prev) ? l / Math.max(prev, 1e-12) : null;
  });
  const e = ratios.map((r) => Math.exp((r ?? 1) / temperature));
  const z = e.reduce((a, b) => a + b, 0);
  return { weights: e.map((v) => (T * v) / z), ratios };
}

export const dwaWeighting: StrategyDescriptor = strategy({
  type: 'dwa',
  description: 'Dynamic Weight Average (Liu et al. 2019): weights from the ratio of the last two epochs\' losses, softmax with temperature',
  options: opts({
    temperature: num({ exclusiveMinimum: 0, default: 2, description: 'Softmax temperature T (larger: closer to equal weights)' }),
  }),
  create(config, ctx): LossStrategy {
    const T = ctx.taskNames.length;
    const temperature = config.temperature;
    let last = dwaWeights([], T, temperature);
    let reported = last.weights;
    return {
      needs: 'losses',
      combine({ losses, epochLosses, present }) {
        // Derived from epochLosses alone (the loop checkpoints them), so no state needs restoring.
        last = dwaWeights(epochLosses, T, temperature);
        const w = pick(last.weights, present);
        reported = expand(w, present, T);
        const weights = tf.tensor1d(w);
        return { loss: tf.sum(tf.mul(tf.stack(losses as tf.Scalar[]), weights)) as tf.Scalar, weights };
      },
      variables: () => [],
      weights: () => Object.fromEntries(ctx.taskNames.map((t, i) => [t, reported[i]])),
      state: () => ({ weights: last.weights, ratios: last.ratios }),
      restore() {},
      dispose() {},
    };
  },
});
