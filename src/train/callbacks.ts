// Owns what happens at the end of each epoch besides training, as callbacks (Keras' fit() callbacks):
// one Monitor rule ("is this better") shared by the best checkpoint and early stopping, the
// checkpoint writer, and the state each callback carries over `--resume` in state.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { metrics } from '../metrics/index';
import type { MonitorSpec, ResolvedSpec } from '../spec/types';
import { globalRandomState } from '../util/global-random';
import { writeCheckpoint, type CheckpointState } from './checkpoint';
import type { EpochRecord } from './events';
import { encodePartial, PARTIAL_FILE, type PartialEpoch } from './partial-epoch';
import { staged } from './run-folder';
import type { Run } from './setup';
import type { StepResult } from './step';

export interface StepEnd {
  epoch: number;
  /** Global step index (from 0) of the step just taken. */
  step: number;
  /** The step's tensors, alive until the callbacks have run. */
  result: StepResult;
}

export interface Callback {
  /** Its key in a checkpoint's state.json when it has state to carry over a resume. */
  readonly stateKey?: string;
  state?(): unknown;
  /** `saved` is undefined when the checkpoint predates this callback's state. */
  restore?(saved: unknown): void;
  stepEnd?(s: StepEnd): void;
  /** In list order, after the epoch's training and validation. */
  epochEnd?(rec: EpochRecord): void | Promise<void>;
  /** True when it asks training to stop after this epoch. */
  readonly stop?: boolean;
}

/** A quantity of the epoch record (val.loss, train.left.accuracy, …) and the rule for "better". */
export class Monitor {
  /** Best value seen so far (null: none yet). */
  best: number | null = null;

  constructor(
    readonly key: string,
    readonly mode: 'min' | 'max',
    readonly minDelta = 0,
  ) {}

  value(rec: EpochRecord): number | undefined {
    if (this.key === 'delta-m') return rec.deltaM?.value ?? undefined;
    const [split, a, b] = this.key.split('.');
    const m = split === 'val' ? rec.val : rec.train;
    if (!m) return undefined;
    return b === undefined ? (a === 'loss' ? m.loss : undefined) : m.tasks[a]?.[b];
  }

  /** Whether v beats the best so far by more than minDelta (anything beats no value). */
  improves(v: number): boolean {
    return this.best === null || (this.mode === 'min' ? v < this.best - this.minDelta : v > this.best + this.minDelta);
  }
}

/** Writes checkpoints/<name>: the model, the optimizer, and the run's and every callback's state. */
export class Checkpointer {
  callbacks: Callback[] = [];

  constructor(private readonly run: Run) {}

  state(epoch: number): CheckpointState {
    const { progress, parts, names, strategy } = this.run;
    const own = Object.fromEntries(this.callbacks.filter((c) => c.stateKey && c.state).map((c) => [c.stateKey, c.state!()]));
    return {
      epoch,
      step: progress.step,
      skipped: progress.skipped,
      strategy: strategy.state(),
      epochLosses: progress.epochLosses,
      ...(own as { best: CheckpointState['best'] }),
      stepMemory: parts.memory,
      gradOrder: (parts.gradOrder ?? []).map((n) => names.toStable.get(n) ?? n),
      rng: globalRandomState(),
    };
  }

  /**
   * Writes checkpoints/<name>.new; the epoch's commit (run-folder.ts) swaps it in with the epoch's
   * records. `partial`: a mid-epoch checkpoint (`epoch` is then the last whole epoch).
   */
  async save(name: string, epoch: number, partial?: PartialEpoch): Promise<void> {
    const { runDir, built, opt, names, metadata } = this.run;
    const dir = path.join(runDir, staged(`checkpoints/${name}`));
    fs.rmSync(dir, { recursive: true, force: true });
    const state = { ...this.state(epoch), ...(partial ? { partial: { epoch: partial.epoch, steps: partial.done } } : {}) };
    const extra = partial ? { [PARTIAL_FILE]: encodePartial(partial) } : undefined;
    await writeCheckpoint(dir, { model: built.model, optimizer: opt.optimizer, names, state, metadata, ...(extra ? { extra } : {}) });
  }
}

/**
 * Tracks the best epoch by a monitor and saves checkpoints/<name> at it: `best` (checkpoint.monitor,
 * which also fills the record's bestEpoch/bestValue) or `best-<task>` (checkpoint.perTask).
 */
export class BestCheckpoint implements Callback {
  readonly stateKey: string;
  readonly monitor: Monitor;
  epoch: number | null = null;

  constructor(
    spec: MonitorSpec,
    private readonly checkpoints: Checkpointer,
    readonly name = 'best',
  ) {
    this.monitor = new Monitor(spec.monitor, spec.mode);
    this.stateKey = name;
  }

  summary(): { epoch: number | null; value: number | null; monitor: string } {
    return { epoch: this.epoch, value: this.monitor.best, monitor: this.monitor.key };
  }

  state() {
    return this.summary();
  }

  /** A checkpoint from before this monitor existed (perTask switched on at a resume) starts with no best. */
  restore(saved: unknown): void {
    const s = saved as { epoch: number | null; value: number | null; monitor?: string } | undefined;
    const same = s !== undefined && (s.monitor === undefined || s.monitor === this.monitor.key);
    this.epoch = same ? s.epoch : null;
    this.monitor.best = same ? s.value : null;
  }

