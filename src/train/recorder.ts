// Owns the run folder's records as a training callback: metrics.json (the run, its epochs, the best
// epoch and the test metrics, rewritten whole after every change) and metrics.jsonl (one line per
// epoch and per diagnosed step, appended).
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SplitMetrics } from '../eval/evaluate';
import { METRICS_VERSION } from '../eval/record';
import { appendLine, writeFileAtomic } from '../util/fs';
import { packageVersion } from '../util/paths';
import { strategyRecord } from '../weighting/diagnostics';
import type { BestCheckpoint, Callback, EarlyStopSummary, StepEnd } from './callbacks';
import type { EpochRecord } from './events';
import { stepTaken, trimRecords, type ResumePoint } from './resume';
import { readLines, staged } from './run-folder';
import type { Run } from './setup';

export type RunStatus = 'running' | 'completed' | 'early-stopped' | 'interrupted' | 'failed';

const perTaskSummary = (perTask: BestCheckpoint[]) => (perTask.length ? Object.fromEntries(perTask.map((b) => [b.name.slice('best-'.length), b.summary()])) : undefined);

function metricsFile(run: Run, best: BestCheckpoint, perTask: BestCheckpoint[]) {
  const { r, backend, sets, tasks } = run;
  return {
    version: METRICS_VERSION,
    run: {
      name: r.name,
      spec: path.resolve(run.spec.file),
      runDir: run.runDir,
      status: 'running' as RunStatus,
      /** Why a failed run failed: 'non-finite', or the error kind. */
      reason: undefined as string | undefined,
      error: undefined as string | undefined,
      backend: { name: backend.name, package: backend.package, version: backend.version ?? null, libtensorflow: backend.libtensorflow ?? null, gpu: backend.gpu, gpuDevice: backend.gpuDevice ?? null, threads: backend.threads ?? null, simdKernels: backend.simdKernels ?? null, fma: backend.fma ?? null, kernelThreads: backend.kernelThreads ?? null },
      seed: r.seed,
      startedAt: run.startedAt.toISOString(),
      endedAt: null as string | null,
      mtlVersion: packageVersion(),
      tfjsVersion: tf.version.tfjs,
      node: process.version,
      data: run.bundle.source,
      samples: { train: sets.train.size ?? 0, val: sets.val?.size ?? 0, test: sets.test?.size ?? 0 },
      /** The preflight warnings (train/preflight.ts), as `mtl train` printed them before training. */
      warnings: [] as string[],
    },
    tasks: Object.fromEntries(tasks.map((t) => [t.name, { type: t.type, loss: r.tasks[t.name].loss.type, weight: t.weight, ...(t.auxiliary ? { auxiliary: true } : {}), metrics: t.metrics.map((m) => m.key) }])),
    weighting: r.weighting.method,
    checkpoint: r.checkpoint,
    /** The runs epochs[].deltaM is measured against. */
    baselines: r.baselines,
    earlyStopping: r.train.earlyStopping,
    /** status early-stopped: early stopping's monitor, best value and epoch, patience (train/callbacks.ts). */
    stoppedEarly: undefined as EarlyStopSummary | undefined,
    epochs: [] as EpochRecord[],
    best: best.summary(),
    /** checkpoint.perTask: each task's best epoch by its own monitor (checkpoints/best-<task>). */
    bestPerTask: perTaskSummary(perTask),
    test: undefined as SplitMetrics | undefined,
  };
}

export class MetricsRecorder implements Callback {
  readonly file: ReturnType<typeof metricsFile>;
  private readonly jsonl: string;

  constructor(
    private readonly run: Run,
    private readonly best: BestCheckpoint,
    private readonly perTask: BestCheckpoint[] = [],
  ) {
    this.file = metricsFile(run, best, perTask);
    this.jsonl = path.join(run.runDir, 'metrics.jsonl');
  }

  /** A new run starts both files; a resumed one keeps its records up to the checkpointed epoch. */
  begin(resumeFrom?: ResumePoint): void {
    if (resumeFrom) {
      const old = trimRecords(resumeFrom, this.run.startedAt);
      this.file.epochs = old.epochs;
      if (old.startedAt) this.file.run.startedAt = old.startedAt;
      Object.assign(this.file.run, { resumed: old.resumed });
      this.file.best = this.best.summary();
      this.file.bestPerTask = perTaskSummary(this.perTask);
      this.write();
    } else {
      this.write();
      fs.writeFileSync(this.jsonl, '');
    }
  }

  stepEnd({ epoch, step, result }: StepEnd): void {
    const d = result.diagnostics;
    if (!d) return;
    const names = this.run.built.taskNames;
    const wNow = Array.from(result.weights.dataSync());
    appendLine(
      this.jsonl,
      JSON.stringify({
        type: 'step',
        epoch,
        step,
        weights: Object.fromEntries(names.map((t, i) => [t, wNow[i]])),
        gradNorms: Object.fromEntries(names.map((t, i) => [t, d.gradNorms[i]])),
        ...(d.cosine ? { cosine: d.cosine } : {}),
        ...(result.present.length < names.length ? { present: result.present.map((i) => names[i]) } : {}),
        ...(d.solver ? { solver: d.solver } : {}),
        backwardPasses: result.backwardPasses,
        strategy: strategyRecord(this.run.strategy),
      }),
    );
  }

  /** Stages metrics.json.new; the epoch's commit swaps it in and calls appendEpochLine. */
  epochEnd(rec: EpochRecord): void {
    this.file.best = this.best.summary();
    this.file.bestPerTask = perTaskSummary(this.perTask);
    this.file.epochs.push(rec);
    writeFileAtomic(path.join(this.run.runDir, staged('metrics.json')), JSON.stringify(this.file, null, 2));
  }

  appendEpochLine(rec: EpochRecord): void {
    appendLine(this.jsonl, JSON.stringify({ type: 'epoch', ...rec }));
  }

  get status(): RunStatus {
    return this.file.run.status;
  }

  set status(s: RunStatus) {
    this.file.run.status = s;
  }

  /** The final write, whatever happened: when the run ended. */
  close(): void {
    this.file.run.endedAt = new Date().toISOString();
    this.write();
  }

  private write(): void {
    writeFileAtomic(path.join(this.run.runDir, 'metrics.json'), JSON.stringify(this.file, null, 2));
  }
}

/**
 * Recovery of a commit cut short: metrics.jsonl gets the committed epoch's line (from metrics.json)
 * when it lacks it; a torn last line and lines of later, uncommitted epochs are dropped.
 */
export function ensureEpochLine(runDir: string, epoch: number, step?: number): void {
  const jsonl = path.join(runDir, 'metrics.jsonl');
  // A mid-epoch commit (`step`) also keeps the step lines of the next epoch's steps it took.
  const keep = (l: { epoch?: number; type?: string; step?: number }) => typeof l.epoch === 'number' && (l.epoch <= epoch || (step !== undefined && stepTaken(l, { partial: { epoch: epoch + 1 }, step })));
  const lines = fs.existsSync(jsonl) ? readLines(jsonl).filter(keep) : [];
  if (!lines.some((l) => l.type === 'epoch' && l.epoch === epoch)) {
    try {
      const m = JSON.parse(fs.readFileSync(path.join(runDir, 'metrics.json'), 'utf8'));
      const rec = (m.epochs as EpochRecord[]).find((e) => e.epoch === epoch);
      if (rec) lines.push({ type: 'epoch', ...rec });
    } catch {
      // Without metrics.json the line cannot be rebuilt; the checkpoints still are whole.
    }
  }
  writeFileAtomic(jsonl, lines.map((l) => JSON.stringify(l) + '\n').join(''));
}
