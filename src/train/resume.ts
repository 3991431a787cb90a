// Owns `mtl train SPEC --resume RUN`: reading RUN/checkpoints/last back into a freshly built model,
// optimizer and weighting strategy, plus the counters the loop needs, so that the resumed trajectory
// equals an uninterrupted one; and trimming the run folder's metrics to the checkpointed epoch.
import type * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { checkpointError, configError, showValue } from '../errors';
import type { ResolvedSpec } from '../spec/types';
import { writeFileAtomic } from '../util/fs';
import type { WeightingStrategy } from '../weighting/strategy';
import { stableName } from '../weighting/variables';
import { loadModelFiles } from '../model/files';
import { restoreOptimizer, verifyCheckpoint, type CheckpointState, type VariableNames } from './checkpoint';
import { currentLayout } from './checkpoint-layout';
import type { EpochRecord } from './events';
import { readLines } from './run-folder';
import type { StepMemory } from './step';

/** What checkpoints/last holds beyond the base CheckpointState (older checkpoints may lack it). */
export interface ResumeExtras {
  earlyStopping?: { best: number | null; sinceImprovement: number; bestEpoch?: number | null };
  stepMemory?: StepMemory;
  /** Stable names of the variables in the order the optimizer keyed its slots. */
  gradOrder?: string[];
  /** State of the seeded Math.random (dropout masks) after the checkpointed epoch. */
  rng?: number | null;
  /** Steps skipped so far under train.onNonFinite: skip-batch. */
  skipped?: number;
  /** A mid-epoch checkpoint (checkpoint.everySteps): the epoch it is in and its steps taken (partial.bin holds the rest). */
  partial?: { epoch: number; steps: number };
}

export interface ResumePoint {
  runDir: string;
  dir: string;
  /** Settings the resume changes (learning rate, epochs, …), as `path: old → new`, recorded in metrics.json. */
  changes: string[];
  state: CheckpointState & ResumeExtras;
}

/** Check that RUN can be continued with this spec; read (and verify) its last checkpoint's state. */
export function readResumePoint(run: string, spec: ResolvedSpec, specFile?: string): ResumePoint {
  const runDir = path.resolve(run);
  const dir = path.join(runDir, 'checkpoints', 'last');
  if (!fs.existsSync(path.join(dir, 'state.json'))) {
    throw checkpointError([{ where: { file: runDir }, message: 'nothing to resume: the run folder has no checkpoints/last/state.json', allowed: 'a run folder written by mtl train' }]);
  }
  const state = verifyCheckpoint(dir) as CheckpointState & ResumeExtras;
  const changes = specChanges(runDir, spec, specFile);
  if (state.epoch >= spec.train.epochs && finished(runDir)) {
    throw configError([{ where: { file: specFile, path: 'train.epochs' }, message: `the run already has ${state.epoch} epoch(s); nothing left to train`, received: spec.train.epochs, allowed: `more than ${state.epoch}` }]);
  }
  return { runDir, dir, state, changes };
}

/** Whether the run ended normally; one killed after its last epoch (e.g. during the test evaluation) still resumes, to finish. */
function finished(runDir: string): boolean {
  try {
    const status = JSON.parse(fs.readFileSync(path.join(runDir, 'metrics.json'), 'utf8'))?.run?.status;
    return status === 'completed' || status === 'early-stopped';
  } catch {
    return true;
  }
}

/** Parts of a spec a checkpoint depends on: a resume with other values here would train another model or other data. */
const FIXED = ['seed', 'data', 'inputs', 'features', 'backbone', 'architecture', 'tasks', 'weighting.method', 'train.validation'];

/** The differences between the run's config.resolved.yaml and `spec`: refused when FIXED parts differ, else listed. */
function specChanges(runDir: string, spec: ResolvedSpec, specFile?: string): string[] {
  const cfgFile = path.join(runDir, 'config.resolved.yaml');
  if (!fs.existsSync(cfgFile)) return [];
  let before: unknown;
  try {
    before = parse(fs.readFileSync(cfgFile, 'utf8'));
  } catch (e) {
    throw checkpointError([{ where: { file: cfgFile }, message: `cannot read the run's resolved spec: ${(e as Error).message}` }]);
  }
  const after = JSON.parse(JSON.stringify(spec));
  const diffs = diffPaths(before, after, '');
  const oldTasks = Object.keys((before as Partial<ResolvedSpec> | null)?.tasks ?? {});
  if (oldTasks.join('\n') !== Object.keys(spec.tasks).join('\n')) diffs.unshift({ path: 'tasks', was: oldTasks, now: Object.keys(spec.tasks) });
  const fixed = diffs.filter((d) => FIXED.some((f) => d.path === f || d.path.startsWith(f + '.') || d.path.startsWith(f + '[')));
  if (fixed.length) {
    throw checkpointError([
      ...fixed.slice(0, 10).map((d) => ({ where: { file: specFile, path: d.path }, message: `differs from the run being resumed, which has ${showValue(d.was)}`, received: d.now })),
      { where: { file: runDir }, message: 'resume refused: the spec changes the model, the data or the task set of the run', hint: `resume with the run's own spec (${cfgFile}), or start a new run` },
    ]);
  }
  return diffs.filter((d) => d.path !== 'output.dir').map((d) => `${d.path}: ${showValue(d.was)} → ${showValue(d.now)}`);
}

