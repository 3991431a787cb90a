// Owns the category encoder: class labels (targets, per row or per token) and categorical inputs → int32 ids.
import { didYouMean } from '../../util/suggest';
import type { DataRecord, Report } from '../formats/record';
import type { InputMap, TargetMap } from './config';
import type { Encoded, Encoder } from './encoder';
import { fieldLabel, fieldsOf, isMissing, naturalSort, prod, raw } from './fields';

/**
 * Class labels → int32 indices: integer indices as they are, a fixed category list, or categories
 * learnt on train (sorted naturally, so 2 < 10). With `length`, a sequence of tags per row (token
 * classification): padded/truncated to `length`, with a per-token mask.
 */
export class CategoryEncoder implements Encoder {
  readonly dtype = 'int32';
  readonly fields: string[];
  readonly shape: number[];
  readonly perToken: boolean;
  readonly learns: boolean;
  private seen = new Map<string, number>();
  private index = new Map<string, number>();
  private list: string[] = [];

  constructor(readonly key: string, private readonly map: TargetMap | InputMap, private readonly classes: number, private readonly role: 'target' | 'input') {
    this.fields = fieldsOf(map);
    this.perToken = role === 'target' && map.length !== undefined;
    this.shape = role === 'input' ? [1] : map.length !== undefined ? [map.length] : [];
    const cats = (map as TargetMap).categories;
    this.learns = role === 'input' || cats === 'learn';
    if (Array.isArray(cats)) this.setList(cats);
  }

  private setList(list: string[]): void {
    this.list = list;
    this.index = new Map(list.map((c, i) => [c, i]));
  }

  private labels(v: unknown): string[] | 'missing' {
    if (isMissing(v)) return 'missing';
    const norm = (x: unknown) => ((this.map as TargetMap).lowercase ? String(x).toLowerCase() : String(x)).trim();
    if (this.perToken) {
      if (Array.isArray(v)) return v.map(norm);
      return String(v).trim().split(/\s+/).map(norm);
    }
    return [norm(v)];
  }

  private indexOf(label: string, rec: DataRecord, report: Report): number | null {
    const cats = (this.map as TargetMap).categories;
    if (this.role === 'input') return (this.index.get(label) ?? -1) + 1;
    if (cats === undefined) {
      const n = Number(label);
      if (!Number.isInteger(n) || n < 0 || n >= this.classes) {
        report({ where: rec.where, message: `${this.key}: label ${JSON.stringify(label)} is not a class index of the head`, allowed: `0..${this.classes - 1} (${this.classes} classes)`, hint: !Number.isFinite(n) ? 'named labels need categories: learn (or a list)' : undefined });
        return null;
      }
      return n;
    }
    const i = this.index.get(label);
    if (i === undefined) {
      report({
        where: rec.where,
        message: `${this.key}: label ${JSON.stringify(label)} ${cats === 'learn' ? 'was not seen in the training data' : 'is not one of the categories'}`,
        allowed: this.list.length <= 20 ? this.list.join(', ') : `${this.list.length} categories`,
        hint: didYouMean(label, this.list),
      });
      return null;
    }
    return i;
  }

  fit(rec: DataRecord, report: Report): void {
    const ls = this.labels(raw(rec, this.map));
    if (ls === 'missing') {
      if (this.role === 'input') report({ where: rec.where, message: `${this.key}: ${fieldLabel(this.map)} is empty`, hint: 'inputs cannot be missing' });
      return;
    }
    if (this.learns) {
      for (const l of ls) if (!this.seen.has(l)) this.seen.set(l, this.seen.size);
    } else for (const l of ls) if (this.indexOf(l, rec, report) === null) return;
  }

  finish(report: Report): unknown {
    if (!this.learns) return Array.isArray((this.map as TargetMap).categories) ? undefined : undefined;
    const list = [...this.seen.keys()].sort(naturalSort);
    if (this.role === 'target' && list.length > this.classes) {
      report({ where: { path: `data.targets.${this.key}` }, message: `${list.length} distinct labels in the training data, but classes is ${this.classes}`, received: list.length <= 20 ? list : `${list.slice(0, 20).join(', ')}, …`, hint: `set classes: ${list.length} (and the head's units)` });
    }
    this.setList(list);
    return { categories: list };
  }

  load(state: unknown): void {
    if (this.learns) this.setList((state as { categories: string[] }).categories);
  }

  encode(rec: DataRecord, report: Report): Encoded | null {
    const ls = this.labels(raw(rec, this.map));
    const len = prod(this.shape);
    const data = new Int32Array(len);
    if (ls === 'missing') {
      if (this.role === 'input') {
        report({ where: rec.where, message: `${this.key}: ${fieldLabel(this.map)} is empty` });
        return null;
      }
      return { data, mask: this.perToken ? new Uint8Array(len) : 0 };
    }
    const mask = this.perToken ? new Uint8Array(len) : undefined;
    for (let i = 0; i < Math.min(ls.length, len); i++) {
      const k = this.indexOf(ls[i], rec, report);
      if (k === null) return null;
      data[i] = k;
      if (mask) mask[i] = 1;
    }
    if (this.role === 'input') return { data };
    return { data, mask: mask ?? 1 };
  }

  info(): Record<string, unknown> {
    return this.list.length ? { categories: this.list.length <= 50 ? this.list : this.list.length } : {};
  }
}
