// Owns `mtl train SPEC --resume RUN`: reading RUN/checkpoints/last back into a freshly built model,
// optimizer and weighting strategy, plus the counters the loop needs, so that the resumed trajectory
// equals an uninterrupted one; and trimming the run folder's metrics to the checkpointed epoch.
import type * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { checkpointError, configError } from '../errors';
import type { ResolvedSpec } from '../spec/types';
import { writeFileAtomic } from '../util/fs';
import type { WeightingStrategy } from '../weighting/strategy';
import { loadModelFiles } from '../model/files';
import { readCheckpointState, restoreOptimizer, type CheckpointState, type VariableNames } from './checkpoint';
import type { EpochRecord } from './events';
import type { StepMemory } from './step';

/** What checkpoints/last holds beyond the base CheckpointState (older checkpoints may lack it). */
export interface ResumeExtras {
  earlyStopping?: { best: number | null; sinceImprovement: number };
  stepMemory?: StepMemory;
  /** Stable names of the variables in the order the optimizer keyed its slots. */
  gradOrder?: string[];
  /** State of the seeded Math.random (dropout masks) after the checkpointed epoch. */
  rng?: number | null;
  /** Steps skipped so far under train.onNonFinite: skip-batch. */
  skipped?: number;
}

export interface ResumePoint {
  runDir: string;
  dir: string;
  state: CheckpointState & ResumeExtras;
}

/** Check that RUN can be continued with this spec; read its last checkpoint's state. */
export function readResumePoint(run: string, spec: ResolvedSpec, specFile?: string): ResumePoint {
  const runDir = path.resolve(run);
  const dir = path.join(runDir, 'checkpoints', 'last');
  if (!fs.existsSync(path.join(dir, 'state.json'))) {
    throw checkpointError([{ where: { file: runDir }, message: 'nothing to resume: the run folder has no checkpoints/last/state.json', allowed: 'a run folder written by mtl train' }]);
  }
  const state = readCheckpointState(dir) as CheckpointState & ResumeExtras;
  const cfgFile = path.join(runDir, 'config.resolved.yaml');
  if (fs.existsSync(cfgFile)) {
    const before = parse(fs.readFileSync(cfgFile, 'utf8')) as Partial<ResolvedSpec> | null;
    const method = before?.weighting?.method;
    if (method && method !== spec.weighting.method) {
      throw checkpointError([{ where: { file: cfgFile, path: 'weighting.method' }, message: `the run was trained with weighting "${method}"; the spec asks for "${spec.weighting.method}"`, allowed: method }]);
    }
  }
  if (state.epoch >= spec.train.epochs) {
    throw configError([{ where: { file: specFile, path: 'train.epochs' }, message: `the run already has ${state.epoch} epoch(s); nothing left to train`, received: spec.train.epochs, allowed: `more than ${state.epoch}` }]);
  }
  return { runDir, dir, state };
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
  await restoreOptimizer(optimizer, point.dir, names);
  strategy.restore(point.state.strategy);
}

/**
 * The run folder's records up to the checkpointed epoch: metrics.json's epochs (returned, with when the
 * run first started) and metrics.jsonl (rewritten without lines from later epochs).
 */
export function trimRecords(point: ResumePoint): { epochs: EpochRecord[]; startedAt?: string; resumed: Array<{ at: string; afterEpoch: number }> } {
  const keep = (rec: { epoch?: number }) => typeof rec.epoch === 'number' && rec.epoch <= point.state.epoch;
  const jsonl = path.join(point.runDir, 'metrics.jsonl');
  if (fs.existsSync(jsonl)) {
    const lines = fs.readFileSync(jsonl, 'utf8').split('\n').filter((l) => l.trim() && keep(JSON.parse(l)));
    writeFileAtomic(jsonl, lines.map((l) => l + '\n').join(''));
  }
  let old: { epochs?: EpochRecord[]; run?: { startedAt?: string; resumed?: Array<{ at: string; afterEpoch: number }> } } = {};
  try {
    old = JSON.parse(fs.readFileSync(path.join(point.runDir, 'metrics.json'), 'utf8'));
  } catch {
    // A missing or damaged metrics.json loses the history, not the training state.
  }
  return {
    epochs: (old.epochs ?? []).filter(keep),
    startedAt: old.run?.startedAt,
    resumed: [...(old.run?.resumed ?? []), { at: new Date().toISOString(), afterEpoch: point.state.epoch }],
  };
}
