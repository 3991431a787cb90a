// Auto-Lambda (Liu, James, Davison & Johns, "Auto-Lambda: Disentangling Dynamic Task Relationships",
// TMLR 2022): the task weights λ are learnt, as meta-parameters, to minimise the primary tasks' loss
// on validation data after one look-ahead training step. Bilevel problem (eq. 1):
//   min_λ L_val(θ*(λ); P)  s.t.  θ*(λ) = argmin_θ Σ_{k∈K} λ_k L_k(θ; train),
// approximated with one SGD step θ' = θ − α∇_θ Σ_k λ_k L_k(θ) (eq. 2–3), α the model's learning rate:
//   ∇_λ L_val(θ') = −α ∇²_{λ,θ} L_train(θ, λ) · v,  v = ∇_θ' L_val(θ'; P),
// and, since ∂L_train/∂λ_k = L_k(θ), the mixed second derivative by a central difference (eq. 4):
//   ∂L_val(θ')/∂λ_k ≈ −α (L_k(θ + εv) − L_k(θ − εv)) / 2ε,  ε = 0.01/‖v‖.
// The trainer supplies the model passes (LookaheadOracle); this file only does the arithmetic.
// Paper: https://arxiv.org/abs/2202.03091
import * as tf from '@tensorflow/tfjs';
import { configError } from '../errors';
import { int, list, num, oneOf, opts, str } from '../util/options';
import { field, numArray } from './gradient-common';
import { expand, pick } from './present';
import { strategy, type Json, type LookaheadOracle, type LossStrategy, type StrategyDescriptor } from './strategy';

export interface AutoLambdaOptions {
  lr: number;
  primary: string[];
  every: number;
  optimizer: 'sgd' | 'adam';
  initial: number;
}

/** Adam's constants for λ (Kingma & Ba 2015 defaults). */
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;

/**
 * The hypergradient ∂L_val(θ')/∂λ_k of the present tasks (eq. 2–4 above), from the oracle's passes:
 * one training gradient, one validation gradient at θ', two training forward passes at θ ± εv.
 * Returns zeros (and ‖v‖ = 0) when the validation loss has no gradient at θ'.
 */
export function hypergradient(oracle: LookaheadOracle, lambda: readonly number[], primary: readonly number[], present: readonly number[]): { grad: number[]; valLoss: number; vNorm: number } {
  const alpha = oracle.learningRate;
  return tf.tidy(() => {
    const g = oracle.trainGradient(expand(pick(lambda, present), present, lambda.length));
    const { grads: v, losses } = oracle.validationGradient(primary, g.map((x) => tf.mul(x, -alpha)));
    const valLoss = losses.reduce((s, l, t) => s + primary[t] * l, 0);
    const vNorm = Math.sqrt(tf.addN(v.map((x) => tf.sum(tf.square(x)))).dataSync()[0]);
    if (!(vNorm > 0) || !Number.isFinite(vNorm)) return { grad: new Array<number>(lambda.length).fill(0), valLoss, vNorm: 0 };
    const eps = 0.01 / vNorm;
    const plus = oracle.trainLosses(v.map((x) => tf.mul(x, eps)));
    const minus = oracle.trainLosses(v.map((x) => tf.mul(x, -eps)));
    const grad = lambda.map((_, k) => (present.includes(k) ? (-alpha * (plus[k] - minus[k])) / (2 * eps) : 0));
    return { grad, valLoss, vNorm };
  });
}

/** Resolves `primary` (task names; empty: every task) to a 0/1 mask, or a spec error naming the unknown task. */
function primaryMask(names: readonly string[], primary: readonly string[]): number[] {
  const unknown = primary.filter((p) => !names.includes(p));
  if (unknown.length) {
    throw configError([{ where: { path: 'weighting.primary' }, message: `unknown task "${unknown[0]}" in the primary tasks`, received: unknown[0], allowed: names.join(', ') }]);
  }
  return names.map((t) => (primary.length === 0 || primary.includes(t) ? 1 : 0));
}

export const autoLambdaWeighting: StrategyDescriptor = strategy({
  type: 'auto-lambda',
  description: 'Auto-Lambda (Liu et al. 2022): task weights learnt by a one-step look-ahead on validation batches (needs train.validation)',
  options: opts({
    lr: num({ exclusiveMinimum: 0, default: 1e-4, description: 'Learning rate of the task weights λ (the meta step)' }),
    primary: list(str({ description: 'A task name' }), { default: [], description: 'Tasks whose validation loss λ is learnt to lower (empty: every task — multi-task learning; a subset: the others are auxiliary)' }),
    every: int({ minimum: 1, default: 1, description: 'Update λ every this many steps (each update costs about three extra passes and reads one validation batch)' }),
    optimizer: oneOf(['adam', 'sgd'], { default: 'adam', description: 'How λ follows its hypergradient: Adam (as the paper) or plain gradient descent' }),
    initial: num({ minimum: 0, default: 1, description: 'Initial weight λ of every task' }),
  }),
  create(config, ctx): LossStrategy {
    const o: AutoLambdaOptions = config;
    const T = ctx.taskNames.length;
    const primary = primaryMask(ctx.taskNames, o.primary);
    let lambda = new Array<number>(T).fill(o.initial);
    let m = new Array<number>(T).fill(0);
    let v = new Array<number>(T).fill(0);
    let t = new Array<number>(T).fill(0);
    return {
      needs: 'losses',
      lookahead: {
        every: o.every,
        update(oracle, { present }) {
          const { grad } = hypergradient(oracle, lambda, primary, present);
          // Only the present tasks' λ (and Adam moments) move: an absent task has no loss to weigh.
          for (const k of present) {
            // A NaN/Inf hypergradient (a diverging look-ahead) leaves λ as it was; the step's own check reports it.
            if (!Number.isFinite(grad[k])) continue;
            if (o.optimizer === 'sgd') lambda[k] -= o.lr * grad[k];
            else {
              t[k]++;
              m[k] = BETA1 * m[k] + (1 - BETA1) * grad[k];
              v[k] = BETA2 * v[k] + (1 - BETA2) * grad[k] * grad[k];
              const mh = m[k] / (1 - BETA1 ** t[k]);
              const vh = v[k] / (1 - BETA2 ** t[k]);
              lambda[k] -= (o.lr * mh) / (Math.sqrt(vh) + EPS);
            }
            // A negative weight would reward a task's loss: λ stays ≥ 0.
            lambda[k] = Math.max(lambda[k], 0);
          }
          return grad;
        },
      },
      combine({ losses, present }) {
        const w = tf.tensor1d(pick(lambda, present));
        return { loss: tf.sum(tf.mul(tf.stack(losses as tf.Scalar[]), w)) as tf.Scalar, weights: w };
      },
      variables: () => [],
      weights: () => Object.fromEntries(ctx.taskNames.map((n, i) => [n, lambda[i]])),
      // Copies: the epoch record keeps this state while the arrays go on moving.
      state: () => ({ lambda: [...lambda], m: [...m], v: [...v], t: [...t] }),
      restore(s: Json) {
        const get = (k: string) => numArray(field(s, k));
        const [l, mm, vv, tt] = ['lambda', 'm', 'v', 't'].map(get);
        if (l?.length === T) lambda = [...l];
        if (mm?.length === T) m = [...mm];
        if (vv?.length === T) v = [...vv];
        if (tt?.length === T) t = [...tt];
      },
      dispose() {},
    };
  },
});
