// Owns what a mid-epoch checkpoint (checkpoint.everySteps) keeps of the epoch so far: the steps taken,
// the running sums, and the epoch's metric and diagnostics accumulators, in partial.bin. Node's v8
// serialisation keeps typed arrays and doubles exact, so a resumed epoch ends with the same record as
// an uninterrupted one. The accumulators are copied field by field, without what they were built from
// (task runtimes, task names), which the resumed run builds again.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { checkpointError } from '../errors';

export const PARTIAL_FILE = 'partial.bin';

export interface PartialEpoch {
  epoch: number;
  /** Batches of the epoch already consumed (the resumed epoch skips that many; a batch with no labelled task is no step). */
  batches: number;
  /** Steps of the epoch taken, applied, and skipped as non-finite. */
  done: number;
  applied: number;
  skipped: number;
  /** data.sampling: batches drawn per task so far. */
  taskBatches?: Record<string, number>;
  learningRate: number;
  lossSums: number[];
  lossCounts: number[];
  weightSums: number[];
  /** Seconds the epoch had run. */
  seconds: number;
  acc: Record<string, unknown>;
  diag: Record<string, unknown>;
}

/** The data fields of `o`, leaving out `built` (what its constructor received). */
export function dataFields(o: object, built: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !built.includes(k)));
}

export function encodePartial(p: PartialEpoch): Uint8Array {
  return v8.serialize(p);
}

export function readPartial(dir: string): PartialEpoch {
  const file = path.join(dir, PARTIAL_FILE);
  try {
    return v8.deserialize(fs.readFileSync(file)) as PartialEpoch;
  } catch (e) {
    throw checkpointError([{ where: { file }, message: `unreadable mid-epoch state: ${(e as Error).message}`, hint: 'resume from an intact run folder, or train again' }]);
  }
}
