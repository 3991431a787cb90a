// Owns the trainable variables a weighting strategy adds to the model's (uw's log-variances): one
// variable per task, so that a task absent from a step gets no gradient at all and the optimizer leaves
// its value and its slots (Adam's moments) exactly as they were — a slice of one shared [T] variable
// would still be moved by its momentum. Each has a stable name, under which checkpoints store its
// optimizer slots and its place in the gradient order.
import * as tf from '@tensorflow/tfjs';

const stableNames = new WeakMap<tf.Variable, string>();

/**
 * A trainable scalar variable named `stable` (with a numeric suffix while another live variable holds
 * that name, e.g. two strategies alive in one process).
 */
export function strategyVariable(stable: string, value: number): tf.Variable {
  let name = stable;
  for (let k = 1; tf.engine().registeredVariables[name]; k++) name = `${stable}_${k}`;
  const v = tf.tidy(() => tf.variable(tf.scalar(value), true, name));
  stableNames.set(v, stable);
  return v;
}

/** The name a checkpoint stores `v` under. */
export const stableName = (v: tf.Variable): string => stableNames.get(v) ?? v.name;
