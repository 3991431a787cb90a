// Owns what the loss strategies with nothing to remember between steps share (equal, rlw, gls, stch,
// scale-invariant): the record of the last weights by task (absent tasks 0) and the empty
// variables/state. Each method only says how the present tasks' losses become one loss.
import * as tf from '@tensorflow/tfjs';
import { expand } from './present';
import type { LossStepContext, LossStrategy, StrategyContext } from './strategy';

/** One step of a stateless method: the loss, and the weights ∂loss/∂L_t of the present tasks (in `present` order). */
export interface StatelessStep {
  loss: tf.Scalar;
  weights: ArrayLike<number>;
}

/** A LossStrategy around `combine`; `initial` is the weight reported for every task before the first step. */
export function statelessLoss(ctx: StrategyContext, initial: number, combine: (c: LossStepContext) => StatelessStep): LossStrategy {
  const T = ctx.taskNames.length;
  let last = new Array<number>(T).fill(initial);
  return {
    needs: 'losses',
    combine(c) {
      const { loss, weights } = combine(c);
      last = expand(weights, c.present, T);
      return { loss, weights: tf.tensor1d(Array.from(weights)) };
    },
    variables: () => [],
    weights: () => Object.fromEntries(ctx.taskNames.map((t, i) => [t, last[i]])),
    state: () => null,
    restore() {},
    dispose() {},
  };
}
