// `mtl train SPEC`: options → train() → reporter.
import type { BackendName } from '../../backend/select';
import { MtlError } from '../../errors';
import { train } from '../../train/loop';
import { trainReporter, type Output } from '../reporter';

export interface TrainCliOptions {
  out?: string;
  resume?: string;
  backend: BackendName;
  progress: boolean;
  json?: boolean;
}

export async function trainCommand(spec: string, opts: TrainCliOptions, o: Output, signal: AbortSignal): Promise<void> {
  if (opts.resume && opts.out) throw new MtlError('usage', '--resume continues RUN in place; drop --out');
  const reporter = trainReporter(o, { progress: opts.progress, quiet: false, summary: !opts.json });
  const res = await train(spec, { out: opts.out, resume: opts.resume, backend: opts.backend, reporter, signal });
  if (opts.json) {
    const last = res.epochs[res.epochs.length - 1];
    o.out(JSON.stringify({ runDir: res.runDir, status: res.status, backend: res.backend.name, gpu: res.backend.gpu, best: res.best, last, test: res.test ?? null }, null, 2));
  }
}
