// Owns the aggregator API: combine a plain-number Jacobian (one row per task) into the direction a
// weighting method would apply to the shared parameters on the trainer's first step — by running the
// registered strategy itself, so the library call and the trainer share one implementation.
import type { ErrorObject } from 'ajv';
import * as tf from '@tensorflow/tfjs';
import { configError, dataError, type Problem } from '../errors';
import { checkOptions } from '../registry';
import { didYouMean } from '../util/suggest';
import { strategies } from './index';
import { allTasks } from './present';
import type { GradientContext, LossStepContext, StrategyDescriptor } from './strategy';

export type AggregateOptions = Record<string, unknown> & { losses?: number[]; seed?: number };
export interface AggregateResult {
  direction: number[];
  weights?: number[];
}

function optionProblem(d: StrategyDescriptor, e: ErrorObject): Problem {
  const props = Object.keys((d.schema.properties as object | undefined) ?? {});
  const key = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (e.keyword === 'additionalProperties') {
    const extra = String((e.params as { additionalProperty: string }).additionalProperty);
    return {
      where: { path: `options.${extra}` },
      message: `unknown option "${extra}" of weighting method "${d.type}"`,
      allowed: props.length ? [...props, 'losses', 'seed'].join(', ') : 'losses, seed',
      hint: didYouMean(extra, props),
    };
  }
  const schema = (e.parentSchema ?? {}) as { enum?: unknown[]; minimum?: number; maximum?: number; exclusiveMinimum?: number; type?: unknown };
  const range = [
    schema.minimum !== undefined ? `≥ ${schema.minimum}` : schema.exclusiveMinimum !== undefined ? `> ${schema.exclusiveMinimum}` : '',
    schema.maximum !== undefined ? `≤ ${schema.maximum}` : '',
  ].filter(Boolean);
  const allowed = schema.enum ? schema.enum.map((v) => JSON.stringify(v)).join(', ') : [String(schema.type ?? 'a valid value'), ...range].join(' ');
  return { where: { path: `options${key ? '.' + key : ''}` }, message: `invalid option of weighting method "${d.type}": ${e.message ?? 'invalid'}`, received: e.data, allowed };
}

function checkedOptions(d: StrategyDescriptor, options: Record<string, unknown>): Record<string, unknown> {
  const { value: config, errors } = checkOptions(d.schema, options);
  if (errors.length) throw configError(errors.map((e) => optionProblem(d, { ...e, data: e.data ?? config })));
  return config;
}

/**
 * The call is synchronous, but the highest-priority backend (wasm) initialises asynchronously: when no
 * backend is active yet, use cpu, whose initialisation completes synchronously inside setBackend.
 */
function ensureBackend(): void {
  if (!(tf.engine() as unknown as { backendName: string | null }).backendName) void tf.setBackend('cpu');
}

function checkedJacobian(jacobian: unknown): number[][] {
  const bad = (message: string, received?: unknown): never => {
    throw dataError([{ where: { path: 'jacobian' }, message, received, allowed: 'a non-empty T×d array of finite numbers (one row per task, all rows the same length)' }]);
  };
  if (!Array.isArray(jacobian) || jacobian.length === 0) bad('the jacobian must be a non-empty array of rows', jacobian);
  const rows = jacobian as unknown[];
  const d = Array.isArray(rows[0]) ? (rows[0] as unknown[]).length : -1;
  rows.forEach((r, t) => {
    if (!Array.isArray(r) || r.length !== d || d === 0) bad(`row ${t} is not a list of ${d > 0 ? d : 'some'} numbers`, r);
    (r as unknown[]).forEach((x, j) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) bad(`jacobian[${t}][${j}] is not a finite number`, x);
    });
  });
  return rows as number[][];
}

/**
 * The combined direction of `method` for the task gradients `jacobian` (T×d), exactly as the trainer
 * applies it to the shared parameters on its first step (step 0, epoch 1, no loss history): the
 * optimizer descends along it, so it is a gradient, not a negated step. Loss-based methods are
 * included: their direction is Σ_t (∂L/∂L_t)·g_t, the chain rule the trainer's backward pass applies.
 * `options.losses` are the per-task losses (default 1 each); `options.seed` drives stochastic methods.
 */
export function aggregate(method: string, jacobian: number[][], options: AggregateOptions = {}): AggregateResult {
  ensureBackend();
  const d = strategies.get(method);
  const { losses: lossOpt, seed: seedOpt, ...rest } = options;
  const J = checkedJacobian(jacobian);
  const T = J.length;
  const losses = lossOpt ?? new Array<number>(T).fill(1);
  if (!Array.isArray(losses) || losses.length !== T || !losses.every((l) => typeof l === 'number' && Number.isFinite(l))) {
    throw configError([{ where: { path: 'options.losses' }, message: `losses must be ${T} finite numbers, one per row of the jacobian`, received: losses, allowed: `an array of ${T} numbers` }]);
  }
  const seed = seedOpt ?? 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0) {
    throw configError([{ where: { path: 'options.seed' }, message: 'seed must be a non-negative integer', received: seed, allowed: '0, 1, 2, …' }]);
  }
  const config = checkedOptions(d, rest);
  const taskNames = J.map((_, t) => `task${t}`);
  const strategy = d.create({ method, ...config }, { taskNames, taskWeights: new Array<number>(T).fill(1), seed });
  try {
    return tf.tidy(() => {
      const G = tf.tensor2d(J);
      const base: Omit<LossStepContext, 'losses'> = { taskNames, present: allTasks(T), step: 0, epoch: 1, epochLosses: [] };
      if (strategy.needs === 'task-gradients') {
        const ctx: GradientContext = { ...base, losses: losses.map((l) => tf.scalar(l)), grads: G };
        const u = strategy.combine(ctx);
        return { direction: Array.from(u.direction.dataSync()), weights: Array.from(u.weights.dataSync()) };
      }
      // The weights reported are the effective coefficients ∂L/∂L_t of each task gradient.
      const dL = tf.grad((lv: tf.Tensor) => strategy.combine({ ...base, losses: tf.unstack(lv) as tf.Scalar[] }).loss)(tf.tensor1d(losses));
      const direction = tf.matMul(dL.reshape([1, T]), G).reshape([-1]);
      return { direction: Array.from(direction.dataSync()), weights: Array.from(dL.dataSync()) };
    });
  } finally {
    strategy.dispose();
  }
}
