// Owns "fit on train, apply to every split": one encoder per model input and per task target turns a
// record's raw fields into a typed row (numbers, z-scored features, class indices, token ids, resized
// images), learning what it needs (statistics, category and token vocabularies) from the training
// rows only. Its state is plain JSON, saved in the run folder so that eval encodes exactly alike.
import * as path from 'node:path';
import type { Problem } from '../../errors';
import type { TaskType } from '../../tasks';
import { didYouMean } from '../../util/suggest';
import { loadImage } from '../formats/image';
import type { ArrayCell, DataRecord } from '../formats/record';

export interface InputMap {
  field?: string;
  column?: string;
  columns?: string[];
  encoding: 'numeric' | 'tokens' | 'image' | 'category';
  shape?: number[];
  normalize?: boolean;
  length?: number;
  vocabulary?: number;
  minCount?: number;
  lowercase?: boolean;
  split?: 'whitespace' | 'chars';
  height?: number;
  width?: number;
  channels?: 1 | 3;
}

export interface TargetMap {
  field?: string;
  column?: string;
  columns?: string[];
  type: TaskType;
  classes?: number;
  categories?: 'learn' | string[];
  normalize?: boolean;
  length?: number;
  dim?: number;
  separator?: string;
  lowercase?: boolean;
}

export type Report = (p: Problem) => void;

export interface Encoded {
  data: Float32Array | Int32Array;
  /** Targets: 1/0 per row, or one value per element for token-level targets. */
  mask?: number | Uint8Array;
}

export interface Encoder {
  readonly key: string;
  readonly shape: number[];
  readonly dtype: 'float32' | 'int32';
  /** Token-level target: one mask value per element. */
  readonly perToken: boolean;
  readonly fields: string[];
  /** Whether fit() learns anything (otherwise the fit pass only validates). */
  readonly learns: boolean;
  fit(rec: DataRecord, report: Report): void;
  /** After the fit pass: the learnt state (JSON), with problems such as too many classes reported. */
  finish(report: Report): unknown;
  load(state: unknown): void;
  /** null when the record is invalid (reported). */
  encode(rec: DataRecord, report: Report): Encoded | null;
  /** For `mtl data inspect`: vocabulary sizes and the like. */
  info(): Record<string, unknown>;
}

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
const isMissing = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

function fieldsOf(m: { field?: string; column?: string; columns?: string[] }): string[] {
  return m.columns ?? [m.field ?? m.column ?? ''];
}

