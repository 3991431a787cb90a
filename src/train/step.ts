// Owns one optimisation step of a multi-task model: forward, per-task losses, the weighting
// strategy's combination, regularisation, clipping, weight decay, one optimizer update.
// tfjs-layers' compile()/fit() has no per-output loss weights and no gradient surgery, hence this.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batching';
import type { LossFn } from '../losses/types';
import type { BuiltModel } from '../model/build';
import type { OptimizerHandle } from '../optim/optimizers';
import type { WeightingStrategy } from '../weighting/strategy';

export interface StepParts {
  built: BuiltModel;
  lossFns: LossFn[];
  strategy: WeightingStrategy;
  opt: OptimizerHandle;
  clipNorm: number | null;
  /** Shared (backbone) variables: the columns of the task-gradient matrix, in this order. */
  shared: tf.Variable[];
  /** Each task's head variables, in task order. */
  heads: tf.Variable[][];
}

export interface StepState {
  step: number;
  epoch: number;
  learningRate: number;
  epochLosses: readonly (readonly number[])[];
}

/** Tensors the caller owns and must dispose (see disposeStepResult). */
export interface StepResult {
  /** Per-task mean loss of this batch [T]. */
  taskLosses: tf.Tensor1D;
  /** Effective task weights reported by the strategy [T]. */
  weights: tf.Tensor1D;
  /** Task outputs of the training forward pass, in task order (for training metrics). */
  outputs: tf.Tensor[];
}

export function disposeStepResult(r: StepResult): void {
  tf.dispose([r.taskLosses, r.weights, ...r.outputs]);
}

/** Mean of per-sample losses over the labelled rows (mask 1), or over all rows without a mask. */
export function maskedMean(perSample: tf.Tensor1D, mask?: tf.Tensor1D): tf.Scalar {
  if (!mask) return tf.mean(perSample);
  return tf.div(tf.sum(tf.mul(perSample, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
}

function forward(built: BuiltModel, batch: Batch): tf.Tensor[] {
  const xs = built.inputNames.map((n) => batch.inputs[n]);
  const out = built.model.apply(xs.length === 1 ? xs[0] : xs, { training: true });
  return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
}

function taskLosses(parts: StepParts, batch: Batch, outputs: tf.Tensor[]): tf.Scalar[] {
  return parts.built.taskNames.map((t, i) => maskedMean(parts.lossFns[i](batch.targets[t], outputs[i]), batch.masks[t]));
}

function regularisation(model: tf.LayersModel): tf.Scalar | null {
  const losses = model.calculateLosses();
  return losses.length ? (tf.addN(losses) as tf.Scalar) : null;
}

/**
 * One step. Loss strategies: the gradient of strategy.combine(losses) + regularisation w.r.t. every
 * trainable variable (the model's and the strategy's own). Gradient strategies: one backward pass per
 * task gives the T×d matrix of shared-parameter gradients; the strategy turns it into one direction;
 * each head gets its own task's gradient (times headWeights).
 */
export function trainStep(parts: StepParts, batch: Batch, state: StepState): StepResult {
  const { built, strategy, opt } = parts;
  const T = built.taskNames.length;
  const ctxBase = { taskNames: built.taskNames, step: state.step, epoch: state.epoch, epochLosses: state.epochLosses };
  let kept: StepResult | undefined;

  tf.tidy(() => {
    let grads: tf.NamedTensorMap;
    if (strategy.needs === 'losses') {
      const vars = [...parts.shared, ...parts.heads.flat(), ...strategy.variables()];
      grads = tf.variableGrads(() => {
        const outputs = forward(built, batch);
        const losses = taskLosses(parts, batch, outputs);
        const update = strategy.combine({ ...ctxBase, losses });
        kept = { taskLosses: tf.keep(tf.stack(losses) as tf.Tensor1D), weights: tf.keep(update.weights), outputs: outputs.map((o) => tf.keep(o)) };
        const reg = regularisation(built.model);
        return reg ? tf.add(update.loss, reg) : update.loss;
      }, vars).grads;
    } else {
      const rows: tf.Tensor1D[] = [];
      const losses: tf.Scalar[] = [];
      const headGrads: tf.NamedTensorMap[] = [];
      let outputs: tf.Tensor[] = [];
      for (let t = 0; t < T; t++) {
        const g = tf.variableGrads(() => {
          const outs = forward(built, batch);
          const l = taskLosses(parts, batch, outs)[t];
          if (t === 0) outputs = outs.map((o) => tf.keep(o));
          losses.push(tf.keep(l));
          return l;
        }, [...parts.shared, ...parts.heads[t]]).grads;
        rows.push(tf.concat(parts.shared.map((v) => (g[v.name] ?? tf.zerosLike(v)).reshape([-1]))) as tf.Tensor1D);
        headGrads.push(Object.fromEntries(parts.heads[t].map((v) => [v.name, g[v.name] ?? tf.zerosLike(v)])));
      }
      const update = strategy.combine({ ...ctxBase, losses, grads: tf.stack(rows) as tf.Tensor2D });
      kept = { taskLosses: tf.keep(tf.stack(losses) as tf.Tensor1D), weights: tf.keep(update.weights), outputs };
      tf.dispose(losses); // kept out of each backward pass's scope; stacked above
      grads = {};
      let offset = 0;
      for (const v of parts.shared) {
        grads[v.name] = update.direction.slice(offset, v.size).reshape(v.shape);
        offset += v.size;
      }
      const hw = update.headWeights?.arraySync() ?? new Array<number>(T).fill(1);
      headGrads.forEach((m, t) => {
        for (const [name, g] of Object.entries(m)) grads[name] = hw[t] === 1 ? g : tf.mul(g, hw[t]);
      });
      const reg = built.model.calculateLosses().length
        ? tf.variableGrads(() => regularisation(built.model) as tf.Scalar, [...parts.shared, ...parts.heads.flat()]).grads
        : {};
      for (const [name, g] of Object.entries(reg)) if (g) grads[name] = grads[name] ? tf.add(grads[name], g) : g;
    }

    const modelVars = [...parts.shared, ...parts.heads.flat()];
    if (opt.weightDecay.mode === 'coupled') {
      // Strategy variables (e.g. log-variances) are not model weights: they are not decayed.
      for (const v of modelVars) if (grads[v.name]) grads[v.name] = tf.add(grads[v.name], tf.mul(v, opt.weightDecay.rate));
    }
    if (parts.clipNorm !== null) grads = clipByGlobalNorm(grads, parts.clipNorm);
    opt.setLearningRate(state.learningRate);
    opt.optimizer.applyGradients(grads);
    if (opt.weightDecay.mode === 'decoupled') {
      const factor = 1 - state.learningRate * opt.weightDecay.rate;
      for (const v of modelVars) v.assign(tf.mul(v, factor));
    }
  });
  if (!kept) throw new Error('train step produced no result');
  return kept;
}

/** Scale every gradient by min(1, maxNorm / ‖g‖₂) where ‖g‖ is the norm of all gradients together. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  const entries = Object.entries(grads);
  if (!entries.length) return grads;
  const norm = tf.sqrt(tf.addN(entries.map(([, g]) => tf.sum(tf.square(g)))));
  const scale = tf.minimum(1, tf.div(maxNorm, tf.maximum(norm, 1e-12)));
  return Object.fromEntries(entries.map(([n, g]) => [n, tf.mul(g, scale)]));
}
