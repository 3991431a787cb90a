// Owns the model passes a look-ahead strategy (Auto-Lambda, src/weighting/auto-lambda.ts) asks for:
// per-task losses and gradients on the step's training batch or on a validation batch, at the current
// parameters θ or at θ + a shift. The variables are shifted in place and restored bit-for-bit, every
// forward pass goes through the step's draws (same dropout masks; batch-norm moving statistics rewound
// by the step's own passes), so the look-ahead leaves no trace on the model but the new task weights.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batching';
import type { LookaheadOracle } from '../weighting/strategy';
import type { StepDraws } from './draws';
import { forward, regularisation, taskLosses } from './passes';
import type { StepParts } from './step';

/** Whether the strategy updates its weights by a look-ahead at this step (it has one, and it is due). */
export function lookaheadDue(parts: StepParts, step: number): boolean {
  const la = parts.strategy.needs === 'losses' ? parts.strategy.lookahead : undefined;
  return la !== undefined && step % la.every === 0;
}

/** Runs the strategy's look-ahead update on (batch, validation); returns its hypergradient [T]. */
export function lookaheadStep(parts: StepParts, batch: Batch, validation: Batch, draws: StepDraws, learningRate: number, present: readonly number[], step: number): number[] {
  const s = parts.strategy;
  if (s.needs !== 'losses' || !s.lookahead) return [];
  const vars = [...parts.shared, ...parts.heads.flat()];
  const losses = (b: Batch) => taskLosses(parts, b, forward(parts, b, draws));
  const weighted = (b: Batch, w: readonly number[], withReg: boolean) => () => {
    const total = tf.sum(tf.mul(tf.stack(losses(b)), tf.tensor1d(w as number[]))) as tf.Scalar;
    const reg = withReg ? regularisation(parts.built.model) : null;
    return reg ? (tf.add(total, reg) as tf.Scalar) : total;
  };
  const grads = (f: () => tf.Scalar) => {
    const g = tf.variableGrads(f, vars).grads;
    return vars.map((v) => g[v.name] ?? tf.zerosLike(v));
  };
  const oracle: LookaheadOracle = {
    learningRate,
    trainLosses: (shift) => shifted(vars, shift, () => Array.from(tf.stack(losses(batch)).dataSync())),
    trainGradient: (w, shift) => shifted(vars, shift, () => grads(weighted(batch, w, true))),
    validationGradient: (p, shift) =>
      shifted(vars, shift, () => {
        let vl: number[] = [];
        const g = grads(() => {
          const ls = losses(validation);
          vl = Array.from(tf.stack(ls).dataSync());
          return tf.sum(tf.mul(tf.stack(ls), tf.tensor1d(p as number[]))) as tf.Scalar;
        });
        return { grads: g, losses: vl };
      }),
  };
  return s.lookahead.update(oracle, { present, step });
}

/** fn() with every variable at θ + shift (no shift: θ), then θ restored exactly. */
function shifted<R>(vars: tf.Variable[], shift: readonly tf.Tensor[] | undefined, fn: () => R): R {
  if (!shift) return fn();
  const saved = vars.map((v) => tf.keep(v.clone()));
  vars.forEach((v, i) => v.assign(tf.add(v, shift[i])));
  try {
    return fn();
  } finally {
    vars.forEach((v, i) => v.assign(saved[i]));
    tf.dispose(saved);
  }
}
