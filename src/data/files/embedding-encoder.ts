// Owns the embedding encoder: one categorical value per row → one int32 id for an embedding table
// (src/data/categorical.ts: 0 = missing, 1 = out of vocabulary, 2… learnt on train or hashed), and the
// out-of-vocabulary counts `mtl data inspect` reports per split.
import { hashedId, learnVocabulary, OOV_ID, PAD_ID, RESERVED_IDS } from '../categorical';
import type { DataRecord } from '../formats/record';
import type { InputMap } from './config';
import type { Encoded, Encoder } from './encoder';
import { fieldsOf, isMissing, raw } from './fields';

/** What one pass encoded: values (not missing), of which out of vocabulary, and missing values. */
export interface IdCounts {
  values: number;
  oov: number;
  missing: number;
}

export const DEFAULT_VOCABULARY = 10000;

/**
 * A categorical input for an embedding. A missing value (empty, null) is the padding id 0, so a row
 * without it still trains; a value the vocabulary lacks (rarer than minCount in train, beyond
 * `vocabulary`, or first seen in val/test) is id 1. With `hashing`, nothing is learnt: each value's
 * id is its bucket, so the table has buckets + 2 rows whatever the number of distinct values.
 */
export class EmbeddingEncoder implements Encoder {
  readonly dtype = 'int32';
  readonly perToken = false;
  readonly shape = [1];
  readonly fields: string[];
  readonly learns: boolean;
  private counts = new Map<string, number>();
  private ids = new Map<string, number>();
  private size = RESERVED_IDS;
  private pass: IdCounts = { values: 0, oov: 0, missing: 0 };

  constructor(readonly key: string, private readonly map: InputMap) {
    this.fields = fieldsOf(map);
    this.learns = !map.hashing;
  }

  /** The ids this input can carry: an embedding needs inputDim ≥ this. */
  static ids(map: InputMap): number {
    return map.hashing ? map.hashing.buckets + RESERVED_IDS : map.vocabulary ?? DEFAULT_VOCABULARY;
  }

  private value(rec: DataRecord): string | null {
    const v = raw(rec, this.map);
    if (isMissing(v)) return null;
    const s = (typeof v === 'object' ? JSON.stringify(v) : String(v)).trim();
    return this.map.lowercase ? s.toLowerCase() : s;
  }

  fit(rec: DataRecord): void {
    const v = this.value(rec);
    if (v !== null && this.learns) this.counts.set(v, (this.counts.get(v) ?? 0) + 1);
  }

  finish(): unknown {
    if (!this.learns) return { hashing: { buckets: this.map.hashing!.buckets, hash: 'fnv1a32' }, pad: PAD_ID, oov: OOV_ID };
    const vocabulary = learnVocabulary(this.counts, this.map.minCount ?? 1, EmbeddingEncoder.ids(this.map));
    const distinct = this.counts.size;
    this.counts.clear();
    this.load({ vocabulary });
    return { vocabulary, pad: PAD_ID, oov: OOV_ID, distinct };
  }

  load(state: unknown): void {
    if (!this.learns) return;
    const vocab = (state as { vocabulary: string[] }).vocabulary;
    this.ids = new Map(vocab.map((t, i) => [t, i + RESERVED_IDS]));
    this.size = vocab.length + RESERVED_IDS;
  }

  encode(rec: DataRecord): Encoded | null {
    const v = this.value(rec);
    const data = new Int32Array(1);
    if (v === null) {
      this.pass.missing++;
      return { data };
    }
    this.pass.values++;
    data[0] = this.map.hashing ? hashedId(v, this.map.hashing.buckets) : this.ids.get(v) ?? OOV_ID;
    if (data[0] === OOV_ID) this.pass.oov++;
    return { data };
  }

  /** The counts of the encoding pass since the last call (and restarts them). */
  drainCounts(): IdCounts {
    const c = this.pass;
    this.pass = { values: 0, oov: 0, missing: 0 };
    return c;
  }

  info(): Record<string, unknown> {
    return this.map.hashing ? { hashing: this.map.hashing.buckets, ids: this.map.hashing.buckets + RESERVED_IDS } : { vocabularySize: this.size, maxVocabulary: EmbeddingEncoder.ids(this.map) };
  }
}
