// Owns whether the runs `mtl compare` puts side by side were measured on the same rows. A `files` run's
// validation and test rows are drawn from its training file by the spec seed (testFraction,
// train.validation) unless a val/test file is given, so two runs with other seeds — or other data
// files (data-state.json's SHA-256s) — are scored on different rows, and their difference is partly
// the data's. Other data types are not judged (their splits follow rules of their own).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunGroup, RunRecord } from './runs';

type Obj = Record<string, unknown>;

/** What fixes a files run's rows of `split`; undefined when not judged (other data types, unreadable state). */
export function splitRowsKey(run: RunRecord, split: 'test' | 'val'): string | undefined {
  const data = run.config.data as Obj | undefined;
  if (data?.type !== 'files') return undefined;
  let files: Record<string, { sha256?: string }> | undefined;
  try {
    files = JSON.parse(fs.readFileSync(path.join(run.dir, 'data-state.json'), 'utf8'))?.files;
  } catch {
    return undefined;
  }
  if (!files) return undefined;
  const train = run.config.train as Obj | undefined;
  const given = (s: 'val' | 'test') => (data[s] ?? Object.values((data.tasks as Record<string, Obj> | undefined) ?? {}).map((t) => t[s]).find(Boolean)) !== undefined;
  const drawn = given(split) ? null : { seed: run.config.seed, testFraction: data.testFraction ?? null, ...(split === 'val' ? { validation: train?.validation ?? null } : {}) };
  return JSON.stringify({ drawn, files: Object.values(files).map((f) => f.sha256).sort() });
}

/**
 * A note when rows of the comparison were measured on other rows than the first row: the rows named.
 * Within a seed group the seeds' rows differ by design; groups are compared seed list to seed list.
 */
export function differentRowsNote(groups: RunGroup[], names: string[], split: 'test' | 'val'): string | undefined {
  // Distinct keys in order: a single-task baseline's task runs share their seed's rows (one key per seed).
  const keys = groups.map((g) => [...new Set(g.members.map((m) => splitRowsKey(m, split)))]);
  if (keys.some((k) => k.some((x) => x === undefined))) return undefined;
  const first = JSON.stringify(keys[0]);
  const other = names.filter((_, i) => JSON.stringify(keys[i]) !== first);
  if (!other.length) return undefined;
  return `${other.join(', ')} ${other.length === 1 ? 'was' : 'were'} measured on other ${split} rows than ${names[0]} (another seed draws other rows from the training file by testFraction / train.validation, or the data files differ): their differences are partly the data's`;
}
