// Owns the five ways a train step gets its gradients (losses, parameters, representation, heads-only,
// reuse): each runs the forward and backward passes its strategy needs and returns one GradRecord.
// trainStep (step.ts) picks the path once per step and applies the record with one shared tail.
// Every path follows the partial-label rule (weighting/strategy.ts): only the tasks present in the
// batch reach the strategy, and an absent task is reported with weight 0.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batching';
import { configError } from '../errors';
import { maskedMean } from '../losses/masked';
import type { SplitModel } from '../model/split';
import { splitModel } from '../model/split';
import type { SolverStatus } from '../weighting/gradmath';
import { expand, pick } from '../weighting/present';
import type { WeightingStrategy } from '../weighting/strategy';
import type { StepDraws } from './draws';
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
  /** The T'×d matrix of shared-parameter gradients, when the path built it (diagnostics reuse it). */
  sharedRows?: tf.Tensor2D;
  /** The strategy's solver status of this step, if it solves something. */
  solver?: SolverStatus;
}

/** What a path reads besides the parts and the batch. */
export interface PathContext {
  /** The strategy's context without losses and gradients (present: the tasks labelled in the batch). */
  base: { taskNames: readonly string[]; present: readonly number[]; step: number; epoch: number; epochLosses: readonly (readonly number[])[] };
  /** The weights of the last recomputation (complete on the reuse and cheap heads-only steps). */
  memory: StepMemory;
  recompute: boolean;
  /** Rewinds dropout draws and moving statistics before each forward pass after the first. */
  draws: StepDraws;
}

/**
 * What a recomputation leaves for the cheap steps: the present tasks' new weights, and for an absent
 * task its previous weight (or, never seen, the present tasks' mean) — its loss may return next step.
 */
function remembered(prev: number[] | null, present: readonly number[], w: ArrayLike<number>, T: number): number[] {
  const sub = Array.from(w);
  const mean = sub.reduce((a, b) => a + b, 0) / Math.max(sub.length, 1);
  const out = prev ? [...prev] : new Array<number>(T).fill(mean);
  present.forEach((t, k) => (out[t] = sub[k]));
  return out;
}