/** A field's value; dotted names reach into JSON objects (`meta.price`). */
function getField(rec: DataRecord, name: string): unknown {
  if (name in rec.fields) return rec.fields[name];
  if (!name.includes('.')) return undefined;
  let v: unknown = rec.fields;
  for (const part of name.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

/** An idx/npy row of one value is that value; of several, a plain list. */
function unwrap(v: unknown): unknown {
  if (v && typeof v === 'object' && 'data' in v && ArrayBuffer.isView((v as ArrayCell).data)) {
    const d = (v as ArrayCell).data;
    return (v as ArrayCell).shape.length === 0 ? d[0] : Array.from(d);
  }
  return v;
}

function raw(rec: DataRecord, m: { field?: string; column?: string; columns?: string[] }): unknown {
  return m.columns ? m.columns.map((c) => unwrap(getField(rec, c))) : unwrap(getField(rec, fieldsOf(m)[0]));
}

const BOOL: Record<string, number> = { true: 1, false: 0, yes: 1, no: 0 };

/**
 * Numbers of a raw value: CSV text, JSON numbers/booleans/nested arrays, or an idx/npy row.
 * 'missing' when any part is empty/null; a string when a value is not a number.
 */
function numbers(v: unknown, out: number[]): 'ok' | 'missing' | { bad: unknown } {
  if (isMissing(v)) return 'missing';
  if (typeof v === 'number') {
    out.push(v);
    return 'ok';
  }
  if (typeof v === 'boolean') {
    out.push(v ? 1 : 0);
    return 'ok';
  }
  if (typeof v === 'string') {
    const s = v.trim();
    const b = BOOL[s.toLowerCase()];
    const n = b ?? Number(s);
    if (!Number.isFinite(n)) return { bad: v };
    out.push(n);
    return 'ok';
  }
  if (Array.isArray(v)) {
    for (const x of v) {
      const r = numbers(x, out);
      if (r !== 'ok') return r;
    }
    return 'ok';
  }
  if (v && typeof v === 'object' && 'data' in v && ArrayBuffer.isView((v as ArrayCell).data)) {
    const d = (v as ArrayCell).data;
    for (let i = 0; i < d.length; i++) out.push(d[i]);
    return 'ok';
  }
  return { bad: v };
}

function fieldLabel(m: { field?: string; column?: string; columns?: string[] }): string {
  return m.columns ? `columns ${m.columns.join(', ')}` : `"${fieldsOf(m)[0]}"`;
}

/** Numeric features and numeric targets (regression, binary, multilabel 0/1 columns), optionally z-scored. */
class NumericEncoder implements Encoder {
  readonly dtype = 'float32';
  readonly perToken = false;
  readonly fields: string[];
  readonly learns: boolean;
  private n = 0;
  private mean: number[];
  private m2: number[];
  private std: number[] = [];
  private buf: number[] = [];

  constructor(readonly key: string, private readonly map: { field?: string; column?: string; columns?: string[]; normalize?: boolean }, readonly shape: number[], private readonly target: TaskType | undefined) {
    this.fields = fieldsOf(map);
    this.learns = !!map.normalize;
    this.mean = new Array<number>(prod(shape)).fill(0);
    this.m2 = new Array<number>(prod(shape)).fill(0);
  }

  private values(rec: DataRecord, report: Report): number[] | 'missing' | null {
    this.buf.length = 0;
    const r = numbers(raw(rec, this.map), this.buf);
    if (r === 'missing') {
      if (this.target) return 'missing';
      report({ where: rec.where, message: `${this.key}: ${fieldLabel(this.map)} is empty`, hint: 'inputs cannot be missing; only task targets may be' });
      return null;
    }
    if (r !== 'ok') {
      report({ where: rec.where, message: `${this.key}: non-numeric value in ${fieldLabel(this.map)}`, received: r.bad, allowed: 'numbers' });
      return null;
    }
    const want = prod(this.shape);
    if (this.buf.length !== want) {
      report({ where: rec.where, message: `${this.key}: ${fieldLabel(this.map)} holds ${this.buf.length} values`, allowed: `${want} (shape [${this.shape.join(', ')}])`, hint: this.target ? undefined : 'set the input\'s shape' });
      return null;
    }
    if (this.target === 'binary' || this.target === 'multilabel') {
      const bad = this.buf.find((x) => x !== 0 && x !== 1);
      if (bad !== undefined) {
        report({ where: rec.where, message: `${this.key}: label ${bad} in ${fieldLabel(this.map)} is not 0 or 1`, allowed: `0, 1, true, false (a ${this.target} task)` });
        return null;
      }
    }
    return this.buf;
  }

  fit(rec: DataRecord, report: Report): void {
    const v = this.values(rec, report);
    if (!v || v === 'missing' || !this.map.normalize) return;
    this.n++;
    for (let i = 0; i < v.length; i++) {
      // Welford's running mean and variance: one pass, numerically stable.
      const d = v[i] - this.mean[i];
      this.mean[i] += d / this.n;
      this.m2[i] += d * (v[i] - this.mean[i]);
    }
  }

  finish(): unknown {
    if (!this.map.normalize) return undefined;
    this.std = this.m2.map((m) => (this.n > 1 ? Math.sqrt(m / this.n) : 0)).map((s) => (s > 1e-12 ? s : 1));
    return { mean: this.mean, std: this.std, count: this.n };
  }

  load(state: unknown): void {
    if (!this.map.normalize) return;
    const s = state as { mean: number[]; std: number[] };
    this.mean = s.mean;
    this.std = s.std;
  }

  encode(rec: DataRecord, report: Report): Encoded | null {
    const v = this.values(rec, report);
    if (!v) return null;
    const data = new Float32Array(prod(this.shape));
    if (v === 'missing') return { data, mask: 0 };
    for (let i = 0; i < v.length; i++) data[i] = this.map.normalize ? (v[i] - this.mean[i]) / this.std[i] : v[i];
    return this.target ? { data, mask: 1 } : { data };
  }

  info(): Record<string, unknown> {
    return this.map.normalize ? { normalized: true, mean: this.mean, std: this.std } : {};
  }
}

const naturalSort = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/**
 * Class labels → int32 indices: integer indices as they are, a fixed category list, or categories
 * learnt on train (sorted naturally, so 2 < 10). With `length`, a sequence of tags per row (token
 * classification): padded/truncated to `length`, with a per-token mask.
 */
class CategoryEncoder implements Encoder {
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

/** Labels named in one field (a JSON list, or text split by `separator`) → a multi-hot row over the categories. */
class MultiHotEncoder implements Encoder {
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

/**
 * Text (or a CoNLL token column) → int32 token ids of a fixed length: 0 pads, 1 is out-of-vocabulary,
 * 2.. the training tokens by descending count (ties alphabetical), at most `vocabulary` ids in all.
 */
class TokenEncoder implements Encoder {
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
    const min = this.map.minCount ?? 1;
    const max = (this.map.vocabulary ?? 10000) - 2;
    const vocab = [...this.counts.entries()].filter(([, c]) => c >= min).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, max).map(([t]) => t);
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

  info(): Record<string, unknown> {
    return { vocabularySize: this.size, maxVocabulary: this.map.vocabulary ?? 10000, length: this.shape[0] };
  }
}

/** An image file named by a field (relative to the list file or class folder) → [height, width, channels] in [0, 1]. */
class ImageEncoder implements Encoder {
  readonly dtype = 'float32';
  readonly perToken = false;
  readonly learns = false;
  readonly fields: string[];
  readonly shape: number[];
  /** Decode images while fitting too (streamed sources are checked before training starts). */
  checkOnFit = false;

  constructor(readonly key: string, private readonly map: InputMap) {
    this.fields = fieldsOf(map);
    this.shape = [map.height ?? 32, map.width ?? 32, map.channels ?? 3];
  }

  fit(rec: DataRecord, report: Report): void {
    if (this.checkOnFit) this.encode(rec, report);
  }

  finish(): unknown {
    return undefined;
  }

  load(): void {}

  encode(rec: DataRecord, report: Report): Encoded | null {
    const v = raw(rec, this.map);
    if (typeof v !== 'string' || v.trim() === '') {
      report({ where: rec.where, message: `${this.key}: no image file name in ${fieldLabel(this.map)}`, received: v });
      return null;
    }
    const file = path.resolve(rec.dir, v.trim());
    try {
      return { data: loadImage(file, this.shape[0], this.shape[1], this.shape[2] as 1 | 3) };
    } catch (e) {
      report({ where: rec.where, message: `${this.key}: ${(e as Error).message}`, received: file });
      return null;
    }
  }

  info(): Record<string, unknown> {
    return {};
  }
}

export function inputEncoder(name: string, m: InputMap): Encoder {
  switch (m.encoding) {
    case 'tokens':
      return new TokenEncoder(`inputs.${name}`, m);
    case 'image':
      return new ImageEncoder(`inputs.${name}`, m);
    case 'category':
      return new CategoryEncoder(`inputs.${name}`, m, 0, 'input');
    default:
      return new NumericEncoder(`inputs.${name}`, m, m.shape ?? [m.columns ? m.columns.length : 1], undefined);
  }
}

export function targetEncoder(name: string, m: TargetMap): Encoder {
  const key = `targets.${name}`;
  switch (m.type) {
    case 'classification':
      return new CategoryEncoder(key, m, m.classes ?? 2, 'target');
    case 'multilabel':
      if (!m.columns && m.categories) return new MultiHotEncoder(key, m, m.classes ?? (Array.isArray(m.categories) ? m.categories.length : 2));
      return new NumericEncoder(key, m, [m.columns ? m.columns.length : m.classes ?? 1], 'multilabel');
    case 'binary':
      return new NumericEncoder(key, m, [1], 'binary');
    default:
      return new NumericEncoder(key, m, [m.columns ? m.columns.length : m.dim ?? 1], 'regression');
  }
}

/** Shape and dtype of what an input mapping yields, without reading data (for `mtl validate`). */
export function inputShape(m: InputMap): { shape: number[]; dtype: 'float32' | 'int32' } {
  const e = inputEncoder('x', m);
  return { shape: e.shape, dtype: e.dtype };
}
