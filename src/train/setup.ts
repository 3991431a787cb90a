// Owns setting a training run up: the data and its splits, the model, the weighting strategy, the
// optimizer and schedule, the step's parts and the run folder (config.resolved.yaml, data-state.json).
// Everything the epoch loop and its callbacks share is in one Run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { BackendInfo } from '../backend/select';
import { checkpointError, MtlError } from '../errors';
import { loadData, splitsFor } from '../data/run-data';
import type { SplitData } from '../data/source';
import { readDataState, writeDataState } from '../data/state';
import type { DataBundle } from '../data/types';
import { taskRuntimes, type TaskRuntime } from '../eval/evaluate';
import { buildModel, type BuiltModel } from '../model/build';
import type { OptimizerHandle } from '../optim/optimizers';
import { resolveStages } from '../model/stages';
import type { ResolvedSpec, Spec } from '../spec/types';
import { writeFileAtomic } from '../util/fs';
import { phaseHook } from '../util/phase-hook';
import { packageVersion } from '../util/paths';
import { diagnosticsEvery, weightingOptions } from '../weighting/options';
import type { WeightingStrategy } from '../weighting/strategy';
import { variableNames, type VariableNames } from './checkpoint';
import { checkData } from './check-data';
import { readResumePoint, type ResumePoint } from './resume';
import { paramGroupPlan } from './param-groups';
import { ensureEpochLine } from './recorder';
import { checkOut, lockRunDir, makeRunDir, recoverRunDir } from './run-folder';
import { createOptimizer, createSchedule, createStrategy, stageIndexAt, stageSettings, type StageState } from './stages';
import { makeStepParts, type StepParts } from './step';
import type { ValidationFeed } from './validation-feed';

export interface Run {
  spec: Spec;
  r: ResolvedSpec;
  backend: BackendInfo;
  runDir: string;
  /** Releases the run folder's lock (disposeRun calls it). */
  release: () => void;
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
  /** The current stage (spec.stages; absent without stages): stages.ts switches it at each epoch start. */
  stage?: StageState;
  /** Validation batches for a strategy with a look-ahead (Auto-Lambda; validation-feed.ts), created on first need. */
  validationFeed?: ValidationFeed;
}

function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/**
 * Claim the run folder: --resume locks RUN, recovers what a kill left and reads its checkpoint (nothing
 * else is written until the checkpoint is restored); a new run checks --out now and creates it later.
 */
function claimRunDir(r: ResolvedSpec, specFile: string, startedAt: Date, opts: SetupOptions): { runDir: string; release?: () => void; resumeFrom?: ResumePoint } {
  if (!opts.resume) return { runDir: checkOut(opts.out ?? path.join(r.output.dir, `${r.name}-${timestamp(startedAt)}`), opts.overwrite ?? false) };
  const runDir = path.resolve(opts.resume);
  if (!fs.statSync(runDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw checkpointError([{ where: { file: runDir }, message: 'nothing to resume: no such run folder' }]);
  }
  const release = lockRunDir(runDir);
  try {
    recoverRunDir(runDir, (epoch, step) => ensureEpochLine(runDir, epoch, step));
    return { runDir, release, resumeFrom: readResumePoint(runDir, r, specFile) };
  } catch (e) {
    release();
    throw e;
  }
}

export interface SetupOptions {
  out?: string;
  resume?: string;
  /** Replace the run already in `out`. */
  overwrite?: boolean;
  /** Aborted during start-up: stop before the run folder is written. */
  signal?: AbortSignal;
}

/** Load, build and create everything for `spec` (seeded global random already set); claims the run folder. */
export async function setupRun(spec: Spec, backend: BackendInfo, opts: SetupOptions): Promise<Run> {
  const r = spec.resolved;
  const startedAt = new Date();
  const claim = claimRunDir(r, spec.file, startedAt, opts);
  try {
    return await buildRun(spec, backend, startedAt, claim, opts.signal);
  } catch (e) {
    claim.release?.();
    throw e;
  }
}

async function buildRun(spec: Spec, backend: BackendInfo, startedAt: Date, claim: ReturnType<typeof claimRunDir>, signal?: AbortSignal): Promise<Run> {
  const r = spec.resolved;
  const { runDir, resumeFrom } = claim;
  const stopped = () => new MtlError('interrupted', `interrupted during start-up; nothing was written${claim.release ? ` to ${runDir}` : ''}`);
  if (signal?.aborted) throw stopped();
  await phaseHook('data');
  const bundle = await loadData(spec, resumeFrom ? readDataState(resumeFrom.runDir) : undefined);
  const built = buildModel(r);
  checkData(bundle, r, built);
  const sets = splitsFor(r, bundle);
  if (signal?.aborted) throw stopped();
  if (!claim.release) {
    makeRunDir(runDir);
    claim.release = lockRunDir(runDir);
    // --overwrite: the old run goes only now that the new one has its data and model.
    for (const f of fs.readdirSync(runDir)) if (f !== '.lock') fs.rmSync(path.join(runDir, f), { recursive: true, force: true });
  }

  const tasks = taskRuntimes(r, bundle.classNames);
  // The stage the checkpoint was written in (a resumed run restores its strategy's and optimizer's state).
  const stageIndex = r.stages ? stageIndexAt(r.stages, Math.max(1, resumeFrom?.state.partial?.epoch ?? resumeFrom?.state.epoch ?? 1)) : undefined;
  const settings = stageSettings(r, stageIndex);
  const strategy = createStrategy(r, settings.weighting, built, tasks);
  const opt = createOptimizer(settings.optimizer);
  const train = sets.train as { size?: number; stepsFor?: (batchSize: number) => number };
  const fullSteps = train.stepsFor?.(r.train.batchSize) ?? Math.ceil((train.size ?? (r.train.stepsPerEpoch ?? 1) * r.train.batchSize) / r.train.batchSize);
  const stepsPerEpoch = Math.min(fullSteps, r.train.stepsPerEpoch ?? fullSteps);
  const schedule = createSchedule(r, settings.learningRate, stepsPerEpoch);
  const wopts = weightingOptions(settings.weighting);
  const parts = makeStepParts(
    built,
    tasks.map((t) => t.lossFn),
    strategy,
    opt,
    { gradSpace: wopts.gradSpace, updateEvery: wopts.updateEvery, memory: { weights: null, headWeights: null }, clipNorm: r.train.clipNorm, paramGroups: paramGroupPlan(r, built, opt, settings.optimizer.type) },
  );
  return {
    spec,
    r,
    backend,
    runDir,
    release: claim.release,
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
    names: variableNames(built.model, strategy.variables()),
    metadata: { mtl: { version: packageVersion(), tasks: built.taskNames, inputs: built.inputNames, groups: built.groups } },
    progress: { step: 0, epochLosses: [], skipped: 0 },
    ...(stageIndex !== undefined ? { stage: { index: stageIndex, settings, frozenFor: null, plan: resolveStages(r, built).stages } } : {}),
  };
}

/** config.resolved.yaml and data-state.json: written once a resumed checkpoint has been restored, so a failed resume changes nothing. */
export function writeRunConfig(run: Run): void {
  const { runDir, r, spec } = run;
  writeFileAtomic(path.join(runDir, 'config.resolved.yaml'), `# Written by mtl ${packageVersion()} from ${spec.file}: every default filled in.\n${stringify(r)}`);
  writeDataState(runDir, run.bundle.state);
}

/** Free what setupRun made and release the run folder. */
export function disposeRun(run: Run): void {
  run.release();
  void run.validationFeed?.close();
  run.strategy.dispose();
  run.opt.optimizer.dispose();
  run.built.model.dispose();
}
