// Owns the five ways a train step gets its gradients (losses, parameters, representation, heads-only,
// reuse): each runs the forward and backward passes its strategy needs and returns one GradRecord.
// trainStep (step.ts) picks the path once per step and applies the record with one shared tail.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batching';
import { configError } from '../errors';
import { maskedMean } from '../losses/masked';
import type { SplitModel } from '../model/split';
import { splitModel } from '../model/split';
import type { WeightingStrategy } from '../weighting/strategy';
import type { StepMemory, StepParts } from './step';

export type GradPath = 'losses' | 'parameters' | 'representation' | 'heads-only' | 'reuse';

type LossStrategy = Extract<WeightingStrategy, { needs: 'losses' }>;
type GradientStrategy = Extract<WeightingStrategy, { needs: 'task-gradients' }>;

/** What every path returns. taskLosses, weights and outputs are kept out of the step's tidy scope. */
export interface GradRecord {
  grads: tf.NamedTensorMap;
  /** Per-task mean loss of this batch [T]. */
  taskLosses: tf.Tensor1D;
  /** Effective task weights to report [T]. */
  weights: tf.Tensor1D;
  /** Task outputs of the training forward pass, in task order. */
  outputs: tf.Tensor[];
  backwardPasses: number;
  /** The weights to reuse until the next recomputation (absent: the memory stays as it is). */
  remember?: StepMemory;
  /** The T×d matrix of shared-parameter gradients, when the path built it (diagnostics reuse it). */
  sharedRows?: tf.Tensor2D;
}

/** What a path reads besides the parts and the batch. */
export interface PathContext {
  /** The strategy's context without losses and gradients. */
  base: { taskNames: readonly string[]; step: number; epoch: number; epochLosses: readonly (readonly number[])[] };
  /** The weights of the last recomputation (complete on the reuse and cheap heads-only steps). */
  memory: StepMemory;
  recompute: boolean;
}

/**
 * Nothing shared → heads-only; between recomputations → reuse; a loss strategy → losses; a gradient
 * strategy → per-task gradients w.r.t. the shared parameters or the shared representation.
 */
export function choosePath(parts: StepParts, recompute: boolean): GradPath {
  if (parts.shared.length === 0 && (parts.strategy.needs !== 'losses' || !recompute)) return 'heads-only';
  if (!recompute) return 'reuse';
  if (parts.strategy.needs === 'losses') return 'losses';
  return (parts.gradSpace ?? 'parameters') === 'representation' ? 'representation' : 'parameters';
}

