// Owns atomic writes: every file in a run folder appears whole or not at all.
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * mkdir -p without Node's recursive mkdir, which loops for ever on a path under /proc (it retries
 * ENOENT). Creates the missing folders from the deepest existing ancestor down, one level at a time,
 * so a parent that cannot hold folders fails at once with its own error (ENOENT, EPERM, ENOTDIR).
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let d = path.resolve(dir);
  while (!fs.existsSync(d)) {
    missing.push(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const m of missing.reverse()) {
    try {
      fs.mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  makeDirs(path.dirname(file));
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    // A full disk must not also leave the half-written temporary file behind.
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export function appendLine(file: string, line: string): void {
  fs.appendFileSync(file, line.endsWith('\n') ? line : line + '\n');
}

/**
 * Fill a fresh sibling folder, then swap it in for `target` with renames, so a reader (or a crash)
 * sees either the old folder or the new one, never a mix.
 */
export async function replaceDirAtomic(target: string, fill: (dir: string) => Promise<void>): Promise<void> {
  const parent = path.dirname(target);
  makeDirs(parent);
  const tmp = path.join(parent, `.${path.basename(target)}.${process.pid}.new`);
  const old = path.join(parent, `.${path.basename(target)}.${process.pid}.old`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  await fill(tmp);
  if (fs.existsSync(target)) fs.renameSync(target, old);
  fs.renameSync(tmp, target);
  fs.rmSync(old, { recursive: true, force: true });
}
