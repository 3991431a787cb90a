// Owns `mtl eval`: load a run's resolved config and a checkpoint, evaluate one split, write eval-<split>[-<checkpoint>].json.
// A run-folder operation like training (it reads the spec back), so it sits beside the loop, above src/eval.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { selectBackend, type BackendName } from '../backend/select';
import { checkpointError, usageError } from '../errors';
import { loadSpecText } from '../spec/load';
import { validateLoaded } from '../spec/validate';
import type { Spec } from '../spec/types';
import { loadData, splitsFor } from '../data/run-data';
import { readDataState } from '../data/state';
import { loadModelFiles } from '../model/files';
import { writeFileAtomic } from '../util/fs';
import { restoreGlobalRandom, seedGlobalRandom } from '../util/global-random';
import { evaluateSource, taskRuntimes, type SplitMetrics } from '../eval/evaluate';
import { evalRecord } from '../eval/record';
import { CHECKPOINT_NAME, checkpointNames, verifyCheckpoint } from './checkpoint';
import { ensureEpochLine } from './recorder';
import { lockHolder, recoverRunDir } from './run-folder';
import { checkpointPartial, readRunStatus, type RunStatus } from './run-status';

export interface EvalOptions {
  /** best, last, or the path of a checkpoint folder (e.g. another run's checkpoints/best). */
  checkpoint?: string;
  split?: 'val' | 'test';
  backend?: BackendName;
  batchSize?: number;
}

export interface EvalResult {
  file: string;
  record: SplitMetrics & { checkpoint: string; split: string; epoch: number | null; partial?: { epoch: number; steps: number }; runStatus: RunStatus; dataChanged?: string[] };
}

/**
 * The folder of a checkpoint: a name (best, last, best-<task>, epoch-<n>: RUN/checkpoints/<name>) or a
 * folder given by path; a checkpoint error when it has no model (listing the run's checkpoints).
 */
export function checkpointDir(runDir: string, which: string): string {
  const named = CHECKPOINT_NAME.test(which);
  const dir = named ? path.join(runDir, 'checkpoints', which) : path.resolve(which);
  if (!fs.existsSync(path.join(dir, 'model.json'))) {
    if (!named) throw checkpointError(`no checkpoint at ${dir} (${fs.existsSync(dir) ? 'the folder has no model.json' : 'no such folder'})`);
    const have = checkpointNames(runDir);
    throw checkpointError([{ where: { file: dir }, message: `no checkpoint "${which}" in ${runDir}`, allowed: have.length ? have.join(', ') : 'none in this run', hint: 'a checkpoint name of the run or the path of a checkpoint folder' }]);
  }
  // A checkpoint folder of a run carries checksums; a plain model folder may not.
  if (fs.existsSync(path.join(dir, 'state.json'))) verifyCheckpoint(dir);
  return dir;
}

/** A seed-group or single-task folder holds runs: name them, since the folder itself is none. */
function groupHint(dir: string): string | undefined {
  for (const [file, what] of [['seeds.json', 'a seed-group folder'], ['single-task.json', 'a single-task baseline folder']] as const) {
    let index: { runs?: unknown; tasks?: unknown };
    try {
      index = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    } catch {
      continue;
    }
    const runs = Array.isArray(index.runs) ? index.runs : index.tasks && typeof index.tasks === 'object' ? Object.values(index.tasks) : [];
    const named = runs.filter((r): r is string => typeof r === 'string').map((r) => path.join(dir, r));
    return `it is ${what} (${file}); name one of its runs${named.length ? `: ${named.join(', ')}` : ''}`;
  }
  return undefined;
}

/** The spec a run was trained with; relative data paths still resolve against the original spec's folder. */
export function loadRunSpec(runDir: string): Spec {
  const cfg = path.join(runDir, 'config.resolved.yaml');
  if (!fs.existsSync(cfg)) throw usageError([{ where: {}, message: `${runDir} is not a run folder (no config.resolved.yaml)`, hint: groupHint(runDir) }]);
  let specDir = runDir;
  try {
    const m = JSON.parse(fs.readFileSync(path.join(runDir, 'metrics.json'), 'utf8'));
    if (m?.run?.spec) specDir = path.dirname(m.run.spec);
  } catch {
    // Without metrics.json, relative data paths resolve against the run folder.
  }
  // The baselines were read when the run trained; evaluating it must not need them still.
  const spec = validateLoaded(loadSpecText(fs.readFileSync(cfg, 'utf8'), cfg), { baselines: false });
  return { ...spec, specDir };
}

/**
 * The record's file: eval-<split>.json for the best checkpoint (as training's final test writes it,
 * which compare and report read), eval-<split>-<name>.json for another of the run's checkpoints
 * (last, best-<task>, epoch-<n>), eval-<split>-path-<8 hex of the folder's path>.json for a folder
 * given by path — so that evaluating one checkpoint never overwrites another's record.
 */
export function evalFileName(split: string, which: string): string {
  if (which === 'best') return `eval-${split}.json`;
  if (CHECKPOINT_NAME.test(which)) return `eval-${split}-${which}.json`;
  return `eval-${split}-path-${createHash('sha1').update(path.resolve(which)).digest('hex').slice(0, 8)}.json`;
}

export async function evaluateRun(runDir: string, opts: EvalOptions = {}): Promise<EvalResult> {
  const which = opts.checkpoint ?? 'best';
  const split = opts.split ?? 'test';
  const backend = await selectBackend(opts.backend ?? 'auto');
  const spec = loadRunSpec(runDir);
  // What a kill left is finished or dropped first, unless a live training run owns the folder.
  if (lockHolder(runDir) === undefined) recoverRunDir(runDir, (epoch, step) => ensureEpochLine(runDir, epoch, step));
  const ckpt = checkpointDir(runDir, which);
  seedGlobalRandom(spec.resolved.seed);
  try {
    const bundle = await loadData(spec, readDataState(runDir));
    const splits = splitsFor(spec.resolved, bundle);
    const set = splits[split];
    if (!set) throw usageError(`the run has no ${split} split (train.validation: ${spec.resolved.train.validation})`);
    const { model } = await loadModelFiles(ckpt);
    try {
      const m = await evaluateSource(model, Object.keys(spec.resolved.inputs), taskRuntimes(spec.resolved, bundle.classNames), set, opts.batchSize ?? spec.resolved.train.batchSize);
      // How far the run got goes with its numbers: a killed run's checkpoint is not a finished model.
      const runStatus = readRunStatus(runDir, spec.resolved.train.epochs);
      const partial = checkpointPartial(ckpt);
      const changed = bundle.dataChanged?.length ? { dataChanged: bundle.dataChanged } : {};
      const record = { ...evalRecord(runDir, which, split, m, backend, ckpt), ...(partial ? { partial } : {}), runStatus, ...changed } as EvalResult['record'];
      const file = path.join(runDir, evalFileName(split, which));
      writeFileAtomic(file, JSON.stringify(record, null, 2));
      return { file, record };
    } finally {
      model.dispose();
    }
  } finally {
    restoreGlobalRandom();
  }
}