/** Weights to report [T]: 0 for the tasks absent from the batch. */
const reported = (w: readonly number[], present: readonly number[]): tf.Tensor1D => tf.keep(tf.tensor1d(expand(pick(w, present), present, w.length)));

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
  'heads-only': (parts, batch, { memory, recompute, base, draws }) => {
    const w = recompute ? new Array<number>(parts.built.taskNames.length).fill(1) : (memory.headWeights as number[]);
    const shown = recompute ? w : (memory.weights as number[]);
    const r = backward(parts, batch, draws, parts.heads.flat(), (losses) => tf.sum(tf.mul(tf.stack(losses), tf.tensor1d(w))) as tf.Scalar);
    return { ...r, weights: reported(shown, base.present), backwardPasses: 1, ...(recompute ? { remember: { weights: [...w], headWeights: [...w] } } : {}) };
  },

  reuse: (parts, batch, { memory, base, draws }) => {
    const r = weightedGrads(parts, batch, draws, memory.weights as number[], memory.headWeights as number[]);
    return { ...r, weights: reported(memory.weights as number[], base.present), backwardPasses: r.passes };
  },

  /** The gradient of strategy.combine(losses) + regularisation w.r.t. every trainable variable (the model's and the strategy's own). */
  losses: (parts, batch, { base, memory, draws }) => {
    const strategy = parts.strategy as LossStrategy;
    const T = base.taskNames.length;
    let sub: number[] = [];
    const vars = [...parts.shared, ...parts.heads.flat(), ...strategy.variables()];
    const r = backward(parts, batch, draws, vars, (losses) => {
      const update = strategy.combine({ ...base, losses: pick(losses, base.present) });
      sub = Array.from(update.weights.dataSync());
      return update.loss;
    });
    // The loss is Σ w_t L_t to first order, and a head only sees its own task: it gets w_t too.
    const w = remembered(memory.weights, base.present, sub, T);
    return { ...r, weights: tf.keep(tf.tensor1d(expand(sub, base.present, T))), backwardPasses: 1, remember: { weights: w, headWeights: [...w] } };
  },

  representation: (parts, batch, { base, memory, draws }) => {
    const strategy = parts.strategy as GradientStrategy;
    const { present, taskNames } = base;
    const T = taskNames.length;
    let solver: SolverStatus | undefined;
    const r = representationGrads(parts, batch, draws, (rows, losses) => {
      const u = strategy.combine({ ...base, losses: pick(losses, present), grads: tf.gather(rows, present) as tf.Tensor2D });
      solver = u.solver;
      return { ...u, weights: tf.tensor1d(expand(u.weights.dataSync(), present, T)), headWeights: tf.tensor1d(u.headWeights ? expand(u.headWeights.dataSync(), present, T, 1) : new Array<number>(T).fill(1)) };
    });
    const w = r.weights.dataSync();
    return { grads: r.grads, taskLosses: r.taskLosses, weights: r.weights, outputs: r.outputs, backwardPasses: 1, ...(solver ? { solver } : {}), remember: { weights: remembered(memory.weights, present, pick(Array.from(w), present), T), headWeights: r.headWeights } };
  },

  /**
   * One backward pass per task gives the T×d matrix of shared-parameter gradients; the strategy turns
   * it into one direction; each head gets its own task's gradient (times headWeights).
   */
  parameters: (parts, batch, { base, memory, draws }) => {
    const strategy = parts.strategy as GradientStrategy;
    const { present } = base;
    const T = parts.built.taskNames.length;
    const { rows, losses, headGrads, outputs } = sharedGradientRows(parts, batch, draws, present, true);
    const sharedRows = tf.stack(rows) as tf.Tensor2D;
    const update = strategy.combine({ ...base, losses: pick(losses, present), grads: sharedRows });
    const taskLosses = tf.keep(tf.stack(losses) as tf.Tensor1D);
    tf.dispose(losses); // kept out of each backward pass's scope; stacked above
    const grads: tf.NamedTensorMap = {};
    let offset = 0;
    for (const v of parts.shared) {
      grads[v.name] = update.direction.slice(offset, v.size).reshape(v.shape);
      offset += v.size;
    }
    const hw = update.headWeights ? expand(update.headWeights.dataSync(), present, T, 1) : new Array<number>(T).fill(1);
    headGrads.forEach((m, k) => {
      const h = hw[present[k]];
      for (const [name, g] of Object.entries(m)) grads[name] = h === 1 ? g : tf.mul(g, h);
    });
    addRegularisation(parts, grads);
    const sub = Array.from(update.weights.dataSync());
    const weights = tf.keep(tf.tensor1d(expand(sub, present, T)));
    return { grads, taskLosses, weights, outputs, backwardPasses: present.length, sharedRows, ...(update.solver ? { solver: update.solver } : {}), remember: { weights: remembered(memory.weights, present, sub, T), headWeights: hw } };
  },
};

function forward(parts: StepParts, batch: Batch, draws: StepDraws): tf.Tensor[] {
  draws.pass();
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
function backward(parts: StepParts, batch: Batch, draws: StepDraws, vars: tf.Variable[], objective: (losses: tf.Scalar[]) => tf.Scalar): { grads: tf.NamedTensorMap; taskLosses: tf.Tensor1D; outputs: tf.Tensor[] } {
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

function addRegularisation(parts: StepParts, grads: tf.NamedTensorMap): void {
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
function representationGrads(
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
function weightedGrads(parts: StepParts, batch: Batch, draws: StepDraws, w: number[], hw: number[]): { grads: tf.NamedTensorMap; taskLosses: tf.Tensor1D; outputs: tf.Tensor[]; passes: number } {
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
