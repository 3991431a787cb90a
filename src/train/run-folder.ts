// Owns the run folder as a unit that is never lost: --out checks (an existing run needs --resume or
// --overwrite), the lock that keeps a second process out, and the epoch commit — the epoch's staged
// checkpoints and metrics.json are swapped in under a commit marker (commit.json), so a kill at any
// moment leaves either the previous epoch or this one, and recovery finishes or drops a half-done swap.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MtlError, usageError } from '../errors';
import { makeDirs, writeFileAtomic } from '../util/fs';

const COMMIT = 'commit.json';
const LOCK = '.lock';
export const staged = (p: string) => `${p}.new`;

/**
 * What an epoch may commit, relative to the run folder: every checkpoints/<name> (last, best,
 * best-<task>, epoch-<n>) present, staged or left as .old, then metrics.json (swapped in last).
 */
export function committedParts(runDir: string): string[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(path.join(runDir, 'checkpoints'));
  } catch {
    // No checkpoints yet.
  }
  const folders = new Set(names.filter((n) => !n.startsWith('.')).map((n) => n.replace(/\.(new|old)$/, '')));
  return [...[...folders].sort().map((n) => `checkpoints/${n}`), 'metrics.json'];
}

/** A folder that holds a run (what `mtl train` writes first or last). */
export function isRunFolder(dir: string): boolean {
  return ['metrics.json', 'config.resolved.yaml', 'checkpoints'].some((f) => fs.existsSync(path.join(dir, f)));
}

/** --out: refuse '' and a file; an existing run needs --overwrite (it is then emptied) — --resume continues one. */
export function checkOut(out: string, overwrite: boolean): string {
  if (out.trim() === '') throw usageError('--out is empty: name a folder for the run, or drop --out to get <output.dir>/<name>-<timestamp>');
  const dir = path.resolve(out);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(dir, e);
  }
  if (st && !st.isDirectory()) throw usageError(`--out ${dir} is an existing file, not a folder`);
  if (st && isRunFolder(dir) && !overwrite) {
    throw new MtlError('usage', [{ where: { file: dir }, message: 'the folder already holds a run', hint: `continue it with --resume ${dir}, replace it with --overwrite, or choose another --out` }]);
  }
  return dir;
}

/** Make the run folder (usage errors for a parent that is a file, a read-only or full disk, a name too long). */
export function makeRunDir(dir: string): void {
  try {
    makeDirs(dir);
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    throw fsError(dir, e);
  }
}

export function fsError(file: string, e: unknown): MtlError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const why: Record<string, string> = {
    ENOTDIR: 'a parent of it is a file',
    ENOENT: 'its parent folder cannot hold new folders (e.g. /proc or /sys)',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is exhausted',
    EIO: 'an input/output error',
    ENAMETOOLONG: 'the name is too long',
    EEXIST: 'it exists and is not a folder',
  };
  return new MtlError('usage', [{ where: { file }, message: `cannot write the run folder: ${why[code] ?? (e as Error).message}` }]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid holding the run folder's lock, when that process still lives (and is not this one). */
export function lockHolder(dir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(dir, LOCK), 'utf8'));
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
}

/** Take the run folder's lock (a stale lock of a dead process is taken over); returns its release. */
export function lockRunDir(dir: string): () => void {
  const file = path.join(dir, LOCK);
  const holder = lockHolder(dir);
  if (holder !== undefined) throw new MtlError('usage', [{ where: { file: dir }, message: `the run folder is in use by process ${holder}`, hint: `wait for it to end, or remove ${file} if that process is not mtl` }]);
  try {
    fs.writeFileSync(file, String(process.pid));
  } catch (e) {
    throw fsError(dir, e);
  }
  return () => {
    try {
      if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.rmSync(file);
    } catch {
      // Already gone.
    }
  };
}

/**
 * Commit an epoch whose parts were written to their staged names: marker, jsonl line, swaps, marker
 * removed. `step`: a mid-epoch checkpoint after that many steps of the run (`epoch` is the last whole one).
 */
export function commitEpoch(runDir: string, epoch: number, appendEpochLine: () => void, step?: number): void {
  const parts = committedParts(runDir).filter((p) => fs.existsSync(path.join(runDir, staged(p))));
  writeFileAtomic(path.join(runDir, COMMIT), JSON.stringify({ epoch, parts, ...(step !== undefined ? { step } : {}) }));
  appendEpochLine();
  for (const p of parts) swapIn(path.join(runDir, p));
  fs.rmSync(path.join(runDir, COMMIT));
}

/** Replace `target` by its complete staged copy; until the second rename the marker lets recovery finish it. */
function swapIn(target: string): void {
  const old = `${target}.old`;
  if (!fs.existsSync(staged(target))) return;
  fs.rmSync(old, { recursive: true, force: true });
  if (fs.existsSync(target)) fs.renameSync(target, old);
  fs.renameSync(staged(target), target);
  fs.rmSync(old, { recursive: true, force: true });
}

/**
 * After a kill: with a commit marker, finish its swaps (and its jsonl line, via `ensureEpochLine`);
 * without one, drop the staged parts. Leftover .old folders are restored when their target is missing.
 * A stale `running` status becomes `killed`, ended at its last write of metrics.json. Returns what it did, for the user.
 */
export function recoverRunDir(runDir: string, ensureEpochLine: (epoch: number, step?: number) => void): string[] {
  const done: string[] = [];
  const marker = path.join(runDir, COMMIT);
  let commit: { epoch: number; step?: number } | undefined;
  try {
    commit = JSON.parse(fs.readFileSync(marker, 'utf8'));
  } catch {
    commit = undefined;
  }
  for (const p of committedParts(runDir)) {
    const target = path.join(runDir, p);
    if (commit && fs.existsSync(staged(target))) {
      swapIn(target);
      done.push(`finished the commit of ${p} (epoch ${commit.epoch})`);
    } else if (fs.existsSync(staged(target))) {
      fs.rmSync(staged(target), { recursive: true, force: true });
      done.push(`removed the uncommitted ${p}.new`);
    }
    if (fs.existsSync(`${target}.old`)) {
      if (!fs.existsSync(target)) fs.renameSync(`${target}.old`, target);
      else fs.rmSync(`${target}.old`, { recursive: true, force: true });
    }
  }
  if (commit) {
    ensureEpochLine(commit.epoch, commit.step);
    fs.rmSync(marker);
  }
  markKilled(runDir, done);
  return done;
}

function markKilled(runDir: string, done: string[]): void {
  const file = path.join(runDir, 'metrics.json');
  try {
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (m?.run?.status !== 'running' || lockHolder(runDir) !== undefined) return;
    m.run.status = 'killed';
    // When it stopped, as near as the folder tells: its last write of metrics.json (a resume's pause is measured from it).
    if (!m.run.endedAt) m.run.endedAt = fs.statSync(file).mtime.toISOString();
    writeFileAtomic(file, JSON.stringify(m, null, 2));
    done.push('marked the run killed (it was still "running" without a live process)');
  } catch {
    // No readable metrics.json: nothing to mark.
  }
}

/** metrics.jsonl's records; a line that does not parse (a torn last line after a kill) is left out. */
export function readLines(file: string): Array<{ type?: string; epoch?: number }> {
  const out: Array<{ type?: string; epoch?: number }> = [];
  for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!l.trim()) continue;
    try {
      const v = JSON.parse(l);
      if (v && typeof v === 'object') out.push(v);
    } catch {
      // Torn or damaged line.
    }
  }
  return out;
}