export const gradPaths: Record<GradPath, (parts: StepParts, batch: Batch, ctx: PathContext) => GradRecord> = {
  /**
   * Nothing is shared (soft sharing: one backbone copy per task): there is no shared gradient to
   * balance (d = 0), so head t follows w_t ∇L_t with the reused weights between recomputations and
   * w = 1 otherwise; a gradient strategy is not consulted. (The representation split would start at a
   * model input here, where no gradient flows, so the reuse path is not used.)
   */
  'heads-only': (parts, batch, { memory, recompute }) => {
    const w = recompute ? new Array<number>(parts.built.taskNames.length).fill(1) : (memory.headWeights as number[]);
    const reported = recompute ? w : (memory.weights as number[]);
    const r = backward(parts, batch, parts.heads.flat(), (losses) => tf.sum(tf.mul(tf.stack(losses), tf.tensor1d(w))) as tf.Scalar);
    return { ...r, weights: tf.keep(tf.tensor1d(reported)), backwardPasses: 1, ...(recompute ? { remember: { weights: [...w], headWeights: [...w] } } : {}) };
  },

  reuse: (parts, batch, { memory }) => {
    const r = weightedGrads(parts, batch, memory.weights as number[], memory.headWeights as number[]);
    return { ...r, weights: tf.keep(tf.tensor1d(memory.weights as number[])), backwardPasses: 1 };
  },

  /** The gradient of strategy.combine(losses) + regularisation w.r.t. every trainable variable (the model's and the strategy's own). */
  losses: (parts, batch, { base }) => {
    const strategy = parts.strategy as LossStrategy;
    let weights: tf.Tensor1D | undefined;
    const vars = [...parts.shared, ...parts.heads.flat(), ...strategy.variables()];
    const r = backward(parts, batch, vars, (losses) => {
      const update = strategy.combine({ ...base, losses });
      weights = tf.keep(update.weights);
      return update.loss;
    });
    // The loss is Σ w_t L_t to first order, and a head only sees its own task: it gets w_t too.
    const w = Array.from((weights as tf.Tensor1D).dataSync());
    return { ...r, weights: weights as tf.Tensor1D, backwardPasses: 1, remember: { weights: w, headWeights: [...w] } };
  },

  representation: (parts, batch, { base }) => {
    const strategy = parts.strategy as GradientStrategy;
    const r = representationGrads(parts, batch, (rows, losses) => strategy.combine({ ...base, losses, grads: rows }));
    return { grads: r.grads, taskLosses: r.taskLosses, weights: r.weights, outputs: r.outputs, backwardPasses: 1, remember: { weights: Array.from(r.weights.dataSync()), headWeights: r.headWeights } };
  },

  /**
   * One backward pass per task gives the T×d matrix of shared-parameter gradients; the strategy turns
   * it into one direction; each head gets its own task's gradient (times headWeights).
   */
  parameters: (parts, batch, { base }) => {
    const strategy = parts.strategy as GradientStrategy;
    const T = parts.built.taskNames.length;
    const { rows, losses, headGrads, outputs } = sharedGradientRows(parts, batch, true);
    const sharedRows = tf.stack(rows) as tf.Tensor2D;
    const update = strategy.combine({ ...base, losses, grads: sharedRows });
    const taskLosses = tf.keep(tf.stack(losses) as tf.Tensor1D);
    tf.dispose(losses); // kept out of each backward pass's scope; stacked above
    const grads: tf.NamedTensorMap = {};
    let offset = 0;
    for (const v of parts.shared) {
      grads[v.name] = update.direction.slice(offset, v.size).reshape(v.shape);
      offset += v.size;
    }
    const hw = update.headWeights?.arraySync() ?? new Array<number>(T).fill(1);
    headGrads.forEach((m, t) => {
      for (const [name, g] of Object.entries(m)) grads[name] = hw[t] === 1 ? g : tf.mul(g, hw[t]);
    });
    addRegularisation(parts, grads);
    const weights = tf.keep(update.weights);
    return { grads, taskLosses, weights, outputs, backwardPasses: T, sharedRows, remember: { weights: Array.from(weights.dataSync()), headWeights: hw } };
  },
};

function forward(parts: StepParts, batch: Batch): tf.Tensor[] {
  const xs = parts.built.inputNames.map((n) => batch.inputs[n]);
  const out = parts.built.model.apply(xs.length === 1 ? xs[0] : xs, { training: true });
  return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
}

function taskLosses(parts: StepParts, batch: Batch, outputs: tf.Tensor[]): tf.Scalar[] {
  return parts.built.taskNames.map((t, i) => maskedMean(parts.lossFns[i](batch.targets[t], outputs[i], { mask: batch.masks[t], model: parts.built.model }), batch.masks[t]));
}

function regularisation(model: tf.LayersModel): tf.Scalar | null {
  const losses = model.calculateLosses();
  return losses.length ? (tf.addN(losses) as tf.Scalar) : null;
}

