// Owns one optimisation step of a multi-task model as a straight line: choose the gradient path
// (grad-paths.ts), get its record, then one shared tail — weight decay, clipping, a fixed gradient
// order and the optimizer update. Also the factory for the parts a step needs.
// tfjs-layers' compile()/fit() has no per-output loss weights and no gradient surgery, hence this.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batching';
import type { LossFn } from '../losses/types';
import { stepVariables, type BuiltModel } from '../model/build';
import { splitModel, type SplitModel } from '../model/split';
import type { OptimizerHandle } from '../optim/optimizers';
import { scaleUpdates, snapshotScaled, type ParamGroupPlan } from './param-groups';
import { gradientStats, type StepDiagnostics } from '../weighting/diagnostics';
import type { GradSpace } from '../weighting/options';
import type { WeightingStrategy } from '../weighting/strategy';
import { choosePath, gradPaths, sharedGradientRows, type GradRecord } from './grad-paths';

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
  /** train.paramGroups resolved: per-variable learning-rate multipliers and weight decay (none: all 1 and the optimizer's). */
  paramGroups?: ParamGroupPlan;
  /** The model's split into backbone and heads, or why there is none: resolved once, on first need. */
  split?: SplitModel | string;
}

/** What makeStepParts takes besides the model, losses, strategy and optimizer. */
export type StepOptions = Partial<Pick<StepParts, 'clipNorm' | 'gradSpace' | 'updateEvery' | 'memory' | 'gradOrder' | 'paramGroups'>>;

/** The parts of a step: the model's variables partitioned, and its split resolved when a path will need it. */
export function makeStepParts(built: BuiltModel, lossFns: LossFn[], strategy: WeightingStrategy, opt: OptimizerHandle, options: StepOptions = {}): StepParts {
  // The representation path and the cheap reuse steps go through the split; other paths never do.
  const needsSplit = options.gradSpace === 'representation' || (options.updateEvery ?? 1) > 1;
  return { built, lossFns, strategy, opt, clipNorm: null, ...stepVariables(built), ...options, ...(needsSplit ? { split: splitModel(built) } : {}) };
}

/** After a change of what is trainable (a pretrained backbone unfrozen): the variables the step differentiates. */
export function refreshStepVariables(parts: StepParts): void {
  Object.assign(parts, stepVariables(parts.built));
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
  /** Check losses and gradients for NaN/Inf first and skip the update when one is (train.onNonFinite). */
  checkFinite?: boolean;
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
  /** False when state.checkFinite found a NaN/Inf loss or gradient: the update was not applied. */
  finite?: boolean;
}

export function disposeStepResult(r: StepResult): void {
  tf.dispose([r.taskLosses, r.weights, ...r.outputs]);
}

/**
 * One step: the path's record (see grad-paths.ts), per-task gradient diagnostics when asked, then the
 * update. Between recomputations (updateEvery > 1) the path reuses the last weights on a cheap step.
 */
export function trainStep(parts: StepParts, batch: Batch, state: StepState): StepResult {
  const memory = (parts.memory ??= { weights: null, headWeights: null });
  const every = parts.updateEvery ?? 1;
  const recompute = every <= 1 || memory.weights === null || memory.headWeights === null || state.step % every === 0;
  const base = { taskNames: parts.built.taskNames, step: state.step, epoch: state.epoch, epochLosses: state.epochLosses };
  const path = choosePath(parts, recompute);
  let result: StepResult | undefined;
  tf.tidy(() => {
    const rec = gradPaths[path](parts, batch, { base, memory, recompute });
    if (rec.remember) Object.assign(memory, rec.remember);
    const diagnosed = state.diagnose ? diagnose(parts, batch, rec, state.diagnose.cosine) : undefined;
    const finite = !state.checkFinite || allFinite([rec.taskLosses, ...Object.values(rec.grads)]);
    if (finite) applyUpdate(parts, rec.grads, state.learningRate);
    // taskLosses, weights and outputs were kept by the path; everything else goes with the scope.
    result = {
      taskLosses: rec.taskLosses,
      weights: rec.weights,
      outputs: rec.outputs,
      backwardPasses: rec.backwardPasses + (diagnosed?.passes ?? 0),
      recomputed: recompute,
      ...(diagnosed ? { diagnostics: diagnosed.stats } : {}),
      ...(state.checkFinite ? { finite } : {}),
    };
  });
  return result as StepResult;
}

/** Whether every element of every tensor is finite: x·0 is 0 for finite x and NaN for NaN/±Inf (one read-back). */
function allFinite(ts: tf.Tensor[]): boolean {
  return Number.isFinite(tf.addN(ts.map((t) => tf.sum(tf.mul(t, 0)))).dataSync()[0]);
}

/**
 * Cosines are defined over the shared parameters whatever the gradient path; reuse the matrix when the
 * path already built it, else pay T extra backward passes (every N steps only).
 */
function diagnose(parts: StepParts, batch: Batch, rec: GradRecord, cosine: boolean): { stats: StepDiagnostics; passes: number } {
  if (rec.sharedRows) return { stats: gradientStats(rec.sharedRows, cosine), passes: 0 };
  const m = tf.stack(sharedGradientRows(parts, batch, false).rows) as tf.Tensor2D;
  return { stats: gradientStats(m, cosine), passes: parts.built.taskNames.length };
}

/** The shared tail: coupled decay, clipping, the optimizer update in a fixed order (scaled per parameter group), decoupled decay. */
function applyUpdate(parts: StepParts, grads: tf.NamedTensorMap, learningRate: number): void {
  const { opt, paramGroups } = parts;
  const modelVars = [...parts.shared, ...parts.heads.flat()];
  const mode = paramGroups?.decayMode ?? opt.weightDecay.mode;
  const decay = (v: tf.Variable) => paramGroups?.rules.get(v.name)?.weightDecay ?? opt.weightDecay.rate;
  if (mode === 'coupled') {
    // Strategy variables (e.g. log-variances) are not model weights: they are not decayed.
    for (const v of modelVars) if (grads[v.name] && decay(v) > 0) grads[v.name] = tf.add(grads[v.name], tf.mul(v, decay(v)));
  }
  const clipped = parts.clipNorm !== null ? clipByGlobalNorm(grads, parts.clipNorm) : grads;
  opt.setLearningRate(learningRate);
  const before = paramGroups ? snapshotScaled(paramGroups, modelVars) : [];
  opt.optimizer.applyGradients(stableOrder(parts, clipped, [...modelVars, ...parts.strategy.variables()]));
  scaleUpdates(before);
  if (mode === 'decoupled') {
    for (const v of modelVars) {
      const factor = 1 - learningRate * (paramGroups?.rules.get(v.name)?.lrMultiplier ?? 1) * decay(v);
      if (factor !== 1) v.assign(tf.mul(v, factor));
    }
  }
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
