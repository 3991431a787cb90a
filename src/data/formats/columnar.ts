// Owns what the columnar formats (parquet, arrow, json arrays) share: checking that the needed columns
// exist, and turning their cell values into the plain values the encoders read — bigints as numbers,
// timestamps as {time, year, month, day, weekday, hour, minute} (so `date.hour` names a field), nulls kept.
import { didYouMean } from '../../util/suggest';
import type { Report } from './record';

/** True when every needed field's first part is a column; otherwise one problem per missing column. */
export function checkColumns(file: string, columns: string[], needed: string[], report: Report, owners: Record<string, string> = {}): boolean {
  const have = new Set(columns);
  const owner = (m: string) => owners[m] ?? owners[needed.find((n) => n.split('.')[0] === m) ?? ''];
  const missing = [...new Set(needed.map((n) => (have.has(n) ? n : n.split('.')[0])))].filter((n) => !have.has(n));
  for (const m of missing) report({ where: { file, ...(owner(m) ? { path: owner(m) } : {}) }, message: `no column "${m}" in the file`, allowed: columns.join(', '), hint: didYouMean(m, columns) });
  return missing.length === 0;
}

/** The parts of a timestamp (UTC) a model can use; `time` is milliseconds since 1970. */
export function dateParts(d: Date): Record<string, number> {
  return {
    time: d.getTime(),
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    weekday: d.getUTCDay(),
    hour: d.getUTCHours(),
    minute: d.getUTCHours() * 60 + d.getUTCMinutes(),
  };
}

/** A cell as the encoders read it. */
export function plainValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return dateParts(v);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>, plainValue);
  if (Array.isArray(v)) return v.map(plainValue);
  return v;
}
