// Owns the forward and backward passes the gradient paths (grad-paths.ts) and the look-ahead
// (lookahead.ts) are made of: a training forward pass through the step's draws, the per-task masked
// losses, regularisation, one backward pass of a weighted objective, the per-task shared-gradient rows,
// the representation fan-out (T per-task gradients of z in one backward pass) and the cheap weighted step.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batching';
import { configError } from '../errors';
import { maskedMean } from '../losses/masked';
import type { SplitModel } from '../model/split';
import { splitModel } from '../model/split';
import type { StepDraws } from './draws';
import type { StepParts } from './step';

export function forward(parts: StepParts, batch: Batch, draws: StepDraws): tf.Tensor[] {
  draws.pass();
  const xs = parts.built.inputNames.map((n) => batch.inputs[n]);
  const out = parts.built.model.apply(xs.length === 1 ? xs[0] : xs, { training: true });
  return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
}

export function taskLosses(parts: StepParts, batch: Batch, outputs: tf.Tensor[]): tf.Scalar[] {
  return parts.built.taskNames.map((t, i) => maskedMean(parts.lossFns[i](batch.targets[t], outputs[i], { mask: batch.masks[t], model: parts.built.model }), batch.masks[t]));
}

export function regularisation(model: tf.LayersModel): tf.Scalar | null {
  const losses = model.calculateLosses();
  return losses.length ? (tf.addN(losses) as tf.Scalar) : null;
}

/** One backward pass of objective(losses) + regularisation w.r.t. `vars`; keeps the losses and outputs. */
export function backward(parts: StepParts, batch: Batch, draws: StepDraws, vars: tf.Variable[], objective: (losses: tf.Scalar[]) => tf.Scalar): { grads: tf.NamedTensorMap; taskLosses: tf.Tensor1D; outputs: tf.Tensor[] } {
  let kept: { taskLosses: tf.Tensor1D; outputs: tf.Tensor[] } | undefined;
  const { grads } = tf.variableGrads(() => {
    const outputs = forward(parts, batch, draws);
    const losses = taskLosses(parts, batch, outputs);
    kept = { taskLosses: tf.keep(tf.stack(losses) as tf.Tensor1D), outputs: outputs.map((o) => tf.keep(o)) };
    const total = objective(losses);
    const reg = regularisation(parts.built.model);
    return reg ? tf.add(total, reg) : total;
  }, vars);
  return { grads, ...(kept as { taskLosses: tf.Tensor1D; outputs: tf.Tensor[] }) };
}

export function addRegularisation(parts: StepParts, grads: tf.NamedTensorMap): void {
  if (!parts.built.model.calculateLosses().length) return;
  const reg = tf.variableGrads(() => regularisation(parts.built.model) as tf.Scalar, [...parts.shared, ...parts.heads.flat()]).grads;
  for (const [name, g] of Object.entries(reg)) if (g) grads[name] = grads[name] ? tf.add(grads[name], g) : g;
}

/**
 * One backward pass per present task over the shared parameters and that task's head (rows and head
 * gradients in `present` order); with keepResults, the first pass's outputs and all T losses (an
 * absent task's masked mean is 0).
 */
export function sharedGradientRows(
  parts: StepParts,
  batch: Batch,
  draws: StepDraws,
  present: readonly number[],
  keepResults: boolean,
): { rows: tf.Tensor1D[]; losses: tf.Scalar[]; headGrads: tf.NamedTensorMap[]; outputs: tf.Tensor[] } {
  const rows: tf.Tensor1D[] = [];
  let losses: tf.Scalar[] = [];
  const headGrads: tf.NamedTensorMap[] = [];
  let outputs: tf.Tensor[] = [];
  for (const t of present) {
    const g = tf.variableGrads(() => {
      const outs = forward(parts, batch, draws);
      const all = taskLosses(parts, batch, outs);
      if (keepResults && t === present[0]) {
        outputs = outs.map((o) => tf.keep(o));
        losses = all.map((l) => tf.keep(l));
      }
      return all[t];
    }, [...parts.shared, ...parts.heads[t]]).grads;
    rows.push(parts.shared.length ? (tf.concat(parts.shared.map((v) => (g[v.name] ?? tf.zerosLike(v)).reshape([-1]))) as tf.Tensor1D) : tf.zeros([0]));
    headGrads.push(Object.fromEntries(parts.heads[t].map((v) => [v.name, g[v.name] ?? tf.zerosLike(v)])));
  }
  return { rows, losses, headGrads, outputs };
}

/** The model's split, resolved once per StepParts (makeStepParts resolves it up front when needed). */
function splitOf(parts: StepParts): SplitModel | string {
  return (parts.split ??= splitModel(parts.built));
}

function requireSplit(parts: StepParts): SplitModel {
  const s = splitOf(parts);
  if (typeof s === 'string') throw configError([{ where: { path: 'weighting.gradSpace' }, message: `gradSpace "representation" needs one shared representation feeding every head, but ${s}`, allowed: 'parameters' }]);
  return s;
}

