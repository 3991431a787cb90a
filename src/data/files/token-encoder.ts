// Owns the token encoder: text (or a CoNLL token column) → int32 ids over a vocabulary learnt on train.
import { learnVocabulary } from '../categorical';
import type { DataRecord, Report } from '../formats/record';
import type { InputMap } from './config';
import type { Encoded, Encoder } from './encoder';
import { fieldLabel, fieldsOf, raw } from './fields';

/**
 * Text (or a CoNLL token column) → int32 token ids of a fixed length: 0 pads, 1 is out-of-vocabulary,
 * 2.. the training tokens by descending count (ties alphabetical), at most `vocabulary` ids in all.
 */
export class TokenEncoder implements Encoder {
  readonly dtype = 'int32';
  readonly perToken = false;
  readonly learns = true;
  readonly fields: string[];
  readonly shape: number[];
  private counts = new Map<string, number>();
  private ids = new Map<string, number>();
  private size = 2;

  constructor(readonly key: string, private readonly map: InputMap) {
    this.fields = fieldsOf(map);
    this.shape = [map.length ?? 32];
  }

  private tokens(v: unknown): string[] | null {
    if (v === undefined || v === null) return null;
    const norm = (s: string) => (this.map.lowercase ? s.toLowerCase() : s);
    if (Array.isArray(v)) return v.map((x) => norm(String(x)));
    const s = norm(String(v));
    return this.map.split === 'chars' ? [...s] : s.split(/\s+/).filter((t) => t !== '');
  }

  fit(rec: DataRecord, report: Report): void {
    const ts = this.tokens(raw(rec, this.map));
    if (!ts) {
      report({ where: rec.where, message: `${this.key}: no ${fieldLabel(this.map)}`, hint: 'inputs cannot be missing' });
      return;
    }
    for (const t of ts) this.counts.set(t, (this.counts.get(t) ?? 0) + 1);
  }

  finish(): unknown {
    const vocab = learnVocabulary(this.counts, this.map.minCount ?? 1, this.map.vocabulary ?? 10000);
    this.load({ vocabulary: vocab });
    this.counts.clear();
    return { vocabulary: vocab, pad: 0, oov: 1 };
  }

  load(state: unknown): void {
    const vocab = (state as { vocabulary: string[] }).vocabulary;
    this.ids = new Map(vocab.map((t, i) => [t, i + 2]));
    this.size = vocab.length + 2;
  }

  encode(rec: DataRecord, report: Report): Encoded | null {
    const ts = this.tokens(raw(rec, this.map));
    if (!ts) {
      report({ where: rec.where, message: `${this.key}: no ${fieldLabel(this.map)}` });
      return null;
    }
    const data = new Int32Array(this.shape[0]);
    for (let i = 0; i < Math.min(ts.length, data.length); i++) data[i] = this.ids.get(ts[i]) ?? 1;
    return { data };
  }

  words(rec: DataRecord): string[] | null {
    return this.tokens(raw(rec, this.map));
  }

  info(): Record<string, unknown> {
    return { vocabularySize: this.size, maxVocabulary: this.map.vocabulary ?? 10000, length: this.shape[0] };
  }
}
