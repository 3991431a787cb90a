// Owns how train.paramGroups act on a step. A learning-rate multiplier m scales the optimizer's
// update of those variables: θ ← θ_before + m·(θ_after − θ_before). Every optimizer here moves θ by
// lr × (a function of the gradient history that does not depend on lr), so this is exactly a learning
// rate of m·lr — also for Adam, where scaling the *gradient* by m would change nothing (Adam is
// invariant to the gradient's scale). One optimizer keeps one set of slots, so checkpoints are unchanged.
import * as tf from '@tensorflow/tfjs';
import { resolveParamGroups, type ParamGroupRules } from '../model/param-groups';
import type { BuiltModel } from '../model/build';
import type { OptimizerHandle } from '../optim/optimizers';
import type { ResolvedSpec } from '../spec/types';

export interface ParamGroupPlan {
  rules: ParamGroupRules;
  /** How a group's weight decay is applied: the optimizer's way (decoupled for adamw, else coupled L2). */
  decayMode: 'coupled' | 'decoupled';
}

/** The plan for a validated spec (optimizerType: a stage's optimizer), or undefined when it declares no groups (the step then runs as before). */
export function paramGroupPlan(r: ResolvedSpec, built: BuiltModel, opt: OptimizerHandle, optimizerType = r.train.optimizer.type): ParamGroupPlan | undefined {
  if (!r.train.paramGroups?.length) return undefined;
  const { rules } = resolveParamGroups(r, built);
  // An optimizer with decay 0 reports mode 'none'; a group's own decay still follows the optimizer's kind.
  const decayMode = opt.weightDecay.mode !== 'none' ? opt.weightDecay.mode : optimizerType === 'adamw' ? 'decoupled' : 'coupled';
  return { rules, decayMode };
}

type Snapshot = [tf.Variable, tf.Tensor, number][];

/** Copies of the variables whose multiplier is not 1, taken before the optimizer moves them. */
export function snapshotScaled(plan: ParamGroupPlan, vars: readonly tf.Variable[]): Snapshot {
  const out: Snapshot = [];
  for (const v of vars) {
    const m = plan.rules.get(v.name)?.lrMultiplier ?? 1;
    if (m !== 1) out.push([v, tf.clone(v), m]);
  }
  return out;
}

/** θ ← θ_before + m·(θ − θ_before) for each snapshot (inside the step's tidy: the copies go with it). */
export function scaleUpdates(before: Snapshot): void {
  for (const [v, old, m] of before) v.assign(tf.add(old, tf.mul(tf.sub(v, old), m)));
}
