// Owns a whole training run: backend, validation, data, model, epochs with validation, checkpoints,
// early stopping, the run folder (config.resolved.yaml, metrics.json, metrics.jsonl) and the final test.
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { selectBackend, type BackendInfo, type BackendName } from '../backend/select';
import { disposeBatch, splitValidation } from '../data/batching';
import { dataRecipes } from '../data/index';
import { toBatchSource, type SplitData } from '../data/source';
import { readDataState, writeDataState } from '../data/state';
import type { ArraySet, DataBundle } from '../data/types';
import { dataError, MtlError, type Problem } from '../errors';
import { Accumulator, evaluateSource, taskRuntimes, toPredictions, type SplitMetrics, type TaskRuntime } from '../eval/evaluate';
import { buildModel, stepVariables, type BuiltModel } from '../model/build';
import { unfreezeIfDue } from '../model/pretrained';
import { optimizers } from '../optim/optimizers';
import { schedules } from '../optim/schedules';
import { validateSpecFile } from '../spec/validate';
import type { ResolvedSpec, Spec } from '../spec/types';
import { appendLine, writeFileAtomic } from '../util/fs';
import { globalRandomState, restoreGlobalRandom, seedGlobalRandom } from '../util/global-random';
import { packageVersion } from '../util/paths';
import { DiagnosticsAccumulator, strategyRecord } from '../weighting/diagnostics';
import { strategies } from '../weighting/index';
import { diagnosticsEvery, weightingOptions } from '../weighting/options';
import { loadModelFiles, readCheckpointState, saveCheckpoint, variableNames, type CheckpointState } from './checkpoint';
import { silentReporter, type EpochRecord, type TrainReporter } from './events';
import { readResumePoint, restoreInto, trimRecords } from './resume';
import { disposeStepResult, trainStep, type StepMemory, type StepParts } from './step';

export interface TrainOptions {
  /** Run folder; default <output.dir>/<name>-<timestamp>. */
  out?: string;
  backend?: BackendName;
  reporter?: TrainReporter;
  /** Aborting stops after the current step, saves checkpoints/last and throws MtlError('interrupted'). */
  signal?: AbortSignal;
  /** Continue the run folder RUN from its checkpoints/last (into the same folder; `out` must be unset). */
  resume?: string;
}

export interface TrainResult {
  runDir: string;
  status: 'completed' | 'early-stopped';
  epochs: EpochRecord[];
  best: { epoch: number | null; value: number | null; monitor: string };
  test?: SplitMetrics;
  backend: BackendInfo;
}

export const METRICS_VERSION = 1;

function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Read a monitored quantity (val.loss, train.left.accuracy, …) from an epoch record. */
export function monitorValue(rec: EpochRecord, monitor: string): number | undefined {
  const [split, a, b] = monitor.split('.');
  const m = split === 'val' ? rec.val : rec.train;
  if (!m) return undefined;
  return b === undefined ? (a === 'loss' ? m.loss : undefined) : m.tasks[a]?.[b];
}

const improves = (v: number, best: number | null, mode: 'min' | 'max', minDelta = 0) =>
  best === null || (mode === 'min' ? v < best - minDelta : v > best + minDelta);

