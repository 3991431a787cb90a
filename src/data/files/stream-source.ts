// Owns streaming a source from disk every epoch, through a seeded shuffle buffer, as batches.
import { mixSeed, mulberry32, shuffleInPlace } from '../../util/random';
import type { Batch, BatchOptions } from '../batching';
import { prefetch, type BatchSource } from '../source';
import { fatal } from './problems';
import { batchOf, encodeRow, keptRecords, type Prepared, type Row } from './rows';

/** Instrumentation of a streamed source, read by tests and `npm run bench`. */
export interface StreamStats {
  /** Most encoded rows held at once (shuffle buffer + the batch being filled). */
  maxRowsHeld: number;
  epochs: number;
}

/**
 * A source read from disk every epoch: records → encoded rows → a seeded shuffle buffer (each new
 * row swaps out a random buffered one, as in tf.data's shuffle) → batches. Memory holds at most
 * shuffleBuffer + batchSize rows, whatever the file size (plus, for parquet, the decoded row groups:
 * one, or `interleave` in a shuffled epoch, whose row groups come in a seeded order per epoch).
 */
export class StreamSource implements BatchSource {
  readonly kind = 'batch-source';
  readonly targetNames: string[];
  readonly stats: StreamStats = { maxRowsHeld: 0, epochs: 0 };

  constructor(private readonly p: Prepared, readonly size: number, private readonly bufferRows: number) {
    this.targetNames = p.targets.map(([n]) => n);
  }

  batches(opts: BatchOptions): AsyncIterable<Batch> {
    return prefetch(this.epoch(opts));
  }

  private async *epoch(opts: BatchOptions): AsyncGenerator<Batch> {
    this.stats.epochs++;
    const rand = mulberry32(mixSeed(opts.seed, opts.epoch, 0x5eed));
    // a shuffled epoch reads a parquet file's row groups in a new seeded order, several interleaved
    const p = opts.shuffle ? { ...this.p, reader: { ...this.p.reader, order: mixSeed(opts.seed, opts.epoch, 0x0bde) } } : this.p;
    const cap = opts.shuffle ? this.bufferRows : 0;
    const buffer: Row[] = [];
    let pending: Row[] = [];
    const held = () => {
      const h = buffer.length + pending.length;
      if (h > this.stats.maxRowsHeld) this.stats.maxRowsHeld = h;
    };
    for await (const rec of keptRecords(p, fatal)) {
      const row = encodeRow(p, rec, fatal)!;
      if (buffer.length < cap) buffer.push(row);
      else if (cap > 0) {
        const j = Math.floor(rand() * cap);
        pending.push(buffer[j]);
        buffer[j] = row;
      } else pending.push(row);
      held();
      if (pending.length === opts.batchSize) {
        yield batchOf(this.p, pending);
        pending = [];
      }
    }
    shuffleInPlace(buffer, rand);
    for (const row of buffer) {
      pending.push(row);
      if (pending.length === opts.batchSize) {
        yield batchOf(this.p, pending);
        pending = [];
      }
    }
    if (pending.length && !opts.dropRemainder) yield batchOf(this.p, pending);
  }
}