/** One backward pass of objective(losses) + regularisation w.r.t. `vars`; keeps the losses and outputs. */
function backward(parts: StepParts, batch: Batch, vars: tf.Variable[], objective: (losses: tf.Scalar[]) => tf.Scalar): { grads: tf.NamedTensorMap; taskLosses: tf.Tensor1D; outputs: tf.Tensor[] } {
  let kept: { taskLosses: tf.Tensor1D; outputs: tf.Tensor[] } | undefined;
  const { grads } = tf.variableGrads(() => {
    const outputs = forward(parts, batch);
    const losses = taskLosses(parts, batch, outputs);
    kept = { taskLosses: tf.keep(tf.stack(losses) as tf.Tensor1D), outputs: outputs.map((o) => tf.keep(o)) };
    const total = objective(losses);
    const reg = regularisation(parts.built.model);
    return reg ? tf.add(total, reg) : total;
  }, vars);
  return { grads, ...(kept as { taskLosses: tf.Tensor1D; outputs: tf.Tensor[] }) };
}

function addRegularisation(parts: StepParts, grads: tf.NamedTensorMap): void {
  if (!parts.built.model.calculateLosses().length) return;
  const reg = tf.variableGrads(() => regularisation(parts.built.model) as tf.Scalar, [...parts.shared, ...parts.heads.flat()]).grads;
  for (const [name, g] of Object.entries(reg)) if (g) grads[name] = grads[name] ? tf.add(grads[name], g) : g;
}

/** One backward pass per task over the shared parameters and that task's head. */
export function sharedGradientRows(parts: StepParts, batch: Batch, keepResults: boolean): { rows: tf.Tensor1D[]; losses: tf.Scalar[]; headGrads: tf.NamedTensorMap[]; outputs: tf.Tensor[] } {
  const T = parts.built.taskNames.length;
  const rows: tf.Tensor1D[] = [];
  const losses: tf.Scalar[] = [];
  const headGrads: tf.NamedTensorMap[] = [];
  let outputs: tf.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const g = tf.variableGrads(() => {
      const outs = forward(parts, batch);
      const l = taskLosses(parts, batch, outs)[t];
      if (keepResults) {
        if (t === 0) outputs = outs.map((o) => tf.keep(o));
        losses.push(tf.keep(l));
      }
      return l;
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
function representationGrads(
  parts: StepParts,
  batch: Batch,
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
    if (headWeights[t] !== 1) for (const v of vars) if (grads[v.name]) grads[v.name] = tf.mul(grads[v.name], headWeights[t]);
  });
  const taskLossesT = tf.keep(tf.stack(losses) as tf.Tensor1D);
  tf.dispose(losses);
  return { grads, taskLosses: taskLossesT, weights, headWeights, outputs };
}

/**
 * The cheap step between recomputations: shared parameters follow Σ_t w_t ∇L_t and head t follows
 * hw_t ∇L_t, in one backward pass (through the representation split when the model has one).
 */
function weightedGrads(parts: StepParts, batch: Batch, w: number[], hw: number[]): { grads: tf.NamedTensorMap; taskLosses: tf.Tensor1D; outputs: tf.Tensor[] } {
  const T = parts.built.taskNames.length;
  if (typeof splitOf(parts) !== 'string') {
    const r = representationGrads(parts, batch, (rows) => ({
      direction: tf.reshape(tf.matMul(tf.tensor2d(w, [1, T]), rows), [-1]) as tf.Tensor1D,
      weights: tf.tensor1d(w),
      headWeights: tf.tensor1d(hw),
    }));
    r.weights.dispose();
    return { grads: r.grads, taskLosses: r.taskLosses, outputs: r.outputs };
  }
  const r = backward(parts, batch, [...parts.shared, ...parts.heads.flat()], (ls) => tf.sum(tf.mul(tf.stack(ls), tf.tensor1d(w))) as tf.Scalar);
  // Without a split, head t received w_t ∇L_t; rescale it to hw_t ∇L_t.
  parts.heads.forEach((vars, t) => {
    const f = w[t] > 1e-12 ? hw[t] / w[t] : 0;
    if (f !== 1) for (const v of vars) if (r.grads[v.name]) r.grads[v.name] = tf.mul(r.grads[v.name], f);
  });
  return r;
}