/** Data problems found before training: shapes and label ranges against the built model. */
export function checkData(bundle: DataBundle, spec: ResolvedSpec, built: BuiltModel): void {
  const problems: Problem[] = [];
  // Batch sources (the files data type) check every row against the spec while they load.
  if (bundle.sources) return;
  const splits: Array<[string, ArraySet | undefined]> = [['train', bundle.train], ['val', bundle.val], ['test', bundle.test]];
  for (const [split, set] of splits) {
    if (!set) continue;
    if (set.size === 0) problems.push({ where: { path: `data.${split}` }, message: `the ${split} split is empty` });
    for (const [name, input] of Object.entries(spec.inputs)) {
      const col = set.inputs[name];
      if (!col) problems.push({ where: { path: `data.${split}` }, message: `no column for input "${name}"` });
      else if (col.shape.join(',') !== input.shape.join(',')) problems.push({ where: { path: `data.${split}` }, message: `input "${name}" rows have shape [${col.shape}]`, allowed: `[${input.shape}] (inputs.${name}.shape)` });
    }
    built.taskNames.forEach((t, i) => {
      const col = set.targets[t];
      if (!col) {
        problems.push({ where: { path: `data.${split}` }, message: `no target column for task "${t}"` });
        return;
      }
      if (spec.tasks[t].type !== 'classification') return;
      const out = built.model.outputs[i].shape;
      const classes = out[out.length - 1] as number;
      // A token-level head (batch, steps, classes) reads `per` labels a row, masked per row or per token.
      const per = out.length === 3 ? col.data.length / Math.max(set.size, 1) : 1;
      const perTokenMask = col.mask !== undefined && col.mask.length !== set.size;
      for (let k = 0; k < set.size * per; k++) {
        const v = col.data[k];
        const r = Math.floor(k / per);
        if ((!col.mask || col.mask[perTokenMask ? k : r]) && (v < 0 || v >= classes || !Number.isInteger(v))) {
          problems.push({ where: { path: `data.${split}`, row: r + 1 }, message: `label ${v} of task "${t}" is not a class index`, allowed: `0..${classes - 1} (the head has ${classes} units)` });
          break;
        }
      }
    });
  }
  if (problems.length) throw dataError(problems);
}

/** `state`: a run's data-state.json, so that eval encodes the data exactly as training did. */
export async function loadData(spec: Spec, state?: unknown): Promise<DataBundle> {
  const r = spec.resolved;
  return dataRecipes.get(r.data.type).create(r.data, { seed: r.seed, specDir: spec.specDir, validation: r.train.validation, ...(state !== undefined ? { state } : {}) });
}

/** Validation split per train.validation: a held-out fraction, the test split, or none. */
export function splitsFor(r: ResolvedSpec, bundle: DataBundle): { train: SplitData; val?: SplitData; test?: SplitData } {
  const v = r.train.validation;
  const src = bundle.sources;
  if (src) return { train: src.train, val: v === 'none' ? undefined : v === 'test' ? src.test : src.val, test: src.test };
  if (typeof v === 'number' && !bundle.val) {
    const { train, val } = splitValidation(bundle.train, v, r.seed);
    return { train, val, test: bundle.test };
  }
  if (v === 'test') return { train: bundle.train, val: bundle.test, test: bundle.test };
  return { train: bundle.train, val: v === 'none' ? undefined : bundle.val, test: bundle.test };
}

export async function train(specFile: string, opts: TrainOptions = {}): Promise<TrainResult> {
  const reporter = opts.reporter ?? silentReporter;
  const backend = await selectBackend(opts.backend ?? 'auto');
  const spec = validateSpecFile(specFile);
  const r = spec.resolved;
  seedGlobalRandom(r.seed);
  try {
    return await runTraining(spec, backend, reporter, opts);
  } finally {
    restoreGlobalRandom();
  }
}

