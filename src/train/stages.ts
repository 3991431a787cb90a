// Owns training in stages (docs/training-control.md#stages) at run time. The stage is a function of the
// epoch, so a resumed run is inside the stage the uninterrupted run would be: setup creates the
// weighting strategy, optimizer and schedule of the stage the checkpoint was written in (then restores
// their state), and enterStage switches at each stage boundary exactly as the uninterrupted run does.
// Frozen variables and the heads of inactive tasks leave the step's variable lists: no gradient, no
// weight decay, and the optimizer is handed a null gradient for them, so their values and slots stay
// bit-unchanged (tfjs optimizers skip a null gradient).
// At a boundary: a stage whose optimizer config differs from the previous one starts a fresh optimizer
// (empty slots); one that changes only learningRate keeps the optimizer and its state; a stage whose
// weighting differs starts a fresh strategy (its state, e.g. DWA's history, starts over) — and a fresh
// optimizer too when either strategy has variables of its own (uw, gradnorm).
import type { TaskRuntime } from '../eval/evaluate';
import type { BuiltModel } from '../model/build';
import { splitModel } from '../model/split';
import { inferenceWhenFrozen, type StageVariables } from '../model/stages';
import { optimizers, type OptimizerHandle } from '../optim/optimizers';
import { schedules } from '../optim/schedules';
import type { ComponentConfig, ResolvedSpec } from '../spec/types';
import { strategies } from '../weighting/index';
import { diagnosticsEvery, weightingOptions } from '../weighting/options';
import type { WeightingStrategy } from '../weighting/strategy';
import { variableNames } from './checkpoint';
import { paramGroupPlan } from './param-groups';
import type { Run } from './setup';
import { refreshStepVariables } from './step';
import { weightSchedules } from './weight-schedules';

/** What a stage trains with: its weighting, its optimizer config and its base learning rate. */
export interface StageSettings {
  weighting: ResolvedSpec['weighting'];
  optimizer: ComponentConfig;
  learningRate: number;
}

export interface StageState {
  /** Index of the stage the run's strategy, optimizer and schedule belong to. */
  index: number;
  settings: StageSettings;
  /** The stage whose frozen set the step's variable lists follow (null: not applied yet). */
  frozenFor: number | null;
  plan: StageVariables[];
}

/** The 0-based stage of a 1-based epoch (past the last stage: the last). */
export function stageIndexAt(stages: readonly { epochs: number }[], epoch: number): number {
  let end = 0;
  for (const [i, st] of stages.entries()) if (epoch <= (end += st.epochs)) return i;
  return stages.length - 1;
}

/** The settings of stage `index` (undefined: a run without stages, the top-level settings). */
export function stageSettings(r: ResolvedSpec, index?: number): StageSettings {
  const st = index === undefined ? undefined : r.stages?.[index];
  const optimizer = st?.optimizer ?? r.train.optimizer;
  return { weighting: st?.weighting ?? r.weighting, optimizer, learningRate: st?.learningRate ?? (optimizer.learningRate as number) };
}

export function createStrategy(r: ResolvedSpec, weighting: StageSettings['weighting'], built: BuiltModel, tasks: TaskRuntime[]): WeightingStrategy {
  return strategies.get(weighting.method).create(weighting, { taskNames: built.taskNames, taskWeights: tasks.map((t) => t.weight), seed: r.seed, ...weightSchedules(r) });
}

export function createOptimizer(optimizer: ComponentConfig): OptimizerHandle {
  return optimizers.get(optimizer.type).create(optimizer, undefined);
}

export function createSchedule(r: ResolvedSpec, baseLearningRate: number, stepsPerEpoch: number): (step: number) => number {
  return schedules.get(r.train.schedule.type).create(r.train.schedule, { baseLearningRate, stepsPerEpoch, totalSteps: stepsPerEpoch * r.train.epochs });
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * At the start of `epoch`: switch to its stage when it differs from the run's (new strategy, optimizer
 * or schedule where the settings differ), and make the step follow the stage's frozen set and tasks.
 */
export function enterStage(run: Run, epoch: number): void {
  const st = run.stage;
  if (!st || !run.r.stages) return;
  const i = stageIndexAt(run.r.stages, epoch);
  if (i !== st.index) {
    const next = stageSettings(run.r, i);
    let freshOptimizer = !same(next.optimizer, st.settings.optimizer);
    if (!same(next.weighting, st.settings.weighting)) {
      const hadVariables = run.strategy.variables().length > 0;
      swapStrategy(run, next.weighting);
      // The optimizer's slots follow the position of each variable in its gradient list: a strategy's
      // variables (uw's log-variances) leaving or joining would shift them, so the optimizer starts over.
      freshOptimizer ||= hadVariables || run.strategy.variables().length > 0;
    }
    if (freshOptimizer) swapOptimizer(run, next.optimizer);
    if (next.learningRate !== st.settings.learningRate) run.schedule = createSchedule(run.r, next.learningRate, run.stepsPerEpoch);
    Object.assign(st, { index: i, settings: next });
  }
  if (st.frozenFor !== i) {
    const { frozen, active } = st.plan[i];
    run.parts.frozen = frozen;
    run.parts.active = new Set(active.map((t) => run.built.taskNames.indexOf(t)));
    refreshStepVariables(run.parts);
    inferenceWhenFrozen(run.built, frozen);
    st.frozenFor = i;
  }
}

function swapStrategy(run: Run, weighting: StageSettings['weighting']): void {
  run.strategy.dispose();
  const strategy = createStrategy(run.r, weighting, run.built, run.tasks);
  const wopts = weightingOptions(weighting);
  run.strategy = strategy;
  // The new strategy's variables are saved under their stable names too.
  run.names = variableNames(run.built.model, strategy.variables());
  Object.assign(run.parts, { strategy, gradSpace: wopts.gradSpace, updateEvery: wopts.updateEvery, memory: { weights: null, headWeights: null } });
  if (wopts.gradSpace === 'representation' || wopts.updateEvery > 1) run.parts.split = splitModel(run.built);
  run.diagnostics = { every: diagnosticsEvery(wopts, strategy.needs), cosine: wopts.diagnostics.cosine };
}

function swapOptimizer(run: Run, optimizer: ComponentConfig): void {
  run.opt.optimizer.dispose();
  const opt = createOptimizer(optimizer);
  run.opt = opt;
  // The new optimizer's slots start empty: its gradient order starts over too.
  Object.assign(run.parts, { opt, gradOrder: [], paramGroups: paramGroupPlan(run.r, run.built, opt, optimizer.type) });
}
