// Owns the numeric encoder: numbers in, float32 out, optionally z-scored with training statistics.
import type { TaskType } from '../../tasks';
import type { DataRecord, Report } from '../formats/record';
import type { Encoded, Encoder } from './encoder';
import { fieldLabel, fieldsOf, getField, isMissing, numbers, prod, raw } from './fields';

/** The largest finite float32: larger values become Infinity in a Float32Array. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** Numeric features and numeric targets (regression, binary, multilabel 0/1 columns), optionally z-scored. */
export class NumericEncoder implements Encoder {
  readonly dtype = 'float32';
  readonly perToken = false;
  readonly fields: string[];
  readonly learns: boolean;
  private n = 0;
  private mean: number[];
  private m2: number[];
  private std: number[] = [];
  private buf: number[] = [];

  constructor(readonly key: string, private readonly map: { field?: string; column?: string; columns?: string[]; normalize?: boolean; above?: number }, readonly shape: number[], private readonly target: TaskType | undefined) {
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
      report({ where: rec.where, message: `${this.key}: ${this.emptyLabel(rec)}`, hint: 'inputs cannot be missing; only task targets may be' });
      return null;
    }
    if (r !== 'ok') {
      report({ where: rec.where, message: `${this.key}: non-numeric value in ${fieldLabel(this.map)}`, received: r.bad, allowed: 'numbers' });
      return null;
    }
    const huge = this.buf.find((x) => !(Math.abs(x) <= FLOAT32_MAX));
    if (huge !== undefined) {
      report({ where: rec.where, message: `${this.key}: value ${huge} in ${fieldLabel(this.map)} is not a finite float32 number`, allowed: `finite numbers within ±${FLOAT32_MAX.toPrecision(3)}` });
      return null;
    }
    const want = prod(this.shape);
    if (this.buf.length !== want) {
      const grid = this.target && this.shape.length >= 2 ? ', one per pixel of the head\'s output grid' : '';
      report({ where: rec.where, message: `${this.key}: ${fieldLabel(this.map)} holds ${this.buf.length} values`, allowed: `${want} (shape [${this.shape.join(', ')}]${grid})`, hint: this.target ? undefined : 'set the input\'s shape' });
      return null;
    }
    if (this.target === 'binary' && this.map.above !== undefined) for (let i = 0; i < this.buf.length; i++) this.buf[i] = this.buf[i] > this.map.above ? 1 : 0;
    if (this.target === 'binary' || this.target === 'multilabel') {
      const bad = this.buf.find((x) => x !== 0 && x !== 1);
      if (bad !== undefined) {
        report({ where: rec.where, message: `${this.key}: label ${bad} in ${fieldLabel(this.map)} is not 0 or 1`, allowed: `0, 1, true, false (a ${this.target} task)` });
        return null;
      }
    }
    return this.buf;
  }

  /** The empty ones of several columns by name, so that a wide row's message points at them. */
  private emptyLabel(rec: DataRecord): string {
    const empty = this.map.columns?.filter((c) => isMissing(getField(rec, c))) ?? [];
    if (!empty.length) return `${fieldLabel(this.map)} is empty`;
    return `${empty.length === 1 ? 'column' : 'columns'} ${empty.map((c) => `"${c}"`).join(', ')} ${empty.length === 1 ? 'is' : 'are'} empty`;
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

  finish(report: Report): unknown {
    if (!this.map.normalize) return undefined;
    this.std = this.m2.map((m) => (this.n > 1 ? Math.sqrt(m / this.n) : 0)).map((s) => (s > 1e-12 ? s : 1));
    const i = this.mean.findIndex((m, k) => !Number.isFinite(m) || !(this.std[k] <= FLOAT32_MAX));
    if (i >= 0) report({ where: { path: `data.${this.key}` }, message: `normalize: the training values of ${fieldLabel(this.map)} overflow (feature ${i}: mean ${this.mean[i]}, standard deviation ${this.std[i]})`, hint: 'rescale the values (e.g. to other units) or drop normalize' });
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
