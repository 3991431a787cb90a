// Owns one epoch: the batch loop over the training split (a trainStep per batch, running metrics,
// progress, divergence, Ctrl-C — which saves the epoch so far as a mid-epoch checkpoint), then
// validation, giving the epoch's record for the callbacks.
import * as tf from '@tensorflow/tfjs';
import { disposeBatch, type Batch } from '../data/batching';
import { toBatchSource } from '../data/source';
import { dataError, MtlError } from '../errors';
import { Accumulator, evaluateSource, toPredictions, type SplitMetrics } from '../eval/evaluate';
import { unfreezeIfDue } from '../model/pretrained';
import { DiagnosticsAccumulator, type EpochDiagnostics } from '../weighting/diagnostics';
import type { Callback } from './callbacks';
import type { EpochRecord, TrainReporter } from './events';
import type { Run } from './setup';
import { dataFields, type PartialEpoch } from './partial-epoch';
import { enterStage } from './stages';
import { disposeStepResult, refreshStepVariables, trainStep } from './step';
import { validationFeedOf } from './validation-feed';

export interface EpochHooks {
  reporter: TrainReporter;
  callbacks: Callback[];
  signal?: AbortSignal;
  /**
   * Saves a mid-epoch checkpoint: after every `every` steps of the run inside an epoch
   * (checkpoint.everySteps), and when `signal` aborts before the epoch's last step.
   */
  midEpoch?: { every?: number | null; save: (p: PartialEpoch) => Promise<void> };
  /** A mid-epoch checkpoint to continue this epoch from (--resume). */
  resumeFrom?: PartialEpoch;
}

interface EpochTotals {
  train: SplitMetrics;
  steps: number;
  /** Mean effective weight of each task over the epoch's steps. */
  weights: Record<string, number>;
  learningRate: number;
  samples: number;
  diagnostics: EpochDiagnostics;
  /** Steps not applied because of a NaN/Inf loss or gradient (train.onNonFinite: skip-batch). */
  skippedSteps?: number;
  /** Batches drawn from each task's source (task-specific sources only). */
  taskBatches?: Record<string, number>;
}

/** A validation split without a labelled row of a task: val.loss, their weighted sum, has no value. */
function noValidationLabels(names: string[]): MtlError {
  const list = names.map((n) => `"${n}"`).join(', ');
  return dataError([{ where: { path: 'data' }, message: `the validation rows have no label for task ${list}, so its validation loss — and val.loss, the weighted sum of the tasks' — has no value`, hint: 'give those labels in the validation data, or let train.validation hold out labelled training rows' }]);
}

/** An epoch interrupted before its end (Ctrl-C): checkpoints/last holds it after `steps` of its steps. */
export interface EpochInterrupted {
  interrupted: { epoch: number; steps: number };
}

/**
 * Train one epoch and validate: the record the callbacks receive (best fields still to be filled), or,
 * after Ctrl-C inside it, where its mid-epoch checkpoint stands (no validation, no record).
 */
export async function runEpoch(run: Run, epoch: number, hooks: EpochHooks): Promise<EpochRecord | EpochInterrupted> {
  const { r, built, tasks } = run;
  const t0 = performance.now() - (hooks.resumeFrom?.seconds ?? 0) * 1000;
  hooks.reporter.epochStart(epoch, r.train.epochs, run.stepsPerEpoch);
  enterStage(run, epoch);
  // The pretrained backbone's weights join the variables the step differentiates and updates.
  if (unfreezeIfDue(r.backbone, built.model, epoch)) refreshStepVariables(run.parts);
  const totals = await trainEpoch(run, epoch, t0, hooks);
  if ('interrupted' in totals) return totals;
  const trainSeconds = (performance.now() - t0) / 1000;
  run.progress.epochLosses.push(tasks.map((task) => totals.train.tasks[task.name].loss));
  const val = run.sets.val ? await evaluateSource(built.model, built.inputNames, tasks, run.sets.val, r.train.batchSize) : undefined;
  if (val?.unlabelled) throw noValidationLabels(val.unlabelled);
  const badVal = val ? tasks.filter((t) => !Number.isFinite(val.tasks[t.name].loss)) : [];
  if (badVal.length) {
    const what = badVal.map((t) => `task "${t.name}" loss is ${val!.tasks[t.name].loss}`).join(', ');
    throw new MtlError('diverged', [{ where: {}, message: `non-finite validation at epoch ${epoch}: ${what}; ${keptCheckpoints(epoch)}`, hint: 'lower train.optimizer.learningRate or set train.clipNorm' }]);
  }
  return {
    epoch,
    ...(run.stage ? { stage: run.stage.plan[run.stage.index].name } : {}),
    steps: totals.steps,
    train: totals.train,
    ...(val ? { val } : {}),
    ...(totals.taskBatches ? { taskBatches: totals.taskBatches } : {}),
    weights: totals.weights,
    learningRate: totals.learningRate,
    wallTime: (performance.now() - t0) / 1000,
    samplesPerSecond: totals.samples / Math.max(trainSeconds, 1e-9),
    bestEpoch: null,
    bestValue: null,
    diagnostics: totals.diagnostics,
    ...(totals.skippedSteps ? { skippedSteps: totals.skippedSteps } : {}),
  };
}

