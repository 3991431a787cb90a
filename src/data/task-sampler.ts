// Owns task sampling: task-specific datasets served as one batch source — every task in each batch
// (`all`, LibMTL's multi-input: one batch from every task's source, merged), or each batch labelling
// one task (round-robin, in proportion to the tasks' sizes, at a temperature (temperature.ts), or one
// task after another for evaluation). Each batch names the task sources it was drawn from
// (Batch.sources), so that the trainer can record the realised counts.
import * as tf from '@tensorflow/tfjs';
import { mixSeed, mulberry32 } from '../util/random';
import { disposeBatch, type Batch, type BatchOptions } from './batching';
import { unlabelled, type BatchSource } from './source';
import { drawTask, temperatureProbabilities } from './temperature';

export type SamplingMode = 'all' | 'round-robin' | 'proportional' | 'sequential' | { type: 'temperature'; T: number };

/** One batch of the rows of several, in order (every batch has every target and mask: TaskSampler.complete). */
function concatBatches(bs: Batch[]): Batch {
  const cat = (get: (b: Batch) => tf.Tensor) => tf.concat(bs.map(get), 0);
  const keys = (get: (b: Batch) => Record<string, unknown>) => Object.keys(get(bs[0]));
  const out: Batch = {
    size: bs.reduce((s, b) => s + b.size, 0),
    inputs: Object.fromEntries(keys((b) => b.inputs).map((k) => [k, cat((b) => b.inputs[k])])),
    targets: Object.fromEntries(keys((b) => b.targets).map((k) => [k, cat((b) => b.targets[k])])),
    masks: Object.fromEntries(keys((b) => b.masks).map((k) => [k, cat((b) => b.masks[k] as tf.Tensor)])),
    sources: bs.flatMap((b) => b.sources ?? []),
  };
  for (const b of bs) tf.dispose([...Object.values(b.inputs), ...Object.values(b.targets), ...Object.values(b.masks).filter((m): m is tf.Tensor => !!m)]);
  return out;
}

/**
 * Task-specific datasets as one source. `all`: each step's batch holds one batch from every task's
 * source (batchSize rows each, T·batchSize in all), task k's rows labelled for task k only; an epoch
 * is exactly ⌈max_k n_k / batchSize⌉ steps — it ends when the largest source has been seen once, the
 * smaller ones restart (reshuffled) as often as needed. The other modes: each batch comes from one
 * task's source, the other tasks' targets are zeros with mask 0 (so their losses and metrics ignore it).
 */
export class TaskSampler implements BatchSource {
  readonly kind = 'batch-source';
  readonly size: number;
  readonly targetNames: string[];

  constructor(
    private readonly parts: Array<{ task: string; source: BatchSource }>,
    private readonly shapes: Record<string, { shape: number[]; dtype: 'float32' | 'int32'; perToken: boolean }>,
    private readonly mode: SamplingMode,
  ) {
    const sizes = parts.map((x) => x.source.size ?? 0);
    // `all`: size/batchSize is the step count of an epoch (a step reads batchSize rows of every task);
    // proportional and temperature: see stepsFor.
    this.size = mode === 'all' ? Math.max(...sizes) : mode === 'round-robin' ? parts.length * Math.max(...sizes) : sizes.reduce((a, b) => a + b, 0);
    this.targetNames = Object.keys(shapes);
  }

  /**
   * proportional and temperature: Σ_t ⌈n_t / batchSize⌉ — every batch holds one task's rows, so an epoch
   * that shows every row once (proportional) has each task's partial last batch as a step of its own.
   */
  stepsFor(batchSize: number): number {
    const sizes = this.parts.map((x) => x.source.size ?? 0);
    const perTask = this.mode === 'proportional' || typeof this.mode === 'object';
    return perTask ? sizes.reduce((a, n) => a + Math.ceil(n / batchSize), 0) : Math.ceil(this.size / batchSize);
  }