async function runTraining(spec: Spec, backend: BackendInfo, reporter: TrainReporter, opts: TrainOptions): Promise<TrainResult> {
  const r = spec.resolved;
  const resumeFrom = opts.resume ? readResumePoint(opts.resume, r, spec.file) : undefined;
  const bundle = await loadData(spec, resumeFrom ? readDataState(resumeFrom.runDir) : undefined);
  const built = buildModel(r);
  checkData(bundle, r, built);
  const { train: trainSet, val: valSet, test: testSet } = splitsFor(r, bundle);

  const startedAt = new Date();
  const runDir = resumeFrom ? resumeFrom.runDir : path.resolve(opts.out ?? path.join(r.output.dir, `${r.name}-${timestamp(startedAt)}`));
  fs.mkdirSync(runDir, { recursive: true });
  writeFileAtomic(path.join(runDir, 'config.resolved.yaml'), `# Written by mtl ${packageVersion()} from ${spec.file}: every default filled in.\n${stringify(r)}`);
  writeDataState(runDir, bundle.state);

  const tasks: TaskRuntime[] = taskRuntimes(r);
  const T = tasks.length;
  const strategy = strategies.get(r.weighting.method).create(r.weighting, { taskNames: built.taskNames, taskWeights: tasks.map((t) => t.weight), seed: r.seed });
  const opt = optimizers.get(r.train.optimizer.type).create(r.train.optimizer, undefined);
  const fullSteps = Math.ceil((trainSet.size ?? (r.train.stepsPerEpoch ?? 1) * r.train.batchSize) / r.train.batchSize);
  const stepsPerEpoch = Math.min(fullSteps, r.train.stepsPerEpoch ?? fullSteps);
  const schedule = schedules.get(r.train.schedule.type).create(r.train.schedule, {
    baseLearningRate: r.train.optimizer.learningRate as number,
    stepsPerEpoch,
    totalSteps: stepsPerEpoch * r.train.epochs,
  });
  const wopts = weightingOptions(r.weighting);
  const diagEvery = diagnosticsEvery(wopts, strategy.needs);
  const memory: StepMemory = { weights: null, headWeights: null };
  const parts: StepParts = {
    gradSpace: wopts.gradSpace,
    updateEvery: wopts.updateEvery,
    memory,
    built,
    lossFns: tasks.map((t) => t.lossFn),
    strategy,
    opt,
    clipNorm: r.train.clipNorm,
    ...stepVariables(built),
  };
  const names = variableNames(built.model);
  const metadata = { mtl: { version: packageVersion(), tasks: built.taskNames, inputs: built.inputNames, groups: built.groups } };

  const metricsFile = {
    version: METRICS_VERSION,
    run: {
      name: r.name,
      spec: path.resolve(spec.file),
      runDir,
      status: 'running' as string,
      backend: { name: backend.name, package: backend.package, gpu: backend.gpu, gpuDevice: backend.gpuDevice ?? null },
      seed: r.seed,
      startedAt: startedAt.toISOString(),
      endedAt: null as string | null,
      mtlVersion: packageVersion(),
      tfjsVersion: tf.version.tfjs,
      node: process.version,
      data: bundle.source,
      samples: { train: trainSet.size ?? 0, val: valSet?.size ?? 0, test: testSet?.size ?? 0 },
    },
    tasks: Object.fromEntries(tasks.map((t) => [t.name, { type: t.type, loss: r.tasks[t.name].loss.type, weight: t.weight, metrics: t.metrics.map((m) => m.key) }])),
    weighting: r.weighting.method,
    checkpoint: r.checkpoint,
    earlyStopping: r.train.earlyStopping,
    epochs: [] as EpochRecord[],
    best: { epoch: null as number | null, value: null as number | null, monitor: r.checkpoint.monitor },
    test: undefined as SplitMetrics | undefined,
  };
  const writeMetrics = () => writeFileAtomic(path.join(runDir, 'metrics.json'), JSON.stringify(metricsFile, null, 2));
  const epochLosses: number[][] = [];
  let step = 0;
  let sinceImprovement = 0;
  let esBest: number | null = null;
  if (resumeFrom) {
    await restoreInto(resumeFrom, built.model, opt.optimizer, names, strategy);
    const st = resumeFrom.state;
    const old = trimRecords(resumeFrom);
    metricsFile.epochs = old.epochs;
    if (old.startedAt) metricsFile.run.startedAt = old.startedAt;
    Object.assign(metricsFile.run, { resumed: old.resumed });
    metricsFile.best = { ...st.best, monitor: r.checkpoint.monitor };
    epochLosses.push(...st.epochLosses);
    step = st.step;
    esBest = st.earlyStopping?.best ?? null;
    sinceImprovement = st.earlyStopping?.sinceImprovement ?? 0;
    if (st.stepMemory) Object.assign(memory, st.stepMemory);
    // The optimizer's slots were saved in the order of the gradients it saw; keep feeding that order.
    if (st.gradOrder) parts.gradOrder = st.gradOrder.map((n) => names.fromStable.get(n) ?? n);
    if (typeof st.rng === 'number') seedGlobalRandom(r.seed, st.rng);
    writeMetrics();
  } else {
    writeMetrics();
    fs.writeFileSync(path.join(runDir, 'metrics.jsonl'), '');
  }

  reporter.start({ runDir, backend: backend.name, epochs: r.train.epochs, stepsPerEpoch, taskNames: built.taskNames, samples: metricsFile.run.samples });

  let status: TrainResult['status'] = 'completed';
  const ckptState = (epoch: number): CheckpointState => ({
    epoch,
    step,
    best: metricsFile.best,
    strategy: strategy.state(),
    epochLosses,
    earlyStopping: { best: esBest, sinceImprovement },
    stepMemory: memory,
    gradOrder: (parts.gradOrder ?? []).map((n) => names.toStable.get(n) ?? n),
    rng: globalRandomState(),
  });
  const save = (name: string, epoch: number) => saveCheckpoint(path.join(runDir, 'checkpoints', name), { model: built.model, optimizer: opt.optimizer, names, state: ckptState(epoch), metadata });

  try {
    for (let epoch = (resumeFrom?.state.epoch ?? 0) + 1; epoch <= r.train.epochs; epoch++) {
      const t0 = performance.now();
      reporter.epochStart(epoch, r.train.epochs, stepsPerEpoch);
      if (unfreezeIfDue(r.backbone, built.model, epoch)) {
        // The pretrained backbone's weights join the variables the step differentiates and updates.
        Object.assign(parts, stepVariables(built));
      }
      const acc = new Accumulator(tasks);
      const diag = new DiagnosticsAccumulator(built.taskNames);
      const lossSums = new Array<number>(T).fill(0);
      const weightSums = new Array<number>(T).fill(0);
      let done = 0;
      let lr = 0;
      for await (const batch of toBatchSource(trainSet).batches({ batchSize: r.train.batchSize, shuffle: r.train.shuffle, seed: r.seed, epoch })) {
        if (done >= stepsPerEpoch) {
          disposeBatch(batch);
          break;
        }
        lr = schedule(step);
        const diagnose = diagEvery > 0 && step % diagEvery === 0 ? { cosine: wopts.diagnostics.cosine } : undefined;
        const res = trainStep(parts, batch, { step, epoch, learningRate: lr, epochLosses, diagnose });
        diag.add(res.backwardPasses, res.recomputed, res.diagnostics);
        if (res.diagnostics) {
          const wNow = Array.from(res.weights.dataSync());
          appendLine(
            path.join(runDir, 'metrics.jsonl'),
            JSON.stringify({
              type: 'step',
              epoch,
              step,
              weights: Object.fromEntries(built.taskNames.map((t, i) => [t, wNow[i]])),
              gradNorms: Object.fromEntries(built.taskNames.map((t, i) => [t, res.diagnostics!.gradNorms[i]])),
              ...(res.diagnostics.cosine ? { cosine: res.diagnostics.cosine } : {}),
              backwardPasses: res.backwardPasses,
              strategy: strategyRecord(strategy),
            }),
          );
        }
        const l = res.taskLosses.dataSync();
        const w = res.weights.dataSync();
        tasks.forEach((task, t) => {
          tf.tidy(() => acc.add(t, l[t], toPredictions(task, res.outputs[t], { mask: batch.masks[task.name], model: built.model }), batch.targets[task.name], batch.masks[task.name]));
          lossSums[t] += l[t];
          weightSums[t] += w[t];
        });
        acc.samples += batch.size;
        disposeStepResult(res);
        disposeBatch(batch);
        step++;
        done++;
        if (!Array.from(l).every(Number.isFinite)) {
          throw new MtlError('data', `training diverged at epoch ${epoch}, step ${done}: a task loss is ${Array.from(l).join(', ')}; lower train.optimizer.learningRate or set train.clipNorm`);
        }
        reporter.step({
          epoch,
          step: done,
          steps: stepsPerEpoch,
          samples: acc.samples,
          seconds: (performance.now() - t0) / 1000,
          losses: Object.fromEntries(tasks.map((task, t) => [task.name, lossSums[t] / done])),
        });
        // In-memory batches resolve as microtasks, so without this the event loop would never run
        // during an epoch: no Ctrl-C handler, no progress-bar redraw until the epoch ends.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (opts.signal?.aborted) break;
      }
      const trainMetrics = acc.result();
      const trainSeconds = (performance.now() - t0) / 1000;
      epochLosses.push(tasks.map((task) => trainMetrics.tasks[task.name].loss));
      const val = valSet ? await evaluateSource(built.model, built.inputNames, tasks, valSet, r.train.batchSize) : undefined;

      const rec: EpochRecord = {
        epoch,
        steps: done,
        train: trainMetrics,
        ...(val ? { val } : {}),
        weights: Object.fromEntries(tasks.map((task, t) => [task.name, weightSums[t] / Math.max(done, 1)])),
        learningRate: lr,
        wallTime: (performance.now() - t0) / 1000,
        samplesPerSecond: acc.samples / Math.max(trainSeconds, 1e-9),
        bestEpoch: metricsFile.best.epoch,
        bestValue: metricsFile.best.value,
        diagnostics: diag.result(strategy),
      };
      const mv = monitorValue(rec, r.checkpoint.monitor);
      const isBest = mv !== undefined && Number.isFinite(mv) && improves(mv, metricsFile.best.value, r.checkpoint.mode);
      if (isBest) metricsFile.best = { epoch, value: mv as number, monitor: r.checkpoint.monitor };
      rec.bestEpoch = metricsFile.best.epoch;
      rec.bestValue = metricsFile.best.value;

      const es0 = r.train.earlyStopping;
      const esValue = es0 ? monitorValue(rec, es0.monitor) : undefined;
      // Early-stopping counters move before the checkpoint, so a resumed run stops where this one would.
      let stopNow = false;
      if (es0) {
        if (esValue !== undefined && improves(esValue, esBest, es0.mode, es0.minDelta)) {
          esBest = esValue;
          sinceImprovement = 0;
        } else stopNow = ++sinceImprovement >= es0.patience;
      }
      await save('last', epoch);
      if (isBest) await save('best', epoch);
      metricsFile.epochs.push(rec);
      writeMetrics();
      appendLine(path.join(runDir, 'metrics.jsonl'), JSON.stringify({ type: 'epoch', ...rec }));
      reporter.epochEnd(rec);

      if (opts.signal?.aborted) {
        metricsFile.run.status = 'interrupted';
        throw new MtlError('interrupted', `interrupted during epoch ${epoch}; checkpoints/last holds the state after step ${step} (${runDir})`);
      }
      if (stopNow) {
        status = 'early-stopped';
        break;
      }
    }

    let test: SplitMetrics | undefined;
    if (r.train.evaluateTest && testSet && valSet !== testSet) {
      const which = metricsFile.best.epoch !== null ? 'best' : 'last';
      test = await evaluateCheckpointSet(runDir, which, built, tasks, testSet, r.train.batchSize);
      metricsFile.test = test;
      writeFileAtomic(path.join(runDir, 'eval-test.json'), JSON.stringify(evalRecord(runDir, which, 'test', test, backend), null, 2));
    }
    metricsFile.run.status = status;
    reporter.end({ status, best: metricsFile.best, test, last: metricsFile.epochs[metricsFile.epochs.length - 1], runDir });
    return { runDir, status, epochs: metricsFile.epochs, best: metricsFile.best, test, backend };
  } catch (e) {
    if (metricsFile.run.status === 'running') metricsFile.run.status = 'failed';
    throw e;
  } finally {
    metricsFile.run.endedAt = new Date().toISOString();
    writeMetrics();
    strategy.dispose();
    opt.optimizer.dispose();
    built.model.dispose();
  }
}

/** Evaluate a checkpoint's weights (loaded into the live model) on one split. */
async function evaluateCheckpointSet(runDir: string, which: string, built: BuiltModel, tasks: TaskRuntime[], set: SplitData, batchSize: number): Promise<SplitMetrics> {
  const { model } = await loadModelFiles(path.join(runDir, 'checkpoints', which));
  try {
    return await evaluateSource(model, built.inputNames, tasks, set, batchSize);
  } finally {
    model.dispose();
  }
}

export function evalRecord(runDir: string, checkpoint: string, split: string, m: SplitMetrics, backend: BackendInfo): object {
  const state = readCheckpointState(path.join(runDir, 'checkpoints', checkpoint));
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