  async epochEnd(rec: EpochRecord): Promise<void> {
    const v = this.monitor.value(rec);
    // A NaN or infinite value never becomes the best epoch.
    const isBest = v !== undefined && Number.isFinite(v) && this.monitor.improves(v);
    if (isBest) {
      this.monitor.best = v;
      this.epoch = rec.epoch;
    }
    if (this.name === 'best') {
      rec.bestEpoch = this.epoch;
      rec.bestValue = this.monitor.best;
    }
    if (isBest) await this.checkpoints.save(this.name, rec.epoch);
  }
}

/**
 * checkpoint.perTask: each task's own monitor — its first metric (in the metric's direction), else its
 * loss (min); on the validation split, or on the training split when train.validation is none.
 */
export function taskMonitors(r: ResolvedSpec): Record<string, MonitorSpec> {
  const split = r.train.validation === 'none' ? 'train' : 'val';
  return Object.fromEntries(
    Object.entries(r.tasks).map(([t, task]) => {
      const first = task.metrics[0];
      if (!first) return [t, { monitor: `${split}.${t}.loss`, mode: 'min' }];
      const d = metrics.get(first.type);
      return [t, { monitor: `${split}.${t}.${d.key(first)}`, mode: d.higherIsBetter ? 'max' : 'min' }];
    }),
  );
}

/** Saves checkpoints/last every epoch: what `--resume` continues from. */
export class LastCheckpoint implements Callback {
  constructor(private readonly checkpoints: Checkpointer) {}

  epochEnd(rec: EpochRecord): Promise<void> {
    return this.checkpoints.save('last', rec.epoch);
  }
}

/**
 * checkpoint.keep: K → checkpoints/epoch-<n>, a copy of the epoch's staged checkpoints/last committed
 * with it; after the commit, `prune` removes all but the K most recent.
 */
export class EpochCheckpoints implements Callback {
  constructor(
    private readonly runDir: string,
    private readonly keep: number,
  ) {}

  epochEnd(rec: EpochRecord): void {
    const dir = (name: string) => path.join(this.runDir, staged(`checkpoints/${name}`));
    fs.rmSync(dir(`epoch-${rec.epoch}`), { recursive: true, force: true });
    fs.cpSync(dir('last'), dir(`epoch-${rec.epoch}`), { recursive: true });
  }

  /** Removes committed epoch checkpoints beyond the K most recent (several when a kill skipped a prune). */
  prune(): void {
    const root = path.join(this.runDir, 'checkpoints');
    if (!fs.existsSync(root)) return;
    const epochs = fs
      .readdirSync(root)
      .map((n) => /^epoch-(\d+)$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => b - a);
    for (const n of epochs.slice(this.keep)) fs.rmSync(path.join(root, `epoch-${n}`), { recursive: true, force: true });
  }
}

/** What early stopping watched when it stopped a run: its monitor, best value and epoch, patience. */
export interface EarlyStopSummary {
  monitor: string;
  mode: 'min' | 'max';
  best: number | null;
  /** The epoch of `best` (null in a checkpoint written before it was recorded). */
  bestEpoch: number | null;
  patience: number;
  minDelta: number;
  /** Epochs since the best, when it stopped. */
  sinceImprovement: number;
}

/** Stops after `patience` epochs without an improvement of more than minDelta. */
export class EarlyStopping implements Callback {
  readonly stateKey = 'earlyStopping';
  readonly monitor: Monitor;
  private sinceImprovement = 0;
  private bestEpoch: number | null = null;
  stop = false;

  constructor(private readonly spec: MonitorSpec & { patience: number; minDelta: number }) {
    this.monitor = new Monitor(spec.monitor, spec.mode, spec.minDelta);
  }

  state() {
    return { best: this.monitor.best, sinceImprovement: this.sinceImprovement, bestEpoch: this.bestEpoch };
  }

  restore(saved: unknown): void {
    const s = saved as { best: number | null; sinceImprovement: number; bestEpoch?: number | null } | undefined;
    this.monitor.best = s?.best ?? null;
    this.sinceImprovement = s?.sinceImprovement ?? 0;
    this.bestEpoch = s?.bestEpoch ?? null;
    // A run killed right after the epoch that stopped it stops again at once.
    this.stop = this.sinceImprovement >= this.spec.patience;
  }

  summary(): EarlyStopSummary {
    const { monitor, mode, patience, minDelta } = this.spec;
    return { monitor, mode, best: this.monitor.best, bestEpoch: this.bestEpoch, patience, minDelta, sinceImprovement: this.sinceImprovement };
  }

  epochEnd(rec: EpochRecord): void {
    const v = this.monitor.value(rec);
    if (v !== undefined && Number.isFinite(v) && this.monitor.improves(v)) {
      this.monitor.best = v;
      this.bestEpoch = rec.epoch;
      this.sinceImprovement = 0;
      this.stop = false;
    } else this.stop = ++this.sinceImprovement >= this.spec.patience;
  }
}