  private complete(b: Batch, k: number): Batch {
    b.sources = [this.parts[k].task];
    for (const [t, s] of Object.entries(this.shapes)) {
      if (b.targets[t]) {
        // Explicit ones, so that every task-sampled batch says which task it labels.
        b.masks[t] ??= tf.ones(s.perToken ? [b.size, ...s.shape] : [b.size], 'float32');
        continue;
      }
      const u = unlabelled(b.size, s.shape, s.dtype, s.perToken);
      b.targets[t] = u.target;
      b.masks[t] = u.mask;
    }
    return b;
  }

  async *batches(opts: BatchOptions): AsyncGenerator<Batch> {
    const T = this.parts.length;
    const open = (k: number, round: number) => this.parts[k].source.batches({ ...opts, epoch: opts.epoch * 1000 + round, seed: mixSeed(opts.seed, k) })[Symbol.asyncIterator]();
    const iters = this.parts.map((_, k) => open(k, 0));
    const rounds = new Array<number>(T).fill(0);
    const remaining = this.parts.map((x) => x.source.size ?? 1);
    const rand = mulberry32(mixSeed(opts.seed, opts.epoch, 0x7a5c));
    try {
      if (this.mode === 'all') {
        const big = largest(this.parts);
        for (;;) {
          const got: Batch[] = [];
          let over = false;
          for (let k = 0; k < T && !over; k++) {
            let r = await iters[k].next();
            if (r.done && k !== big) {
              iters[k] = open(k, ++rounds[k]);
              r = await iters[k].next();
            }
            // The largest source is through (or a source is empty): the epoch is over.
            if (r.done) over = true;
            else got.push(this.complete(r.value, k));
          }
          if (over) {
            got.forEach(disposeBatch);
            break;
          }
          yield concatBatches(got);
        }
      } else if (this.mode === 'round-robin') {
        const done = new Array<boolean>(T).fill(false);
        for (let k = 0; !done.every(Boolean); k = (k + 1) % T) {
          let r = await iters[k].next();
          if (r.done) {
            done[k] = true;
            if (done.every(Boolean)) break;
            iters[k] = open(k, ++rounds[k]);
            r = await iters[k].next();
            if (r.done) continue;
          }
          yield this.complete(r.value, k);
        }
      } else if (typeof this.mode === 'object') {
        yield* this.temperature(this.mode.T, opts, iters, (k) => (iters[k] = open(k, ++rounds[k])), rand);
      } else {
        const live = this.parts.map((_, k) => k);
        while (live.length) {
          let k: number;
          if (this.mode === 'sequential') k = live[0];
          else {
            const total = live.reduce((s, j) => s + remaining[j], 0);
            let x = rand() * total;
            k = live[live.length - 1];
            for (const j of live) if ((x -= remaining[j]) < 0) { k = j; break; }
          }
          const r = await iters[k].next();
          if (r.done) {
            live.splice(live.indexOf(k), 1);
            continue;
          }
          remaining[k] = Math.max(remaining[k] - r.value.size, 1e-9);
          yield this.complete(r.value, k);
        }
      }
    } finally {
      for (const it of iters) await it.return?.(undefined);
    }
  }

  /** Draws Σ ⌈n_t / batchSize⌉ batches (as many as proportional sampling), each from task k with probability p_k ∝ n_k^(1/T); an exhausted source restarts (reshuffled). */
  private async *temperature(T: number, opts: BatchOptions, iters: AsyncIterator<Batch>[], reopen: (k: number) => AsyncIterator<Batch>, rand: () => number): AsyncGenerator<Batch> {
    const p = temperatureProbabilities(this.parts.map((x) => x.source.size ?? 0), T);
    const steps = this.stepsFor(opts.batchSize);
    for (let s = 0; s < steps; s++) {
      const k = drawTask(p, rand());
      let r = await iters[k].next();
      if (r.done) r = await reopen(k).next();
      if (r.done) return; // an empty source
      yield this.complete(r.value, k);
    }
  }
}

/** Index of the source with the most rows: its end ends an `all` epoch. */
function largest(parts: Array<{ source: BatchSource }>): number {
  let k = 0;
  parts.forEach((p, i) => {
    if ((p.source.size ?? 0) > (parts[k].source.size ?? 0)) k = i;
  });
  return k;
}
