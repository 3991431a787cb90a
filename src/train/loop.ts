// Owns a whole training run in the shape of Keras' fit(): set up (setup.ts), restore on --resume, then
// a short epoch loop — train and validate (epoch.ts), hand the record to each callback (callbacks.ts,
// recorder.ts) — and the final test of the best checkpoint.
import * as path from 'node:path';
import { backendLabel, selectBackend, type BackendInfo, type BackendName } from '../backend/select';
import type { SplitData } from '../data/source';
import { MtlError } from '../errors';
import { evaluateSource, type SplitMetrics } from '../eval/evaluate';
import { evalRecord } from '../eval/record';
import { loadModelFiles } from '../model/files';
import type { Spec } from '../spec/types';
import { writeFileAtomic } from '../util/fs';
import { phaseHook } from '../util/phase-hook';
import { restoreGlobalRandom, seedGlobalRandom } from '../util/global-random';
import { validateSpecFile } from '../spec/validate';
import { BestCheckpoint, Checkpointer, EarlyStopping, EpochCheckpoints, LastCheckpoint, taskMonitors, type Callback, type EarlyStopSummary } from './callbacks';
import { deltaMCallback } from './delta-m-epoch';
import { gateDiagnosticsFor } from './gate-diagnostics';
import { runEpoch, type EpochHooks } from './epoch';
import { readPartial, type PartialEpoch } from './partial-epoch';
import { constantTargetWarnings, preflight, unusedTableWarnings } from './preflight';
import { silentReporter, type EpochRecord, type TrainReporter } from './events';
import { MetricsRecorder } from './recorder';
import { restoreInto } from './resume';
import { verifyCheckpoint } from './checkpoint';
import { commitEpoch, fsError } from './run-folder';
import { disposeRun, setupRun, writeRunConfig, type Run } from './setup';

export interface TrainOptions {
  /** Run folder; default <output.dir>/<name>-<timestamp>. */
  out?: string;
  backend?: BackendName;
  /** WASM threads (default: the cores not already busy). */
  threads?: number;
  reporter?: TrainReporter;
  /** Aborting stops after the current step, saves checkpoints/last and throws MtlError('interrupted'). */
  signal?: AbortSignal;
  /** Continue the run folder RUN from its checkpoints/last (into the same folder; `out` must be unset). */
  resume?: string;
  /** Replace a run already in `out` (else an existing run folder is refused). */
  overwrite?: boolean;
  /** A spec already validated (a seed or single-task variant, train/variants.ts) to use instead of reading specFile. */
  spec?: Spec;
}

export interface TrainResult {
  runDir: string;
  status: 'completed' | 'early-stopped';
  epochs: EpochRecord[];
  best: { epoch: number | null; value: number | null; monitor: string };
  /** status early-stopped: what early stopping watched (its monitor may differ from the checkpoint's). */
  stoppedEarly?: EarlyStopSummary;
  test?: SplitMetrics;
  backend: BackendInfo;
}

export async function train(specFile: string, opts: TrainOptions = {}): Promise<TrainResult> {
  const reporter = opts.reporter ?? silentReporter;
  const backend = await selectBackend(opts.backend ?? 'auto', { threads: opts.threads });
  await phaseHook('startup');
  const spec = opts.spec ?? validateSpecFile(specFile);
  // What training would reject at step 0 is a config error before a run folder exists; the warnings
  // are shown now and recorded in metrics.json (run.warnings).
  const warnings = preflight(spec);
  for (const w of warnings) reporter.warning?.(w);
  const r = spec.resolved;
  seedGlobalRandom(r.seed);
  try {
    return await runTraining(spec, backend, reporter, opts, warnings);
  } finally {
    restoreGlobalRandom();
  }
}

/** The callbacks of a run, in the order they see each epoch's record; the reporter shows it last. */
interface RunCallbacks {
  callbacks: Callback[];
  best: BestCheckpoint;
  recorder: MetricsRecorder;
  keep?: EpochCheckpoints;
  early?: EarlyStopping;
  midEpoch?: EpochHooks['midEpoch'];
}

