// `mtl train SPEC`: options → train() → reporter.
import { selectBackend, type BackendName } from '../../backend/select';
import { MtlError } from '../../errors';
import { memberSpec, membership, recordMember } from '../../train/group-resume';
import { trainSeeds, trainSingleTask } from '../../train/groups';
import { train } from '../../train/loop';
import type { Spec } from '../../spec/types';
import { validateSpecFile } from '../../spec/validate';
import { trainReporter, type Output } from '../reporter';

export interface TrainCliOptions {
  out?: string;
  resume?: string;
  overwrite?: boolean;
  backend: BackendName;
  threads?: number;
  progress: boolean;
  json?: boolean;
  seeds?: string;
  singleTask?: boolean;
}

function seedCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new MtlError('usage', [{ where: {}, message: '--seeds takes a whole number of runs', received: v, allowed: '1, 2, 3, …' }]);
  return n;
}

/** --seeds N and --single-task: a group of runs in one parent folder (train/groups.ts). */
async function trainGroup(spec: string, opts: TrainCliOptions, seeds: number, o: Output, signal: AbortSignal, checked?: Spec): Promise<void> {
  const reporter = trainReporter(o, { progress: opts.progress, quiet: false, summary: false });
  const run = opts.singleTask ? trainSingleTask : trainSeeds;
  const res = await run(spec, { seeds, out: opts.out, overwrite: opts.overwrite, backend: opts.backend, threads: opts.threads, reporter, signal, onRun: (label) => o.err(`\n== ${label}`), ...(checked ? { validated: checked } : {}) });
  if (opts.json) {
    o.out(JSON.stringify({ parent: res.parent, runs: res.runs.map((r) => ({ runDir: r.runDir, status: r.status, best: r.best, test: r.test ?? null })) }, null, 2));
    return;
  }
  o.out(`${res.runs.length} runs in ${res.parent}`);
  o.out(`compare them: mtl compare ${res.parent}${opts.singleTask ? ' --baseline … (this folder is a single-task baseline)' : ''}`);
}

/** The validated spec, to read train.seeds (handed on to train() or the group, which would validate it again). */
async function validated(spec: string, opts: TrainCliOptions): Promise<Spec> {
  await selectBackend(opts.backend, { threads: opts.threads });
  return validateSpecFile(spec);
}

export async function trainCommand(spec: string, opts: TrainCliOptions, o: Output, signal: AbortSignal): Promise<void> {
  if (opts.resume !== undefined && opts.out !== undefined) throw new MtlError('usage', '--resume continues RUN in place; drop --out');
  if (opts.resume !== undefined && opts.overwrite) throw new MtlError('usage', '--resume continues RUN; --overwrite replaces a run: choose one');
  const flagSeeds = opts.seeds !== undefined ? seedCount(opts.seeds) : undefined;
  if (opts.resume && ((flagSeeds ?? 1) > 1 || opts.singleTask)) throw new MtlError('usage', '--resume continues one run folder; it does not combine with --seeds or --single-task');
  // --seeds N, else the spec's train.seeds; a resume continues one run (of a group, too).
  const checked = flagSeeds === undefined && !opts.resume ? await validated(spec, opts) : undefined;
  const seeds = flagSeeds ?? checked?.resolved.train.seeds ?? 1;
  if (seeds > 1 || opts.singleTask) return trainGroup(spec, opts, seeds, o, signal, checked);
  // A member of a group (seed-<n>, task-<t>) resumes under the variant of SPEC it was trained on.
  const member = opts.resume !== undefined ? membership(opts.resume) : undefined;
  const base = member ? await validated(spec, opts) : undefined;
  const variant = member && base ? memberSpec(base, member) : checked;
  const reporter = trainReporter(o, { progress: opts.progress, quiet: false, summary: !opts.json });
  const res = await train(spec, { out: opts.out, resume: opts.resume, overwrite: opts.overwrite, backend: opts.backend, threads: opts.threads, reporter, signal, ...(variant ? { spec: variant } : {}) });
  if (member && base) recordMember(member, base);
  if (opts.json) {
    const last = res.epochs[res.epochs.length - 1];
    o.out(JSON.stringify({ runDir: res.runDir, status: res.status, backend: res.backend.name, gpu: res.backend.gpu, best: res.best, ...(res.stoppedEarly ? { stoppedEarly: res.stoppedEarly } : {}), last, test: res.test ?? null }, null, 2));
  }
}
