// Owns the category encoder: class labels (targets, per row or per token) and categorical inputs → int32
// ids, and what a learnt target does with labels no training row has (unseen: error | missing | other).
import type { Where } from '../../errors';
import { didYouMean } from '../../util/suggest';
import type { DataRecord, Report } from '../formats/record';
import type { InputMap, TargetMap, UnseenPolicy } from './config';
import type { Encoded, Encoder } from './encoder';
import { decimal, fieldLabel, fieldsOf, isMissing, naturalSort, prod, raw } from './fields';

/** The name of the extra class of `unseen: other`. */
export const OTHER_LABEL = '<other>';

/** Labels of one pass that no training row has: count and first place, by label. */
export type UnseenLabels = Map<string, { count: number; where: Where }>;

/**
 * Class labels → int32 indices: integer indices as they are, a fixed category list, or categories
 * learnt on train (sorted by code point, integers by value). With `length`, a sequence of tags per row
 * (token classification): padded/truncated to `length`, with a per-token mask. A learnt target
 * collects the labels it has not seen (drained by `drainUnseen` after each pass) instead of failing
 * at the first, so that one data error lists them all.
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
  private unseen: UnseenLabels = new Map();
  readonly unseenPolicy: UnseenPolicy;
  /** A per-pixel target (shape [h, w]): a class per pixel, masked per row. */
  private readonly pixels: boolean;

  constructor(readonly key: string, private readonly map: TargetMap | InputMap, private readonly classes: number, private readonly role: 'target' | 'input') {
    this.fields = fieldsOf(map);
    this.perToken = role === 'target' && map.length !== undefined;
    const pixels = role === 'target' ? (map as TargetMap).shape : undefined;
    this.shape = role === 'input' ? [1] : pixels ?? (map.length !== undefined ? [map.length] : []);
    this.pixels = pixels !== undefined;
    const cats = (map as TargetMap).categories;
    this.learns = role === 'input' || cats === 'learn';
    if (Array.isArray(cats)) this.setList(cats);
    this.unseenPolicy = (map as TargetMap).unseen ?? 'error';
  }

  /** The labels of the last pass that no training row had (and forgets them). */
  drainUnseen(): UnseenLabels {
    const u = this.unseen;
    this.unseen = new Map();
    return u;
  }

  /** Class names by index (with `<other>` last under unseen: other); empty for class indices. */
  names(): string[] {
    return this.list.length && this.unseenPolicy === 'other' ? [...this.list, OTHER_LABEL] : this.list;
  }

  private setList(list: string[]): void {
    this.list = list;
    this.index = new Map(list.map((c, i) => [c, i]));
  }

  private labels(v: unknown): string[] | 'missing' {
    if (isMissing(v)) return 'missing';
    const norm = (x: unknown) => ((this.map as TargetMap).lowercase ? String(x).toLowerCase() : String(x)).trim();
    if (this.pixels) return flat(v).map((x) => (isMissing(x) ? '' : norm(x)));
    if (this.perToken) {
      if (Array.isArray(v)) return v.map(norm);
      return String(v).trim().split(/\s+/).map(norm);
    }
    return [norm(v)];
  }

  /** The class of a label; null when invalid (reported), 'masked' for an unseen label under unseen: missing. */
  private indexOf(label: string, rec: DataRecord, report: Report, where: Where = rec.where): number | null | 'masked' {
    const cats = (this.map as TargetMap).categories;
    if (this.role === 'input') return (this.index.get(label) ?? -1) + 1;
    if (cats === undefined) {
      const n = decimal(label);
      if (!Number.isInteger(n) || n < 0 || n >= this.classes) {
        report({ where, message: `${this.key}: label ${JSON.stringify(label)} is not a class index of the head`, allowed: `0..${this.classes - 1} (${this.classes} classes)`, hint: !Number.isFinite(n) ? 'named labels need categories: learn (or a list)' : undefined });
        return null;
      }
      return n;
    }
    const i = this.index.get(label);
    if (i !== undefined) return i;
    if (cats === 'learn') {
      const u = this.unseen.get(label);
      if (u) u.count++;
      else this.unseen.set(label, { count: 1, where });
      return this.unseenPolicy === 'other' ? this.list.length : this.unseenPolicy === 'missing' ? 'masked' : null;
    }
    report({
      where,
      message: `${this.key}: label ${JSON.stringify(label)} is not one of the categories`,
      allowed: this.list.length <= 20 ? this.list.join(', ') : `${this.list.length} categories`,
      hint: didYouMean(label, this.list, { strict: true }),
    });
    return null;
  }

  fit(rec: DataRecord, report: Report): void {
    const ls = this.labels(raw(rec, this.map));
    if (ls === 'missing') {
      if (this.role === 'input') report({ where: rec.where, message: `${this.key}: ${fieldLabel(this.map)} is empty`, hint: 'inputs cannot be missing' });
      return;
    }
    if (!this.sizeFits(ls, rec, report)) return;
    if (this.learns) {
      for (const l of ls) if (!this.seen.has(l)) this.seen.set(l, this.seen.size);
    } else ls.forEach((l, i) => this.indexOf(l, rec, report, tokenWhere(rec, i, this.perToken)));
  }

  finish(report: Report): unknown {
    if (!this.learns) return Array.isArray((this.map as TargetMap).categories) ? undefined : undefined;
    const list = [...this.seen.keys()].sort(naturalSort);
    const need = list.length + (this.unseenPolicy === 'other' ? 1 : 0);
    if (this.role === 'target' && need > this.classes) {
      const other = this.unseenPolicy === 'other' ? ` + 1 for ${OTHER_LABEL} (unseen: other)` : '';
      report({ where: { path: `data.${this.key}` }, message: `${list.length} distinct labels in the training data${other}, but classes is ${this.classes}`, received: list.length <= 20 ? list : `${list.slice(0, 20).join(', ')}, …`, hint: `set classes: ${need} (and the head's units)` });
    }
    this.setList(list);
    return this.unseenPolicy === 'other' && this.role === 'target' ? { categories: list, other: OTHER_LABEL } : { categories: list };
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
    if (!this.sizeFits(ls, rec, report)) return null;
    const mask = this.perToken ? new Uint8Array(len) : undefined;
    let ok = true;
    let masked = false;
    for (let i = 0; i < Math.min(ls.length, len); i++) {
      const k = this.indexOf(ls[i], rec, report, tokenWhere(rec, i, this.perToken));
      if (k === null) ok = false;
      else if (k === 'masked') masked = true;
      else {
        data[i] = k;
        if (mask) mask[i] = 1;
      }
    }
    if (!ok) return null;
    if (this.role === 'input') return { data };
    return { data, mask: mask ?? (masked ? 0 : 1) };
  }

  /** A per-pixel row holds exactly one label per pixel, none of them empty (other rows are padded or truncated). */
  private sizeFits(ls: string[], rec: DataRecord, report: Report): boolean {
    if (!this.pixels) return true;
    if (ls.length !== prod(this.shape)) {
      report({ where: rec.where, message: `${this.key}: ${fieldLabel(this.map)} holds ${ls.length} labels, but the per-pixel target has one per pixel`, received: ls.length, allowed: `${prod(this.shape)} (shape [${this.shape.join(', ')}], the head's output grid)` });
      return false;
    }
    const hole = ls.indexOf('');
    if (hole < 0) return true;
    report({ where: rec.where, message: `${this.key}: ${fieldLabel(this.map)} has no label at pixel ${hole} (row-major)`, hint: 'per-pixel masks are not read from files: label every pixel, or leave the whole field empty to mask the row' });
    return false;
  }

  info(): Record<string, unknown> {
    return this.list.length ? { categories: this.list.length <= 50 ? this.list : this.list.length } : {};
  }
}

/** The values of nested lists (or an idx/npy row), in row-major order. */
function flat(v: unknown): unknown[] {
  if (Array.isArray(v)) return v.flatMap(flat);
  if (v && typeof v === 'object' && 'data' in v && ArrayBuffer.isView((v as { data: ArrayLike<number> }).data)) return Array.from((v as { data: ArrayLike<number> }).data);
  return [v];
}

/** Where token i of a record is: its own line when the reader knows it (CoNLL), else the record's. */
function tokenWhere(rec: DataRecord, i: number, perToken: boolean): Where {
  const line = perToken ? rec.lines?.[i] : undefined;
  return line === undefined ? rec.where : { ...rec.where, line };
}
