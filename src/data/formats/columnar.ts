// Owns what the columnar formats (parquet, arrow, json arrays) share: checking that the needed columns
// exist, and turning their cell values into the plain values the encoders read — bigints as numbers,
// timestamps as {time, year, month, day, weekday, hour, minute} (so `date.hour` names a field), nulls kept.
import { didYouMean } from '../../util/suggest';
import { DATE_PARTS, dateParts, ISO_DATES, isoDate } from './dates';
import type { Report } from './record';

/** True when every needed field's first part is a column; otherwise one problem per missing column. */
export function checkColumns(file: string, columns: string[], needed: string[], report: Report, owners: Record<string, string> = {}): boolean {
  const have = new Set(columns);
  const owner = (m: string) => owners[m] ?? owners[needed.find((n) => n.split('.')[0] === m) ?? ''];
  const missing = [...new Set(needed.map((n) => (have.has(n) ? n : n.split('.')[0])))].filter((n) => !have.has(n));
  for (const m of missing) report({ where: { file, ...(owner(m) ? { path: owner(m) } : {}) }, message: `no column "${m}" in the file`, allowed: columns.join(', '), hint: didYouMean(m, columns) });
  return missing.length === 0;
}

/**
 * Dotted names (`meta.price`, `Release Date.year`) that no row can reach because the value on the way
 * is text or a number wherever it is not empty: one problem each, naming what the rows hold (a name
 * that some row's object merely lacks is the census's to report). Returns whether all are fine.
 */
export function checkPaths(file: string, rows: unknown[], columns: Set<string>, needed: string[], report: Report, owners: Record<string, string> = {}): boolean {
  let ok = true;
  for (const name of new Set(needed)) {
    if (columns.has(name) || !name.includes('.')) continue;
    const parts = name.split('.');
    let stop: { at: string; value: unknown } | undefined;
    // Whether some row reaches the field, or holds an object on the way that merely lacks the rest.
    const objectOnTheWay = rows.some((row) => {
      let v: unknown = row;
      for (let i = 0; i < parts.length; i++) {
        if (v === null || v === undefined) return i > 1;
        if (typeof v !== 'object') {
          // Text holding an ISO 8601 date gives its parts (formats/dates.ts).
          if (typeof v === 'string' && i === parts.length - 1 && DATE_PARTS.includes(parts[i]) && isoDate(v)) return true;
          stop ??= { at: parts.slice(0, i).join('.'), value: v };
          return false;
        }
        v = (v as Record<string, unknown>)[parts[i]];
      }
      return true;
    });
    if (objectOnTheWay || !stop) continue;
    ok = false;
    const last = parts[parts.length - 1];
    const kind = typeof stop.value === 'string' ? 'text' : typeof stop.value;
    report({
      where: { file, ...(owners[name] ? { path: owners[name] } : {}) },
      message: `no row has a field "${name}": "${stop.at}" holds ${kind} (e.g. ${JSON.stringify(stop.value)}), which has no field "${parts.slice(stop.at.split('.').length).join('.')}"`,
      hint: DATE_PARTS.includes(last)
        ? `.${last} is read from a parquet or arrow timestamp column or from text holding ${ISO_DATES}; write the dates so, or add a column holding the ${last} to the file`
        : 'a dotted name reads a field of a JSON object',
    });
  }
  return ok;
}

/** A cell as the encoders read it. */
export function plainValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return dateParts(v);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>, plainValue);
  if (Array.isArray(v)) return v.map(plainValue);
  return v;
}