/**
 * Per-task gradients w.r.t. the shared representation z in one backward pass. z is fanned out to T
 * copies, one per head (stack, then unstack); the fan-out's gradient function receives the T×|z|
 * matrix of ∂L_t/∂z (each copy only reaches its own task's loss), lets `combine` turn it into one
 * z-gradient, and hands that to the backbone: a single vector–Jacobian product through the shared
 * layers, whatever T. Head t's parameters get ∂L_t/∂θ_t from the same pass (times headWeights).
 */
export function representationGrads(
  parts: StepParts,
  batch: Batch,
  draws: StepDraws,
  combine: (rows: tf.Tensor2D, losses: tf.Scalar[]) => { direction: tf.Tensor1D; weights: tf.Tensor1D; headWeights?: tf.Tensor1D },
): { grads: tf.NamedTensorMap; taskLosses: tf.Tensor1D; weights: tf.Tensor1D; headWeights: number[]; outputs: tf.Tensor[] } {
  const { built } = parts;
  const split = requireSplit(parts);
  const T = built.taskNames.length;
  const losses: tf.Scalar[] = [];
  let outputs: tf.Tensor[] = [];
  let weights: tf.Tensor1D | undefined;
  let headWeights = new Array<number>(T).fill(1);
  const fanOut = tf.customGrad(((z: tf.Tensor) => ({
    value: tf.stack(new Array<tf.Tensor>(T).fill(z)),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
      const rows = tf.reshape(dy as tf.Tensor, [T, -1]) as tf.Tensor2D;
      const u = combine(rows, losses);
      weights = tf.keep(u.weights);
      if (u.headWeights) headWeights = Array.from(u.headWeights.dataSync());
      return tf.reshape(u.direction, z.shape);
    },
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  const { grads } = tf.variableGrads(() => {
    draws.pass();
    const xs = built.inputNames.map((n) => batch.inputs[n]);
    const copies = tf.unstack(fanOut(split.backbone(xs)));
    const outs = split.heads.map((h, t) => h(copies[t]));
    const ls = taskLosses(parts, batch, outs);
    ls.forEach((l) => losses.push(tf.keep(l)));
    outputs = outs.map((o) => tf.keep(o));
    const reg = regularisation(built.model);
    const total = tf.addN(ls) as tf.Scalar;
    return reg ? tf.add(total, reg) : total;
  }, [...parts.shared, ...parts.heads.flat()]);
  if (!weights) throw new Error('the representation gradient was never combined');
  parts.heads.forEach((vars, t) => {
    if (headWeights[t] === 1) return;
    // One scalar tensor per head, not one per variable: tf.mul(x, number) uploads a new scalar each call.
    const h = tf.scalar(headWeights[t]);
    for (const v of vars) if (grads[v.name]) grads[v.name] = tf.mul(grads[v.name], h);
  });
  const taskLossesT = tf.keep(tf.stack(losses) as tf.Tensor1D);
  tf.dispose(losses);
  return { grads, taskLosses: taskLossesT, weights, headWeights, outputs };
}

/**
 * The cheap step between recomputations: shared parameters follow Σ_t w_t ∇L_t and head t follows
 * hw_t ∇L_t, in one backward pass (through the representation split when the model has one).
 */
export function weightedGrads(parts: StepParts, batch: Batch, draws: StepDraws, w: number[], hw: number[]): { grads: tf.NamedTensorMap; taskLosses: tf.Tensor1D; outputs: tf.Tensor[]; passes: number } {
  const T = parts.built.taskNames.length;
  if (typeof splitOf(parts) !== 'string') {
    const r = representationGrads(parts, batch, draws, (rows) => ({
      direction: tf.reshape(tf.matMul(tf.tensor2d(w, [1, T]), rows), [-1]) as tf.Tensor1D,
      weights: tf.tensor1d(w),
      headWeights: tf.tensor1d(hw),
    }));
    r.weights.dispose();
    return { grads: r.grads, taskLosses: r.taskLosses, outputs: r.outputs, passes: 1 };
  }
  const r = backward(parts, batch, draws, [...parts.shared, ...parts.heads.flat()], (ls) => tf.sum(tf.mul(tf.stack(ls), tf.tensor1d(w))) as tf.Scalar);
  // Without a split (mmoe, cross-stitch, …), head t received w_t ∇L_t; rescale it to hw_t ∇L_t. A task
  // whose shared weight is (nearly) 0 left no usable head gradient: its head gets its own pass.
  const top = Math.max(...w.map(Math.abs), 1e-30);
  let passes = 1;
  parts.heads.forEach((vars, t) => {
    if (Math.abs(w[t]) <= 1e-6 * top) {
      if (hw[t] === 0 || !vars.length) return;
      const own = tf.variableGrads(() => tf.mul(taskLosses(parts, batch, forward(parts, batch, draws))[t], hw[t]) as tf.Scalar, vars).grads;
      Object.assign(r.grads, own);
      passes++;
      return;
    }
    const f = hw[t] / w[t];
    if (f !== 1) for (const v of vars) if (r.grads[v.name]) r.grads[v.name] = tf.mul(r.grads[v.name], f);
  });
  return { ...r, passes };
}