/**
 * The batch loop: at most stepsPerEpoch steps; stops (after a whole step) when `signal` aborts, saving
 * the epoch so far unless that step was its last (so that --resume continues it exactly).
 * A batch with no labelled task is not a step (docs/weighting.md, partial labels): it does not count
 * toward stepsPerEpoch nor enter the averages; a task's running loss is its mean over the steps where
 * it was present.
 */
async function trainEpoch(run: Run, epoch: number, t0: number, hooks: EpochHooks): Promise<EpochTotals | EpochInterrupted> {
  const { r, tasks, progress } = run;
  const acc = new Accumulator(tasks);
  const diag = new DiagnosticsAccumulator(run.built.taskNames);
  const sums: EpochSums = { acc, diag, lossSums: new Array<number>(tasks.length).fill(0), lossCounts: new Array<number>(tasks.length).fill(0), weightSums: new Array<number>(tasks.length).fill(0), callbacks: hooks.callbacks };
  let done = 0;
  let applied = 0;
  let skipped = 0;
  let lr = 0;
  let taskBatches: Record<string, number> | undefined;
  let batches = 0;
  const from = hooks.resumeFrom;
  if (from) {
    // The epoch so far, from a mid-epoch checkpoint: the batches it consumed are skipped below.
    Object.assign(acc, from.acc);
    Object.assign(diag, from.diag);
    Object.assign(sums, { lossSums: [...from.lossSums], lossCounts: [...from.lossCounts], weightSums: [...from.weightSums] });
    [done, applied, skipped, lr, taskBatches] = [from.done, from.applied, from.skipped, from.learningRate, from.taskBatches];
  }
  for await (const batch of toBatchSource(run.sets.train).batches({ batchSize: r.train.batchSize, shuffle: r.train.shuffle, seed: r.seed, epoch })) {
    if (from && batches < from.batches) {
      batches++;
      disposeBatch(batch);
      continue;
    }
    if (done >= run.stepsPerEpoch) {
      disposeBatch(batch);
      break;
    }
    batches++;
    if (batch.sources) for (const t of batch.sources) (taskBatches ??= Object.fromEntries(tasks.map((x) => [x.name, 0])))[t]++;
    lr = run.schedule(progress.step);
    const validation = await validationFeedOf(run)?.batchFor(progress.step);
    const outcome = step(run, batch, epoch, done + 1, lr, sums, validation);
    if (outcome === 'unlabelled') continue;
    done++;
    if (outcome === 'non-finite') skipped++;
    else applied++;
    hooks.reporter.step({
      epoch,
      step: done,
      steps: run.stepsPerEpoch,
      samples: acc.samples,
      seconds: (performance.now() - t0) / 1000,
      losses: Object.fromEntries(tasks.map((task, t) => [task.name, sums.lossSums[t] / Math.max(sums.lossCounts[t], 1)])),
    });
    // In-memory batches resolve as microtasks, so without this the event loop would never run
    // during an epoch: no Ctrl-C handler, no progress-bar redraw until the epoch ends.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const mid = hooks.midEpoch;
    const snapshot = (): PartialEpoch => {
      const { lossSums, lossCounts, weightSums } = sums;
      const counts = { batches, done, applied, skipped, taskBatches };
      return { epoch, ...counts, learningRate: lr, lossSums, lossCounts, weightSums, seconds: (performance.now() - t0) / 1000, acc: dataFields(acc, ['tasks']), diag: dataFields(diag, ['taskNames']) };
    };
    if (hooks.signal?.aborted) {
      if (done >= run.stepsPerEpoch || !mid) break;
      await mid.save(snapshot());
      return { interrupted: { epoch, steps: done } };
    }
    if (mid?.every && progress.step % mid.every === 0 && done < run.stepsPerEpoch) await mid.save(snapshot());
  }
  return {
    train: acc.result(),
    steps: done,
    // Over the steps where the task was present: an absent task's 0 is no weight the method chose.
    weights: Object.fromEntries(tasks.map((task, t) => [task.name, sums.weightSums[t] / Math.max(sums.lossCounts[t], 1)])),
    learningRate: lr,
    samples: acc.samples,
    diagnostics: diag.result(run.strategy),
    ...(skipped ? { skippedSteps: skipped } : {}),
    ...(taskBatches ? { taskBatches } : {}),
  };
}

