// Owns reading a mapping's raw value out of a record (named fields, dotted JSON paths, idx/npy rows)
// and the parsing the encoders share: numbers, missing values, the label order, how a field is named
// in a message.
import type { ArrayCell, DataRecord } from '../formats/record';

export const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
export const isMissing = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

export function fieldsOf(m: { field?: string; column?: string; columns?: string[] }): string[] {
  return m.columns ?? [m.field ?? m.column ?? ''];
}

/** A field's value; dotted names reach into JSON objects (`meta.price`). */
export function getField(rec: DataRecord, name: string): unknown {
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

export function raw(rec: DataRecord, m: { field?: string; column?: string; columns?: string[] }): unknown {
  return m.columns ? m.columns.map((c) => unwrap(getField(rec, c))) : unwrap(getField(rec, fieldsOf(m)[0]));
}

const BOOL: Record<string, number> = { true: 1, false: 0, yes: 1, no: 0 };
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A decimal number written as text (`-2.5`, `.5`, `1e3`), else NaN: JavaScript's Number() also reads
 * `0x1F`, `0b11` and `0o7` in other bases, so a cell "0x2" would train as 2 with nothing said.
 */
export const decimal = (s: string): number => (DECIMAL.test(s.trim()) ? Number(s) : NaN);

/**
 * Numbers of a raw value: CSV text, JSON numbers/booleans/nested arrays, or an idx/npy row.
 * 'missing' when any part is empty/null; a string when a value is not a number.
 */
export function numbers(v: unknown, out: number[]): 'ok' | 'missing' | { bad: unknown } {
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
    const n = b ?? decimal(s);
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

export function fieldLabel(m: { field?: string; column?: string; columns?: string[] }): string {
  return m.columns ? `columns ${m.columns.join(', ')}` : `"${fieldsOf(m)[0]}"`;
}

const INTEGER = /^-?\d+$/;

/**
 * Label order of learnt categories: by Unicode code point (the same in every locale, unlike locale
 * collation, which moves `#`, `_` and case around); integers by value when both are integers, so 2 < 10.
 */
export const naturalSort = (a: string, b: string): number => {
  if (INTEGER.test(a) && INTEGER.test(b) && Number(a) !== Number(b)) return Number(a) - Number(b);
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i].codePointAt(0)! - y[i].codePointAt(0)!;
  return x.length - y.length;
};
