// Owns the embedding encoder: one categorical value per row → one int32 id for an embedding table
// (src/data/categorical.ts: 0 = missing, 1 = out of vocabulary, 2… learnt on train or hashed) — or, with
// `maxValues`, a multi-valued field (a list, or text split on `separator`) → `maxValues` ids padded with 0 —
// and the out-of-vocabulary counts `mtl data inspect` reports per split.
import { hashedId, learnVocabulary, OOV_ID, PAD_ID, RESERVED_IDS } from '../categorical';
import type { DataRecord } from '../formats/record';
import type { InputMap } from './config';
import type { Encoded, Encoder } from './encoder';
import { fieldsOf, isMissing, raw } from './fields';

/** What one pass encoded: values (not missing), of which out of vocabulary, and missing values (multi-valued: rows without any value). */
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
  readonly shape: number[];
  readonly fields: string[];
  readonly learns: boolean;
  private counts = new Map<string, number>();
  private ids = new Map<string, number>();
  private size = RESERVED_IDS;
  private pass: IdCounts = { values: 0, oov: 0, missing: 0 };

  constructor(readonly key: string, private readonly map: InputMap) {
    this.fields = fieldsOf(map);
    this.learns = !map.hashing;
    this.shape = [map.maxValues ?? 1];
  }

  /** The ids this input can carry: an embedding needs inputDim ≥ this. */
  static ids(map: InputMap): number {
    return map.hashing ? map.hashing.buckets + RESERVED_IDS : map.vocabulary ?? DEFAULT_VOCABULARY;
  }

  private text(v: unknown): string {
    const s = (typeof v === 'object' ? JSON.stringify(v) : String(v)).trim();
    return this.map.lowercase ? s.toLowerCase() : s;
  }

  /**
   * The row's values: one value (or none when missing); with `maxValues`, the items of a list or the
   * parts of a text split on `separator`, empty ones dropped, the first `maxValues` kept in the field's
   * order (a value listed twice counts twice).
   */
  private values(rec: DataRecord): string[] {
    const v = raw(rec, this.map);
    if (isMissing(v)) return [];
    if (this.map.maxValues === undefined) return [this.text(v)];
    const items = Array.isArray(v) ? v : this.map.separator !== undefined && typeof v === 'string' ? v.split(this.map.separator) : [v];
    return items.filter((x) => !isMissing(x)).map((x) => this.text(x)).filter((x) => x !== '').slice(0, this.map.maxValues);
  }

  fit(rec: DataRecord): void {
    if (!this.learns) return;
    for (const v of this.values(rec)) this.counts.set(v, (this.counts.get(v) ?? 0) + 1);
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
    const vs = this.values(rec);
    const data = new Int32Array(this.shape[0]);
    if (!vs.length) this.pass.missing++;
    vs.forEach((v, i) => {
      data[i] = this.map.hashing ? hashedId(v, this.map.hashing.buckets) : this.ids.get(v) ?? OOV_ID;
      if (data[i] === OOV_ID) this.pass.oov++;
    });
    this.pass.values += vs.length;
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
