// Owns the eval-<split>.json record (written by `mtl eval` and by training's final test) and the
// version number the run folder's metrics files carry.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackendInfo } from '../backend/select';
import { readJson } from '../model/files';
import type { SplitMetrics } from './evaluate';

export const METRICS_VERSION = 1;

/**
 * The record of one checkpoint of RUN measured on one split: its epoch read from the checkpoint's
 * state.json (`dir`: a checkpoint folder given by path; null for a plain model folder without one).
 */
export function evalRecord(runDir: string, checkpoint: string, split: string, m: SplitMetrics, backend: BackendInfo, dir = path.join(runDir, 'checkpoints', checkpoint)): object {
  const state = fs.existsSync(path.join(dir, 'state.json')) ? readJson<{ epoch: number }>(path.join(dir, 'state.json')) : { epoch: null };
  return {
    version: METRICS_VERSION,
    run: runDir,
    checkpoint,
    epoch: state.epoch,
    split,
    backend: { name: backend.name, gpu: backend.gpu },
    evaluatedAt: new Date().toISOString(),
    ...m,
  };
}
