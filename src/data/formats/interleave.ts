// Owns the read order of a file made of independently decodable blocks (parquet row groups): in file
// order, or — when a seed is given — blocks in a seeded random order, `width` of them decoded at once,
// each block's rows in a random permutation, the next row drawn from a block chosen in proportion to
// its rows left. Memory holds at most `width` decoded blocks.
import { mulberry32, shuffleInPlace } from '../../util/random';

/** A block of `rows` rows; `decode` returns a reader of its rows (null: a problem was reported, stop). */
export interface Block<T> {
  rows: number;
  decode(): Promise<((i: number) => T) | null>;
}

interface Open<T> {
  rows: number;
  next: number;
  perm: Uint32Array | null;
  at: (i: number) => T;
}

/** Decoded rows of the blocks open at once (the largest sum seen; tests and the docs' bound read it). */
export const interleaveStats = { maxRowsOpen: 0 };

export async function* interleaved<T>(blocks: Array<Block<T>>, order: { seed: number; width: number } | undefined): AsyncGenerator<T> {
  const rand = order ? mulberry32(order.seed) : null;
  const queue = rand ? shuffleInPlace([...blocks], rand) : blocks;
  const width = rand ? Math.max(1, order!.width) : 1;
  const open: Array<Open<T>> = [];
  let q = 0;
  for (;;) {
    while (open.length < width && q < queue.length) {
      const b = queue[q++];
      if (b.rows === 0) continue;
      const at = await b.decode();
      if (!at) return;
      open.push({ rows: b.rows, next: 0, perm: rand ? shuffleInPlace(Uint32Array.from({ length: b.rows }, (_, i) => i), rand) : null, at });
      const held = open.reduce((s, o) => s + o.rows, 0);
      if (held > interleaveStats.maxRowsOpen) interleaveStats.maxRowsOpen = held;
    }
    if (!open.length) return;
    const j = rand && open.length > 1 ? pick(open, rand) : 0;
    const o = open[j];
    const i = o.perm ? o.perm[o.next] : o.next;
    o.next++;
    if (o.next === o.rows) open.splice(j, 1);
    yield o.at(i);
  }
}

/** An open block drawn with probability ∝ its rows left, so the blocks open together drain together. */
function pick<T>(open: Array<Open<T>>, rand: () => number): number {
  let r = rand() * open.reduce((s, o) => s + o.rows - o.next, 0);
  for (let j = 0; j < open.length; j++) {
    r -= open[j].rows - open[j].next;
    if (r < 0) return j;
  }
  return open.length - 1;
}
