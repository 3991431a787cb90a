// Owns RUN/data-state.json: what a data recipe learnt from the training rows (category and token
// vocabularies, normalisation statistics), written with the run and read back by eval and resume.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataError } from '../errors';
import { writeFileAtomic } from '../util/fs';

export const DATA_STATE_FILE = 'data-state.json';

export function writeDataState(runDir: string, state: unknown): void {
  if (state !== undefined) writeFileAtomic(path.join(runDir, DATA_STATE_FILE), JSON.stringify(state, null, 1));
}

/** The run's data state, or undefined when the run has none (recipes that learn nothing). */
export function readDataState(runDir: string): unknown {
  const file = path.join(runDir, DATA_STATE_FILE);
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw dataError([{ where: { file }, message: `cannot read the run's data state: ${(e as Error).message}` }]);
  }
}