function callbacksFor(run: Run, reporter: TrainReporter): RunCallbacks {
  const checkpoints = new Checkpointer(run);
  const { checkpoint, train } = run.r;
  const best = new BestCheckpoint(checkpoint, checkpoints);
  const perTask = checkpoint.perTask ? Object.entries(taskMonitors(run.r)).map(([t, m]) => new BestCheckpoint(m, checkpoints, `best-${t}`)) : [];
  const recorder = new MetricsRecorder(run, best, perTask);
  const early = train.earlyStopping ? new EarlyStopping(train.earlyStopping) : undefined;
  const keep = checkpoint.keep ? new EpochCheckpoints(run.runDir, checkpoint.keep) : undefined;
  // Δm% against the baselines goes into the record first: monitor delta-m reads it.
  const delta = deltaMCallback(run.r);
  // Early-stopping counters move before any checkpoint is written, so a resumed run stops where this one would.
  // The epoch line, then the epoch's warnings (a collapsed expert gate).
  const show: Callback = {
    epochEnd: (rec) => {
      reporter.epochEnd(rec);
      for (const w of rec.warnings ?? []) reporter.warning?.(w);
    },
  };
  // The checkpoints and metrics.json are staged, then committed as one unit (run-folder.ts).
  const commit: Callback = {
    epochEnd: (rec) => {
      commitEpoch(run.runDir, rec.epoch, () => recorder.appendEpochLine(rec));
      keep?.prune();
    },
  };
  // Gate statistics first: they fill the record the others save, and their state goes into the checkpoints.
  const gates = gateDiagnosticsFor(run);
  const callbacks: Callback[] = [...(gates ? [gates] : []), ...(delta ? [delta] : []), ...(early ? [early] : []), best, ...perTask, new LastCheckpoint(checkpoints), ...(keep ? [keep] : []), recorder, commit, show];
  checkpoints.callbacks = callbacks;
  // checkpoints/last inside an epoch (checkpoint.everySteps, Ctrl-C), committed alone (no epoch record yet).
  const midEpoch = {
    every: checkpoint.everySteps,
    save: async (p: PartialEpoch) => {
      await checkpoints.save('last', p.epoch - 1, p);
      commitEpoch(run.runDir, p.epoch - 1, () => {}, run.progress.step);
    },
  };
  return { callbacks, best, recorder, keep, early, midEpoch };
}

/** --resume: weights, optimizer slots, strategy, step counters, callbacks' state and the seeded random. */
async function restoreRun(run: Run, callbacks: Callback[]): Promise<void> {
  const point = run.resumeFrom;
  if (!point) return;
  await restoreInto(point, run.built.model, run.opt.optimizer, run.names, run.strategy);
  const st = point.state;
  for (const cb of callbacks) if (cb.stateKey) cb.restore?.(st[cb.stateKey]);
  run.progress.epochLosses.push(...st.epochLosses);
  run.progress.step = st.step;
  run.progress.skipped = typeof st.skipped === 'number' ? st.skipped : 0;
  if (st.stepMemory) Object.assign(run.parts.memory!, st.stepMemory);
  // The optimizer's slots were saved in the order of the gradients it saw; keep feeding that order.
  if (st.gradOrder) run.parts.gradOrder = st.gradOrder.map((n) => run.names.fromStable.get(n) ?? n);
  if (typeof st.rng === 'number') seedGlobalRandom(run.r.seed, st.rng);
}

