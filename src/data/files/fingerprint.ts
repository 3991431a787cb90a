// Owns the fingerprints of a run's data files (size and SHA-256, saved in RUN/data-state.json) and the
// check that eval, predict and --resume read the same files: validation and test rows drawn from the
// training file (testFraction, train.validation) are a hash of the row's position, so a file reordered,
// appended to or edited after training silently moves training rows into the test split.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';

export interface FileFingerprint {
  bytes: number;
  sha256: string;
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Size and SHA-256 of every regular file among `files` (folders of images are left out). */
export async function fingerprintFiles(files: Iterable<string>): Promise<Record<string, FileFingerprint>> {
  const out: Record<string, FileFingerprint> = {};
  for (const f of new Set(files)) {
    const st = fs.statSync(f, { throwIfNoEntry: false });
    if (st?.isFile()) out[f] = { bytes: st.size, sha256: await sha256(f) };
  }
  return out;
}

/** One line per file the run trained on that is now different or gone (files it did not record are not judged). */
export function changedFiles(trained: Record<string, FileFingerprint> | undefined, now: Record<string, FileFingerprint>): string[] {
  const out: string[] = [];
  for (const [f, was] of Object.entries(trained ?? {})) {
    const is = now[f];
    if (is && is.sha256 === was.sha256) continue;
    const how = is ? `${was.bytes} bytes, sha256 ${was.sha256.slice(0, 12)}… when the run trained; now ${is.bytes} bytes, ${is.sha256.slice(0, 12)}…` : 'not read now';
    out.push(`the data file ${f} has changed since the run trained (${how}): it is not the data the run was trained and tested on, and validation and test rows drawn from a training file (testFraction, train.validation) are no longer the ones training held out, so these numbers can include training rows`);
  }
  return out;
}
