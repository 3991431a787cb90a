// Test helper: a tiny run stopped (Ctrl-C) after epoch 2 of 4 on the cpu backend, and the state SIGKILL
// would leave it in — for the tests of what eval and predict say about a run that did not finish.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MtlError } from '../../src/errors';
import { silentReporter } from '../../src/train/events';
import { train } from '../../src/train/loop';
import { TINY_SPEC } from './tiny';

/** Trains TINY_SPEC (4 epochs, batch 4) into dir/run and interrupts it after epoch 2; its spec and run folder. */
export async function interruptedRun(dir: string): Promise<{ spec: string; run: string }> {
  const spec = path.join(dir, 'st.yaml');
  fs.writeFileSync(spec, `${TINY_SPEC}train: {epochs: 4, batchSize: 4}\n`);
  const run = path.join(dir, 'run');
  const stop = new AbortController();
  const reporter = { ...silentReporter, epochEnd: (rec: { epoch: number }) => (rec.epoch === 2 ? stop.abort() : undefined) };
  await assert.rejects(train(spec, { out: run, backend: 'cpu', signal: stop.signal, reporter }), (e: unknown) => e instanceof MtlError && e.kind === 'interrupted');
  return { spec, run };
}

/** What SIGKILL leaves: metrics.json still "running" (the lock's process is gone). */
export function markKilled(run: string): void {
  const mf = path.join(run, 'metrics.json');
  const m = JSON.parse(fs.readFileSync(mf, 'utf8'));
  m.run.status = 'running';
  fs.writeFileSync(mf, JSON.stringify(m));
}
