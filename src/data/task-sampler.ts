// Owns task sampling: task-specific datasets served as one batch source, each batch labelling one
// task (round-robin, in proportion to the tasks' sizes, or one task after another for evaluation).
import * as tf from '@tensorflow/tfjs';
import { mixSeed, mulberry32 } from '../util/random';
import type { Batch, BatchOptions } from './batching';
import { unlabelled, type BatchSource } from './source';

/**
 * Task-specific datasets as one source: each batch comes from one task's source, and the other
 * tasks' targets are zeros with mask 0 (so their losses and metrics ignore it).
 */
export class TaskSampler implements BatchSource {
  readonly kind = 'batch-source';
  readonly size: number;
  readonly targetNames: string[];

  constructor(
    private readonly parts: Array<{ task: string; source: BatchSource }>,
    private readonly shapes: Record<string, { shape: number[]; dtype: 'float32' | 'int32'; perToken: boolean }>,
    private readonly mode: 'round-robin' | 'proportional' | 'sequential',
  ) {
    const sizes = parts.map((x) => x.source.size ?? 0);
    this.size = mode === 'round-robin' ? parts.length * Math.max(...sizes) : sizes.reduce((a, b) => a + b, 0);
    this.targetNames = Object.keys(shapes);
  }

  private complete(b: Batch): Batch {
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
      if (this.mode === 'round-robin') {
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
          yield this.complete(r.value);
        }
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
          yield this.complete(r.value);
        }
      }
    } finally {
      for (const it of iters) await it.return?.(undefined);
    }
  }
}
