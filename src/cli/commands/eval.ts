// `mtl eval RUN`: options → evaluateRun() → per-task table or JSON.
import type { BackendName } from '../../backend/select';
import { usageError } from '../../errors';
import { evaluateRun } from '../../train/run-eval';
import { fmt, metricsTable, type Output } from '../reporter';

export async function evalCommand(run: string, opts: { checkpoint: string; split: string; backend: BackendName; json?: boolean }, o: Output): Promise<void> {
  if (opts.checkpoint !== 'best' && opts.checkpoint !== 'last') throw usageError([{ where: {}, message: 'unknown --checkpoint', received: opts.checkpoint, allowed: 'best, last' }]);
  if (opts.split !== 'val' && opts.split !== 'test') throw usageError([{ where: {}, message: 'unknown --split', received: opts.split, allowed: 'val, test' }]);
  const { file, record } = await evaluateRun(run, { checkpoint: opts.checkpoint, split: opts.split, backend: opts.backend });
  if (opts.json) {
    o.out(JSON.stringify(record, null, 2));
    return;
  }
  o.out(`${record.split} split, checkpoint ${record.checkpoint} (epoch ${record.epoch}), ${record.samples} samples, combined loss ${fmt(record.loss)}`);
  o.out(metricsTable(record));
  o.out(`written: ${file}`);
}
