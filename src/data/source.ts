// Owns the async batch-source abstraction the trainer and evaluator consume: an async iterator of
// Batch per epoch (size when known), the adapter that serves in-memory ArraySets through it, and
// one-batch-ahead prefetching so the next batch is read while the current step runs.
import * as tf from '@tensorflow/tfjs';
import { batches, disposeBatch, type Batch, type BatchOptions } from './batching';
import type { ArraySet } from './types';

export interface BatchSource {
  readonly kind: 'batch-source';
  /** Rows per epoch, when known before iterating. */
  readonly size?: number;
  /** Names of the target columns every batch carries. */
  readonly targetNames: readonly string[];
  /** Batches in an epoch, when that is not ⌈size / batchSize⌉ (a task sampler whose batches each hold one task's rows). */
  stepsFor?(batchSize: number): number;
  /**
   * The epoch's batches. The consumer owns each batch's tensors (disposeBatch); breaking out of a
   * `for await` early closes the underlying files and frees the batches not yet handed out.
   */
  batches(opts: BatchOptions): AsyncIterable<Batch>;
}

/** Either form a split may take: rows in memory, or batches read on demand. */
export type SplitData = ArraySet | BatchSource;

export function isBatchSource(x: unknown): x is BatchSource {
  return typeof x === 'object' && x !== null && (x as BatchSource).kind === 'batch-source';
}

/** Rows of a split, when known. */
export function splitSize(x: SplitData): number | undefined {
  return x.size;
}

/** Serve an ArraySet through the async interface: the same batches (and order) as `batches()`. */
export function arraySource(set: ArraySet): BatchSource {
  return {
    kind: 'batch-source',
    size: set.size,
    targetNames: Object.keys(set.targets),
    async *batches(opts: BatchOptions) {
      yield* batches(set, opts);
    },
  };
}

export function toBatchSource(x: SplitData): BatchSource {
  return isBatchSource(x) ? x : arraySource(x);
}

/**
 * Keep one batch requested in advance: the producer's file reads (and its parsing between
 * awaits) overlap the consumer's training step. If the consumer stops early, the prefetched batches
 * are disposed and the producer is closed.
 */
export async function* prefetch(it: AsyncIterable<Batch>): AsyncGenerator<Batch> {
  const iter = it[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<Batch>> | undefined = iter.next();
  let done = false;
  try {
    while (pending) {
      const r: IteratorResult<Batch> = await pending;
      pending = undefined;
      if (r.done) {
        done = true;
        return;
      }
      pending = iter.next();
      yield r.value;
    }
  } finally {
    if (pending) {
      try {
        const r = await pending;
        if (!r.done) disposeBatch(r.value);
        else done = true;
      } catch {
        done = true; // the producer failed while reading ahead for a consumer that has stopped
      }
    }
    if (!done) await iter.return?.(undefined);
  }
}

/** Zero targets and an all-zero mask for a task a batch does not label (task-specific sources). */
export function unlabelled(size: number, shape: number[], dtype: 'float32' | 'int32', perToken: boolean): { target: tf.Tensor; mask: tf.Tensor } {
  return {
    target: tf.zeros([size, ...shape], dtype),
    mask: tf.zeros(perToken ? [size, ...shape] : [size], 'float32'),
  };
}