async function runTraining(spec: Spec, backend: BackendInfo, reporter: TrainReporter, opts: TrainOptions, warnings: string[]): Promise<TrainResult> {
  const run = await setupRun(spec, backend, opts);
  const { r, runDir } = run;
  // Tables larger than the data, tasks with one label, and a resumed run whose data files changed
  // (it trains on other rows than it started with).
  for (const w of [...unusedTableWarnings(r, run.bundle.state), ...constantTargetWarnings(run.bundle.sources ? undefined : run.bundle.train, run.bundle.classNames, run.bundle.state), ...(run.bundle.dataChanged ?? [])]) {
    reporter.warning?.(w);
    warnings.push(w);
  }
  let recorder: MetricsRecorder | undefined;
  try {
    const cbs = callbacksFor(run, reporter);
    const { callbacks, best } = cbs;
    // A failed restore leaves the run folder as it was: nothing is written before this point.
    await restoreRun(run, callbacks);
    writeRunConfig(run);
    // A kill between a commit and its prune left one epoch checkpoint too many.
    cbs.keep?.prune();
    recorder = cbs.recorder;
    recorder.file.run.warnings = warnings;
    recorder.begin(run.resumeFrom);
    reporter.start({ runDir, backend: backendLabel(backend), epochs: r.train.epochs, stepsPerEpoch: run.stepsPerEpoch, taskNames: run.built.taskNames, samples: recorder.file.run.samples });
    let status: TrainResult['status'] = callbacks.some((cb) => cb.stop) ? 'early-stopped' : 'completed';
    for (let epoch = (run.resumeFrom?.state.epoch ?? 0) + 1; epoch <= r.train.epochs && status === 'completed'; epoch++) {
      // A mid-epoch checkpoint continues its epoch where it was written.
      const resumeFrom = run.resumeFrom?.state.partial?.epoch === epoch ? readPartial(run.resumeFrom.dir) : undefined;
      const rec = await runEpoch(run, epoch, { reporter, callbacks, signal: opts.signal, midEpoch: cbs.midEpoch, resumeFrom });
      if ('interrupted' in rec) {
        recorder.status = 'interrupted';
        const at = `after step ${rec.interrupted.steps} of ${run.stepsPerEpoch}`;
        throw new MtlError('interrupted', `interrupted during epoch ${epoch} ${at}; checkpoints/last holds the run at that step (${runDir}); continue with: mtl train ${spec.file} --resume ${runDir} (it resumes there, as if never stopped)`);
      }
      for (const cb of callbacks) await cb.epochEnd?.(rec);
      if (opts.signal?.aborted) {
        recorder.status = 'interrupted';
        throw new MtlError('interrupted', `interrupted during epoch ${epoch}, after its last step: the epoch is committed, checkpoints/last holds it (${runDir}); continue with: mtl train ${spec.file} --resume ${runDir}`);
      }
      if (callbacks.some((cb) => cb.stop)) {
        status = 'early-stopped';
        break;
      }
    }
    const test = await testBestCheckpoint(run, best.epoch !== null ? 'best' : 'last', opts.signal);
    if (test) recorder.file.test = test;
    recorder.status = status;
    const summary = best.summary();
    const stoppedEarly = status === 'early-stopped' ? cbs.early?.summary() : undefined;
    if (stoppedEarly) recorder.file.stoppedEarly = stoppedEarly;
    reporter.end({ status, best: summary, stoppedEarly, test, last: recorder.file.epochs[recorder.file.epochs.length - 1], runDir });
    return { runDir, status, epochs: recorder.file.epochs, best: summary, ...(stoppedEarly ? { stoppedEarly } : {}), test, backend };
  } catch (caught) {
    // A full or read-only disk while writing checkpoints or records: the committed epoch stays whole.
    const io = caught as NodeJS.ErrnoException;
    const e = ['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO'].includes(io?.code ?? '') ? fsError(io.path ?? runDir, io) : caught;
    if (recorder?.status === 'running' && e instanceof MtlError && e.kind === 'interrupted') recorder.status = 'interrupted';
    else if (recorder?.status === 'running') {
      recorder.status = 'failed';
      recorder.file.run.reason = e instanceof MtlError && e.kind === 'diverged' ? 'non-finite' : e instanceof MtlError ? e.kind : 'internal';
      recorder.file.run.error = e instanceof Error ? e.message : String(e);
    }
    throw e;
  } finally {
    try {
      recorder?.close();
    } catch {
      // The disk refuses even metrics.json: the error that got here says why.
    }
    disposeRun(run);
  }
}

/**
 * train.evaluateTest: the test split (when it is not the validation split) on checkpoint `which`; writes
 * eval-test.json. Ctrl-C stops it after the current batch: training is complete, only this is left.
 */
async function testBestCheckpoint(run: Run, which: 'best' | 'last', signal?: AbortSignal): Promise<SplitMetrics | undefined> {
  const { r, sets, runDir } = run;
  if (!r.train.evaluateTest || !sets.test || sets.val === sets.test) return undefined;
  await phaseHook('test-eval');
  const test = await evaluateCheckpointSet(run, which, sets.test, signal);
  if (signal?.aborted) {
    throw new MtlError('interrupted', `interrupted during the final test evaluation; training is complete (${runDir}); evaluate with: mtl eval ${runDir} --split test, or finish the run with: mtl train ${run.spec.file} --resume ${runDir}`);
  }
  writeFileAtomic(path.join(runDir, 'eval-test.json'), JSON.stringify(evalRecord(runDir, which, 'test', test, run.backend), null, 2));
  return test;
}

/** Evaluate a checkpoint's weights (loaded into a fresh model) on one split. */
async function evaluateCheckpointSet(run: Run, which: string, set: SplitData, signal?: AbortSignal): Promise<SplitMetrics> {
  const dir = path.join(run.runDir, 'checkpoints', which);
  verifyCheckpoint(dir);
  const { model } = await loadModelFiles(dir);
  try {
    return await evaluateSource(model, run.built.inputNames, run.tasks, set, run.r.train.batchSize, signal);
  } finally {
    model.dispose();
  }
}
