// Owns one optimisation step of a multi-task model: forward, per-task losses, the weighting
// strategy's combination, regularisation, clipping, weight decay, one optimizer update.
// tfjs-layers' compile()/fit() has no per-output loss weights and no gradient surgery, hence this.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batching';
import { configError } from '../errors';
import type { LossFn } from '../losses/types';
import type { BuiltModel } from '../model/build';
import { splitModel, type SplitModel } from '../model/split';
import type { OptimizerHandle } from '../optim/optimizers';
import { gradientStats, type StepDiagnostics } from '../weighting/diagnostics';
import type { GradSpace } from '../weighting/options';
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
  /** weighting.gradSpace (default parameters): where gradient strategies take per-task gradients. */
  gradSpace?: GradSpace;
  /** weighting.updateEvery (default 1): recompute the combination every k steps. */
  updateEvery?: number;
  /** The weights reused between recomputations; the loop checkpoints it. Created on the first step. */
  memory?: StepMemory;
  /** Variable names in the order the optimizer first saw them (see stableOrder); checkpointed. */
  gradOrder?: string[];
}

export interface StepMemory {
  /** Shared-part weights of the last recomputation: the cheap step follows Σ_t w_t ∇L_t. */
  weights: number[] | null;
  /** Head multipliers of the last recomputation. */
  headWeights: number[] | null;
}

export interface StepState {
  step: number;
  epoch: number;
  learningRate: number;
  epochLosses: readonly (readonly number[])[];
  /** Record per-task gradient norms (and cosines) over the shared parameters at this step. */
  diagnose?: { cosine: boolean };
}

/** Tensors the caller owns and must dispose (see disposeStepResult). */
export interface StepResult {
  /** Per-task mean loss of this batch [T]. */
  taskLosses: tf.Tensor1D;
  /** Effective task weights reported by the strategy [T]. */
  weights: tf.Tensor1D;
  /** Task outputs of the training forward pass, in task order (for training metrics). */
  outputs: tf.Tensor[];
  /** Backward passes through the model this step took (diagnostics included). */
  backwardPasses: number;
  /** False on the cheap steps between recomputations (updateEvery > 1). */
  recomputed: boolean;
  /** Present when state.diagnose asked for it. */
  diagnostics?: StepDiagnostics;
}

export function disposeStepResult(r: StepResult): void {
  tf.dispose([r.taskLosses, r.weights, ...r.outputs]);
}

/**
 * Mean of per-sample [b] or per-token [b, steps] losses over what is labelled (mask 1), or over
 * everything without a mask: a token-level task's loss is the mean over its non-padded tokens. A
 * per-row mask [b] against per-token losses drops whole rows; a per-token mask against per-sample
 * losses (a sequence-level loss such as a CRF likelihood) keeps the rows with any labelled token.
 */
