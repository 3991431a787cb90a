// Owns the spec variants a group of runs trains: the same spec under another seed (`--seeds N`), and
// one task alone (`--single-task`: same backbone, optimizer and schedule, the other tasks' heads
// removed, plain loss with weight 1). A variant is re-validated from its resolved YAML, so every
// check of `mtl validate` holds for it too; relative paths still resolve against the original spec.
import { stringify } from 'yaml';
import { usageError } from '../errors';
import { loadSpecText } from '../spec/load';
import type { ResolvedSpec, Spec } from '../spec/types';
import { validateLoaded } from '../spec/validate';

function variant(spec: Spec, change: (r: ResolvedSpec) => void): Spec {
  const r = structuredClone(spec.resolved);
  change(r);
  return { ...validateLoaded(loadSpecText(stringify(r), spec.file)), specDir: spec.specDir };
}

/** The spec under another seed (data split, shuffling and initial weights all follow the seed). */
export function seedVariant(spec: Spec, seed: number): Spec {
  return variant(spec, (r) => {
    r.seed = seed;
  });
}

/** A monitor such as val.right.accuracy names a task; without that task it falls back to val.loss. */
function keepsMonitor(monitor: string, task: string): boolean {
  const parts = monitor.split('.');
  return parts.length < 3 || parts[1] === task;
}

/** The spec with `task` alone: its head, loss and metrics; static weighting, weight 1. */
export function singleTaskVariant(spec: Spec, task: string): Spec {
  if (!(task in spec.resolved.tasks)) {
    throw usageError([{ where: { file: spec.file }, message: `no task "${task}" in the spec`, allowed: Object.keys(spec.resolved.tasks).join(', ') }]);
  }
  return variant(spec, (r) => {
    r.name = `${r.name}-${task}`;
    r.tasks = { [task]: { ...r.tasks[task], weight: 1 } };
    r.weighting = { method: 'static' };
    if (!keepsMonitor(r.checkpoint.monitor, task)) Object.assign(r.checkpoint, { monitor: 'val.loss', mode: 'min' });
    const es = r.train.earlyStopping;
    if (es && !keepsMonitor(es.monitor, task)) Object.assign(es, { monitor: 'val.loss', mode: 'min' });
  });
}

/** Seeds of a group of N runs: the spec's seed and the N − 1 after it. */
export function groupSeeds(spec: Spec, n: number): number[] {
  return Array.from({ length: n }, (_, i) => spec.resolved.seed + i);
}
