// Owns the stream of validation batches a look-ahead strategy (Auto-Lambda) learns its weights from:
// the validation split, shuffled with its own seed, one batch per look-ahead step, cycling through
// passes over the split for as long as training runs. The stream is a function of the run's step
// count, so a resumed run reads the batches the uninterrupted one would. Strategies without a
// look-ahead never read the validation split here.
import { disposeBatch, type Batch } from '../data/batching';
import { toBatchSource, type SplitData } from '../data/source';
import type { Run } from './setup';

/** Mixed into the run seed so the validation stream's order differs from the training split's. */
const STREAM = 0x7a1d;

export class ValidationFeed {
  private iter: AsyncIterator<Batch> | undefined;
  private pass = 0;
  /** Batches consumed so far (a look-ahead step consumes one). */
  private served: number;
  private readonly skipTo: number;
  private pending: Batch | undefined;

  /** `startStep`: the run's step count when training starts (non-zero on resume). */
  constructor(
    private readonly set: SplitData,
    private readonly batchSize: number,
    private readonly seed: number,
    readonly every: number,
    startStep: number,
  ) {
    this.skipTo = Math.ceil(startStep / every);
    // Resume: jump to the pass the stream is in (batchFor then skips within it).
    const perPass = set.size ? Math.ceil(set.size / batchSize) : 0;
    this.pass = perPass ? Math.floor(this.skipTo / perPass) : 0;
    this.served = this.pass * perPass;
  }

  /** The validation batch of step `step` when a look-ahead is due there (the caller disposes it or gives it back). */
  async batchFor(step: number): Promise<Batch | undefined> {
    if (step % this.every !== 0) return undefined;
    if (this.pending) {
      const b = this.pending;
      this.pending = undefined;
      return b;
    }
    while (this.served < this.skipTo) disposeBatch(await this.next());
    return this.next();
  }

  /** A batch the step did not use (no task labelled in its training batch): served again next time. */
  giveBack(b: Batch): void {
    this.pending = b;
  }

  private async next(): Promise<Batch> {
    for (let tries = 0; tries < 2; tries++) {
      this.iter ??= toBatchSource(this.set).batches({ batchSize: this.batchSize, shuffle: true, seed: this.seed ^ STREAM, epoch: ++this.pass })[Symbol.asyncIterator]();
      const r = await this.iter.next();
      if (!r.done) {
        this.served++;
        return r.value;
      }
      this.iter = undefined;
    }
    throw new Error('the validation split yielded no batch');
  }

  /** Frees a batch given back and closes the current pass (its files, its prefetched batches). */
  async close(): Promise<void> {
    if (this.pending) disposeBatch(this.pending);
    this.pending = undefined;
    const it = this.iter;
    this.iter = undefined;
    await it?.return?.();
  }
}

/**
 * The run's validation stream when its current strategy has a look-ahead (created on first need, and
 * again when a stage switches to a strategy with another period), positioned at the run's step count.
 */
export function validationFeedOf(run: Run): ValidationFeed | undefined {
  const s = run.parts.strategy;
  const la = s.needs === 'losses' ? s.lookahead : undefined;
  if (!la || !run.sets.val) return undefined;
  if (run.validationFeed?.every !== la.every) {
    void run.validationFeed?.close();
    run.validationFeed = new ValidationFeed(run.sets.val, run.r.train.batchSize, run.r.seed, la.every, run.progress.step);
  }
  return run.validationFeed;
}