export function maskedMean(losses: tf.Tensor, mask?: tf.Tensor): tf.Scalar {
  if (!mask) return tf.mean(losses);
  let m = mask;
  const rows = mask.shape[0];
  if (m.rank > losses.rank) m = tf.max(tf.reshape(m, [rows, -1]), 1);
  else if (m.rank < losses.rank) m = tf.mul(tf.onesLike(losses), tf.reshape(m, [rows, ...new Array<number>(losses.rank - 1).fill(1)]));
  return tf.div(tf.sum(tf.mul(losses, m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
}

function forward(built: BuiltModel, batch: Batch): tf.Tensor[] {
  const xs = built.inputNames.map((n) => batch.inputs[n]);
  const out = built.model.apply(xs.length === 1 ? xs[0] : xs, { training: true });
  return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
}

function taskLosses(parts: StepParts, batch: Batch, outputs: tf.Tensor[]): tf.Scalar[] {
  return parts.built.taskNames.map((t, i) => maskedMean(parts.lossFns[i](batch.targets[t], outputs[i], { mask: batch.masks[t], model: parts.built.model }), batch.masks[t]));
}

function regularisation(model: tf.LayersModel): tf.Scalar | null {
  const losses = model.calculateLosses();
  return losses.length ? (tf.addN(losses) as tf.Scalar) : null;
}

/**
 * One step. Loss strategies: the gradient of strategy.combine(losses) + regularisation w.r.t. every
 * trainable variable (the model's and the strategy's own): one backward pass. Gradient strategies in
 * gradSpace 'parameters': one backward pass per task gives the T×d matrix of shared-parameter
 * gradients; the strategy turns it into one direction; each head gets its own task's gradient (times
 * headWeights). In gradSpace 'representation': see representationGrads (one backward pass). Between
 * recomputations (updateEvery > 1) the last weights are reused on a cheap weighted step.
 */
export function trainStep(parts: StepParts, batch: Batch, state: StepState): StepResult {
  const { built, strategy, opt } = parts;
  const T = built.taskNames.length;
  const ctxBase = { taskNames: built.taskNames, step: state.step, epoch: state.epoch, epochLosses: state.epochLosses };
  const mem = (parts.memory ??= { weights: null, headWeights: null });
  const every = parts.updateEvery ?? 1;
  const recompute = every <= 1 || mem.weights === null || mem.headWeights === null || state.step % every === 0;
  let kept: Omit<StepResult, 'backwardPasses' | 'recomputed'> | undefined;
  let passes = 0;
  let diagnostics: StepDiagnostics | undefined;

  tf.tidy(() => {
    let grads: tf.NamedTensorMap;
    let sharedMatrix: tf.Tensor2D | undefined;
    if (parts.shared.length === 0 && (strategy.needs !== 'losses' || !recompute)) {
      // Nothing is shared (soft sharing: one backbone copy per task): there is no shared gradient to
      // balance (d = 0), so head t follows w_t ∇L_t with the reused weights between recomputations and
      // w = 1 otherwise; a gradient strategy is not consulted. (The representation split would start
      // at a model input here, where no gradient flows, so weightedGrads is not used.)
      const w = recompute ? new Array<number>(T).fill(1) : (mem.headWeights as number[]);
      const reported = recompute ? w : (mem.weights as number[]);
      grads = tf.variableGrads(() => {
        const outputs = forward(built, batch);
        const losses = taskLosses(parts, batch, outputs);
        kept = { taskLosses: tf.keep(tf.stack(losses) as tf.Tensor1D), weights: tf.keep(tf.tensor1d(reported)), outputs: outputs.map((o) => tf.keep(o)) };
        const reg = regularisation(built.model);
        const total = tf.sum(tf.mul(tf.stack(losses), tf.tensor1d(w))) as tf.Scalar;
        return reg ? tf.add(total, reg) : total;
      }, parts.heads.flat()).grads;
      passes = 1;
      if (recompute) {
        mem.weights = [...w];
        mem.headWeights = [...w];
      }
    } else if (!recompute) {
      const r = weightedGrads(parts, batch, mem.weights as number[], mem.headWeights as number[]);
      grads = r.grads;
      kept = { taskLosses: r.taskLosses, weights: tf.keep(tf.tensor1d(mem.weights as number[])), outputs: r.outputs };
      passes = 1;
    } else if (strategy.needs === 'losses') {
      const vars = [...parts.shared, ...parts.heads.flat(), ...strategy.variables()];
      grads = tf.variableGrads(() => {
        const outputs = forward(built, batch);
        const losses = taskLosses(parts, batch, outputs);
        const update = strategy.combine({ ...ctxBase, losses });
        kept = { taskLosses: tf.keep(tf.stack(losses) as tf.Tensor1D), weights: tf.keep(update.weights), outputs: outputs.map((o) => tf.keep(o)) };
        const reg = regularisation(built.model);
        return reg ? tf.add(update.loss, reg) : update.loss;
      }, vars).grads;
      passes = 1;
      // The loss is Σ w_t L_t to first order, and a head only sees its own task: it gets w_t too.
      mem.weights = Array.from(kept!.weights.dataSync());
      mem.headWeights = [...mem.weights];
    } else if ((parts.gradSpace ?? 'parameters') === 'representation') {
      const r = representationGrads(parts, batch, (rows, losses) => strategy.combine({ ...ctxBase, losses, grads: rows }));
      grads = r.grads;
      kept = { taskLosses: r.taskLosses, weights: r.weights, outputs: r.outputs };
      mem.weights = Array.from(r.weights.dataSync());
      mem.headWeights = r.headWeights;
      passes = 1;
    } else {
      const { rows, losses, headGrads, outputs } = sharedGradientRows(parts, batch, true);
      sharedMatrix = tf.stack(rows) as tf.Tensor2D;
      const update = strategy.combine({ ...ctxBase, losses, grads: sharedMatrix });
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
      addRegularisation(parts, grads);
      passes = T;
      mem.weights = Array.from(update.weights.dataSync());
      mem.headWeights = hw;
    }

    if (state.diagnose) {
      // Cosines are defined over the shared parameters whatever the gradient space; reuse the matrix
      // when this step already built it, else pay T extra backward passes (every N steps only).
      let m = sharedMatrix;
      if (!m) {
        const r = sharedGradientRows(parts, batch, false);
        m = tf.stack(r.rows) as tf.Tensor2D;
        passes += T;
      }
      diagnostics = gradientStats(m, state.diagnose.cosine);
    }

    const modelVars = [...parts.shared, ...parts.heads.flat()];
    if (opt.weightDecay.mode === 'coupled') {
      // Strategy variables (e.g. log-variances) are not model weights: they are not decayed.
      for (const v of modelVars) if (grads[v.name]) grads[v.name] = tf.add(grads[v.name], tf.mul(v, opt.weightDecay.rate));
    }
    if (parts.clipNorm !== null) grads = clipByGlobalNorm(grads, parts.clipNorm);
    opt.setLearningRate(state.learningRate);
    opt.optimizer.applyGradients(stableOrder(parts, grads, [...modelVars, ...strategy.variables()]));
    if (opt.weightDecay.mode === 'decoupled') {
      const factor = 1 - state.learningRate * opt.weightDecay.rate;
      for (const v of modelVars) v.assign(tf.mul(v, factor));
    }
  });
  if (!kept) throw new Error('train step produced no result');
  return { ...kept, backwardPasses: passes, recomputed: recompute, ...(diagnostics ? { diagnostics } : {}) };
}

function addRegularisation(parts: StepParts, grads: tf.NamedTensorMap): void {
  if (!parts.built.model.calculateLosses().length) return;
  const reg = tf.variableGrads(() => regularisation(parts.built.model) as tf.Scalar, [...parts.shared, ...parts.heads.flat()]).grads;
  for (const [name, g] of Object.entries(reg)) if (g) grads[name] = grads[name] ? tf.add(grads[name], g) : g;
}

/** One backward pass per task over the shared parameters and that task's head. */
function sharedGradientRows(parts: StepParts, batch: Batch, keepResults: boolean): { rows: tf.Tensor1D[]; losses: tf.Scalar[]; headGrads: tf.NamedTensorMap[]; outputs: tf.Tensor[] } {
  const T = parts.built.taskNames.length;
  const rows: tf.Tensor1D[] = [];
  const losses: tf.Scalar[] = [];
  const headGrads: tf.NamedTensorMap[] = [];
  let outputs: tf.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const g = tf.variableGrads(() => {
      const outs = forward(parts.built, batch);
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

function requireSplit(built: BuiltModel): SplitModel {
  const s = splitModel(built);
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
  const split = requireSplit(built);
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
  const split = splitModel(parts.built);
  if (typeof split !== 'string') {
    const r = representationGrads(parts, batch, (rows) => ({
      direction: tf.reshape(tf.matMul(tf.tensor2d(w, [1, T]), rows), [-1]) as tf.Tensor1D,
      weights: tf.tensor1d(w),
      headWeights: tf.tensor1d(hw),
    }));
    r.weights.dispose();
    return { grads: r.grads, taskLosses: r.taskLosses, outputs: r.outputs };
  }
  let taskLossesT: tf.Tensor1D | undefined;
  let outputs: tf.Tensor[] = [];
  const { grads } = tf.variableGrads(() => {
    const outs = forward(parts.built, batch);
    const ls = taskLosses(parts, batch, outs);
    taskLossesT = tf.keep(tf.stack(ls) as tf.Tensor1D);
    outputs = outs.map((o) => tf.keep(o));
    const reg = regularisation(parts.built.model);
    const total = tf.sum(tf.mul(tf.stack(ls), tf.tensor1d(w))) as tf.Scalar;
    return reg ? tf.add(total, reg) : total;
  }, [...parts.shared, ...parts.heads.flat()]);
  // Without a split, head t received w_t ∇L_t; rescale it to hw_t ∇L_t.
  parts.heads.forEach((vars, t) => {
    const f = w[t] > 1e-12 ? hw[t] / w[t] : 0;
    if (f !== 1) for (const v of vars) if (grads[v.name]) grads[v.name] = tf.mul(grads[v.name], f);
  });
  return { grads, taskLosses: taskLossesT as tf.Tensor1D, outputs };
}

/**
 * The gradient map in one fixed order: tfjs optimizers (Adam, RMSProp, …) key their slots by position
 * in the map, whichever path produced the gradients. parts.gradOrder remembers the first-seen order
 * (shared, heads, strategy variables); names seen later (a backbone unfrozen mid-run) go to the end,
 * and a known variable without a gradient this step gets zeros when a later one has a gradient.
 */
export function stableOrder(parts: StepParts, grads: tf.NamedTensorMap, vars: readonly tf.Variable[] = []): tf.NamedTensorMap {
  const order = (parts.gradOrder ??= []);
  const known = new Set(order);
  for (const name of [...vars.map((v) => v.name), ...Object.keys(grads)]) {
    if (grads[name] && !known.has(name)) {
      order.push(name);
      known.add(name);
    }
  }
  // Missing gradients at the end of the order can simply be left out (no later slot shifts), so those
  // variables are not moved at all — e.g. uw's log-variances on updateEvery's cheap steps.
  let last = -1;
  order.forEach((name, i) => {
    if (grads[name]) last = i;
  });
  const out: tf.NamedTensorMap = {};
  for (const name of order.slice(0, last + 1)) {
    const g = grads[name];
    if (g) out[name] = g;
    else {
      const v = tf.engine().registeredVariables[name];
      if (v) out[name] = tf.zerosLike(v);
    }
  }
  return out;
}

/** Scale every gradient by min(1, maxNorm / ‖g‖₂) where ‖g‖ is the norm of all gradients together. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  const entries = Object.entries(grads);
  if (!entries.length) return grads;
  const norm = tf.sqrt(tf.addN(entries.map(([, g]) => tf.sum(tf.square(g)))));
  const scale = tf.minimum(1, tf.div(maxNorm, tf.maximum(norm, 1e-12)));
  return Object.fromEntries(entries.map(([n, g]) => [n, tf.mul(g, scale)]));
}
