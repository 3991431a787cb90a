// Owns the multi-hot encoder: a multilabel target named in one field → one 0/1 value per category.
import { didYouMean } from '../../util/suggest';
import type { DataRecord, Report } from '../formats/record';
import type { TargetMap } from './config';
import type { Encoded, Encoder } from './encoder';
import { fieldsOf, naturalSort, raw } from './fields';

/** Labels named in one field (a JSON list, or text split by `separator`) → a multi-hot row over the categories. */
export class MultiHotEncoder implements Encoder {
  readonly dtype = 'float32';
  readonly perToken = false;
  readonly fields: string[];
  readonly shape: number[];
  readonly learns: boolean;
  private seen = new Set<string>();
  private index = new Map<string, number>();
  private list: string[];

  constructor(readonly key: string, private readonly map: TargetMap, classes: number) {
    this.fields = fieldsOf(map);
    this.shape = [classes];
    this.learns = map.categories === 'learn';
    this.list = Array.isArray(map.categories) ? map.categories : [];
    this.index = new Map(this.list.map((c, i) => [c, i]));
  }

  private labels(v: unknown): string[] | 'missing' {
    if (v === undefined || v === null) return 'missing';
    if (Array.isArray(v)) return v.map((x) => String(x).trim());
    const s = String(v).trim();
    return s === '' ? [] : s.split(this.map.separator ?? '|').map((x) => x.trim());
  }

  fit(rec: DataRecord, report: Report): void {
    const ls = this.labels(raw(rec, this.map));
    if (ls === 'missing') return;
    if (this.learns) ls.forEach((l) => this.seen.add(l));
    else this.encode(rec, report);
  }

  finish(report: Report): unknown {
    if (!this.learns) return undefined;
    this.list = [...this.seen].sort(naturalSort);
    if (this.list.length > this.shape[0]) report({ where: { path: `data.targets.${this.key}` }, message: `${this.list.length} distinct labels in the training data, but classes is ${this.shape[0]}`, hint: `set classes: ${this.list.length}` });
    this.index = new Map(this.list.map((c, i) => [c, i]));
    return { categories: this.list };
  }

  load(state: unknown): void {
    if (!this.learns) return;
    this.list = (state as { categories: string[] }).categories;
    this.index = new Map(this.list.map((c, i) => [c, i]));
  }

  encode(rec: DataRecord, report: Report): Encoded | null {
    const ls = this.labels(raw(rec, this.map));
    const data = new Float32Array(this.shape[0]);
    if (ls === 'missing') return { data, mask: 0 };
    for (const l of ls) {
      const i = this.index.get(l);
      if (i === undefined) {
        report({ where: rec.where, message: `${this.key}: label ${JSON.stringify(l)} is not one of the categories`, allowed: this.list.join(', '), hint: didYouMean(l, this.list) });
        return null;
      }
      data[i] = 1;
    }
    return { data, mask: 1 };
  }

  info(): Record<string, unknown> {
    return { categories: this.list };
  }
}