interface EpochSums {
  acc: Accumulator;
  diag: DiagnosticsAccumulator;
  lossSums: number[];
  /** Steps in which each task was present (its running loss is a mean over those). */
  lossCounts: number[];
  weightSums: number[];
  callbacks: Callback[];
}

/**
 * One train step on `batch` (then freed), its callbacks and running sums. 'unlabelled': no task was
 * labelled, nothing trained, not a step; 'non-finite': a NaN/Inf loss or gradient, the update was not
 * applied (train.onNonFinite).
 */
function step(run: Run, batch: Batch, epoch: number, inEpoch: number, learningRate: number, sums: EpochSums, validation?: Batch): 'applied' | 'unlabelled' | 'non-finite' {
  const { built, tasks, progress } = run;
  const every = run.diagnostics.every;
  const diagnose = every > 0 && progress.step % every === 0 ? { cosine: run.diagnostics.cosine } : undefined;
  const res = trainStep(run.parts, batch, { step: progress.step, epoch, learningRate, epochLosses: progress.epochLosses, diagnose, checkFinite: true, ...(validation ? { validation } : {}) });
  // An unlabelled batch is not a step: its validation batch serves the next one.
  if (validation) {
    if (res.present.length) disposeBatch(validation);
    else run.validationFeed?.giveBack(validation);
  }
  if (!res.present.length) {
    // No task labelled in this batch: nothing was trained; counted (diagnostics.skippedBatches), not a step.
    sums.diag.skip();
    disposeStepResult(res);
    disposeBatch(batch);
    return 'unlabelled';
  }
  const l = Array.from(res.taskLosses.dataSync());
  if (res.finite === false || !l.every(Number.isFinite)) {
    disposeStepResult(res);
    disposeBatch(batch);
    nonFinite(run, epoch, inEpoch, l);
    progress.step++;
    return 'non-finite';
  }
  sums.diag.add(res.backwardPasses, res.recomputed, res.diagnostics, res.present);
  for (const cb of sums.callbacks) cb.stepEnd?.({ epoch, step: progress.step, result: res });
  const w = res.weights.dataSync();
  tasks.forEach((task, t) => {
    tf.tidy(() => sums.acc.add(t, l[t], toPredictions(task, res.outputs[t], { mask: batch.masks[task.name], model: built.model }), batch.targets[task.name], batch.masks[task.name]));
    sums.weightSums[t] += w[t];
  });
  for (const t of res.present) {
    sums.lossSums[t] += l[t];
    sums.lossCounts[t]++;
  }
  sums.acc.samples += batch.size;
  disposeStepResult(res);
  disposeBatch(batch);
  progress.step++;
  return 'applied';
}

/** A step with a NaN/Inf loss or gradient (not applied): count it under skip-batch, else stop the run. */
function nonFinite(run: Run, epoch: number, inEpoch: number, losses: number[]): void {
  const { r, progress } = run;
  const bad = run.tasks.map((t, i) => [t.name, losses[i]] as const).filter(([, v]) => !Number.isFinite(v));
  const what = bad.length ? bad.map(([n, v]) => `task "${n}" loss is ${v}`).join(', ') : `a gradient is NaN/Inf (losses ${run.tasks.map((t, i) => `${t.name} ${losses[i]}`).join(', ')})`;
  const where = `epoch ${epoch}, step ${inEpoch} (step ${progress.step + 1} of the run)`;
  if (r.train.onNonFinite === 'skip-batch' && ++progress.skipped <= r.train.maxSkippedSteps) return;
  const why = r.train.onNonFinite === 'skip-batch' ? `; ${progress.skipped} steps skipped, more than train.maxSkippedSteps (${r.train.maxSkippedSteps})` : '';
  throw new MtlError('diverged', [
    {
      where: {},
      message: `non-finite training at ${where}: ${what}${why}; the update was not applied, ${keptCheckpoints(epoch)}`,
      hint: 'lower train.optimizer.learningRate, set train.clipNorm, or set train.onNonFinite: skip-batch',
    },
  ]);
}

function keptCheckpoints(epoch: number): string {
  return epoch > 1 ? `checkpoints/last stays at epoch ${epoch - 1} and checkpoints/best at the best epoch before` : 'no checkpoint was written';
}
