// Owns setting a training run up: the data and its splits, the model, the weighting strategy, the
// optimizer and schedule, the step's parts and the run folder (config.resolved.yaml, data-state.json).
// Everything the epoch loop and its callbacks share is in one Run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { BackendInfo } from '../backend/select';
import { loadData, splitsFor } from '../data/run-data';
import type { SplitData } from '../data/source';
import { readDataState, writeDataState } from '../data/state';
import type { DataBundle } from '../data/types';
import { taskRuntimes, type TaskRuntime } from '../eval/evaluate';
import { buildModel, type BuiltModel } from '../model/build';
import { optimizers, type OptimizerHandle } from '../optim/optimizers';
import { schedules } from '../optim/schedules';
import type { ResolvedSpec, Spec } from '../spec/types';
import { writeFileAtomic } from '../util/fs';
import { packageVersion } from '../util/paths';
import { strategies } from '../weighting/index';
import { diagnosticsEvery, weightingOptions } from '../weighting/options';
import type { WeightingStrategy } from '../weighting/strategy';
import { variableNames, type VariableNames } from './checkpoint';
import { checkData } from './check-data';
import { readResumePoint, type ResumePoint } from './resume';
import { paramGroupPlan } from './param-groups';
import { makeStepParts, type StepParts } from './step';

export interface Run {
  spec: Spec;
  r: ResolvedSpec;
  backend: BackendInfo;
  runDir: string;
  startedAt: Date;
  resumeFrom?: ResumePoint;
  bundle: DataBundle;
  sets: { train: SplitData; val?: SplitData; test?: SplitData };
  built: BuiltModel;
  tasks: TaskRuntime[];
  strategy: WeightingStrategy;
  opt: OptimizerHandle;
  schedule: (step: number) => number;
  parts: StepParts;
  stepsPerEpoch: number;
  /** Take gradient diagnostics every this many steps (0: never), with cosines or not. */
  diagnostics: { every: number; cosine: boolean };
  names: VariableNames;
  /** userDefinedMetadata of every saved model.json. */
  metadata: object;
  /** What moves during training and is checkpointed with it. */
  progress: { step: number; epochLosses: number[][]; skipped: number };
}

function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Load, build and create everything for `spec` (seeded global random already set); writes the run folder's config. */
export async function setupRun(spec: Spec, backend: BackendInfo, opts: { out?: string; resume?: string }): Promise<Run> {
  const r = spec.resolved;
  const resumeFrom = opts.resume ? readResumePoint(opts.resume, r, spec.file) : undefined;
  const bundle = await loadData(spec, resumeFrom ? readDataState(resumeFrom.runDir) : undefined);
  const built = buildModel(r);
  checkData(bundle, r, built);
  const sets = splitsFor(r, bundle);

  const startedAt = new Date();
  const runDir = resumeFrom ? resumeFrom.runDir : path.resolve(opts.out ?? path.join(r.output.dir, `${r.name}-${timestamp(startedAt)}`));
  fs.mkdirSync(runDir, { recursive: true });
  writeFileAtomic(path.join(runDir, 'config.resolved.yaml'), `# Written by mtl ${packageVersion()} from ${spec.file}: every default filled in.\n${stringify(r)}`);
  writeDataState(runDir, bundle.state);

  const tasks = taskRuntimes(r, bundle.classNames);
  const strategy = strategies.get(r.weighting.method).create(r.weighting, { taskNames: built.taskNames, taskWeights: tasks.map((t) => t.weight), seed: r.seed });
  const opt = optimizers.get(r.train.optimizer.type).create(r.train.optimizer, undefined);
  const fullSteps = Math.ceil((sets.train.size ?? (r.train.stepsPerEpoch ?? 1) * r.train.batchSize) / r.train.batchSize);
  const stepsPerEpoch = Math.min(fullSteps, r.train.stepsPerEpoch ?? fullSteps);
  const schedule = schedules.get(r.train.schedule.type).create(r.train.schedule, {
    baseLearningRate: r.train.optimizer.learningRate as number,
    stepsPerEpoch,
    totalSteps: stepsPerEpoch * r.train.epochs,
  });
  const wopts = weightingOptions(r.weighting);
  const parts = makeStepParts(
    built,
    tasks.map((t) => t.lossFn),
    strategy,
    opt,
    { gradSpace: wopts.gradSpace, updateEvery: wopts.updateEvery, memory: { weights: null, headWeights: null }, clipNorm: r.train.clipNorm, paramGroups: paramGroupPlan(r, built, opt) },
  );
  return {
    spec,
    r,
    backend,
    runDir,
    startedAt,
    ...(resumeFrom ? { resumeFrom } : {}),
    bundle,
    sets,
    built,
    tasks,
    strategy,
    opt,
    schedule,
    parts,
    stepsPerEpoch,
    diagnostics: { every: diagnosticsEvery(wopts, strategy.needs), cosine: wopts.diagnostics.cosine },
    names: variableNames(built.model),
    metadata: { mtl: { version: packageVersion(), tasks: built.taskNames, inputs: built.inputNames, groups: built.groups } },
    progress: { step: 0, epochLosses: [], skipped: 0 },
  };
}

/** Free what setupRun made. */
export function disposeRun(run: Run): void {
  run.strategy.dispose();
  run.opt.optimizer.dispose();
  run.built.model.dispose();
}