function diffPaths(a: unknown, b: unknown, at: string): Array<{ path: string; was: unknown; now: unknown }> {
  const isObj = (v: unknown) => v !== null && typeof v === 'object';
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    return [...keys].flatMap((k) => {
      const p = Array.isArray(a) ? `${at}[${k}]` : at ? `${at}.${k}` : k;
      return diffPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], p);
    });
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ path: at, was: a, now: b }];
}

/** A step line of the epoch a mid-epoch checkpoint is in, for a step the checkpoint already took. */
export function stepTaken(rec: { epoch?: number; type?: string; step?: number }, at: { partial?: { epoch: number }; step: number }): boolean {
  return rec.type === 'step' && rec.epoch === at.partial?.epoch && typeof rec.step === 'number' && rec.step < at.step;
}

/** Load the checkpoint's weights, optimizer slots and strategy state into the live objects. */
export async function restoreInto(point: ResumePoint, model: tf.LayersModel, optimizer: tf.Optimizer, names: VariableNames, strategy: WeightingStrategy): Promise<void> {
  const { model: saved } = await loadModelFiles(point.dir);
  try {
    const a = model.weights;
    const b = saved.weights;
    const same = a.length === b.length && a.every((w, i) => w.shape.join(',') === b[i].shape.join(','));
    if (!same) {
      throw checkpointError([{ where: { file: point.dir }, message: `the checkpoint holds a different model (${b.length} weight tensors) than the spec builds (${a.length})`, allowed: 'the spec the run was trained with (config.resolved.yaml)' }]);
    }
    model.setWeights(saved.getWeights());
  } finally {
    saved.dispose();
  }
  // An older checkpoint (uw's log-variances in one variable) is migrated, its gradOrder with it.
  await restoreOptimizer(optimizer, point.dir, names, currentLayout(point.state, strategy.variables().map(stableName), point.dir));
  strategy.restore(point.state.strategy);
}

/** One `run.resumed` entry: when and after which epoch; when the session before stopped and the pause since. */
export interface ResumedEntry {
  at: string;
  afterEpoch: number;
  /** The previous session's end (its endedAt; after a SIGKILL, its last write of metrics.json). */
  stoppedAt?: string;
  /** Seconds from stoppedAt to this session's start: time the run did not train (compare's wall time leaves it out). */
  pausedSeconds?: number;
  changes?: string[];
}

/** When the session before a resume stopped: its endedAt, or (killed: none) when it last wrote metrics.json. */
function stoppedAt(run: { endedAt?: unknown } | undefined, metricsFile: string): Date | undefined {
  if (typeof run?.endedAt === 'string' && !Number.isNaN(Date.parse(run.endedAt))) return new Date(run.endedAt);
  try {
    return fs.statSync(metricsFile).mtime;
  } catch {
    return undefined;
  }
}

/**
 * The run folder's records up to the checkpointed epoch: metrics.json's epochs (returned, with when the
 * run first started) and metrics.jsonl (rewritten without lines from later epochs). `sessionStart`: when
 * this (resuming) session started, for the pause since the last one stopped.
 */
export function trimRecords(point: ResumePoint, sessionStart: Date): { epochs: EpochRecord[]; startedAt?: string; resumed: ResumedEntry[] } {
  const keep = (rec: { epoch?: number; type?: string; step?: number }) => typeof rec.epoch === 'number' && (rec.epoch <= point.state.epoch || stepTaken(rec, point.state));
  const jsonl = path.join(point.runDir, 'metrics.jsonl');
  if (fs.existsSync(jsonl)) writeFileAtomic(jsonl, readLines(jsonl).filter(keep).map((l) => JSON.stringify(l) + '\n').join(''));
  const file = path.join(point.runDir, 'metrics.json');
  let old: { epochs?: EpochRecord[]; run?: { startedAt?: string; endedAt?: unknown; resumed?: ResumedEntry[] } } = {};
  try {
    old = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    // A missing or damaged metrics.json loses the history, not the training state.
  }
  const stopped = stoppedAt(old?.run, file);
  const pause = stopped ? { stoppedAt: stopped.toISOString(), pausedSeconds: Math.max(0, (sessionStart.getTime() - stopped.getTime()) / 1000) } : {};
  const resumed: ResumedEntry = { at: new Date().toISOString(), afterEpoch: point.state.epoch, ...pause, ...(point.changes.length ? { changes: point.changes } : {}) };
  return {
    epochs: (Array.isArray(old?.epochs) ? old.epochs : []).filter(keep),
    startedAt: old?.run?.startedAt,
    resumed: [...(Array.isArray(old?.run?.resumed) ? old.run.resumed : []), resumed],
  };
}
