// Owns dates as fields: the parts of a timestamp a model can use (`date.month`, `date.hour`, …), read
// from parquet/arrow timestamp columns and from dates written as ISO 8601 text (CSV, JSON, JSONL, text
// columns), so that a `date` column of "2012-01-31" gives `date.month` = 1 in every format.
import type { DataRecord, Report } from './record';

export const DATE_PARTS = ['time', 'year', 'month', 'day', 'weekday', 'hour', 'minute'];

/** What ISO 8601 text mtl reads as a date, for messages. */
export const ISO_DATES = 'ISO 8601 dates: 2012-01-31, 2012-01-31T13:45, 2012-01-31 13:45:30.5, optionally ending in Z or an offset (+01:00)';

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

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * An ISO 8601 date or date-time written as text, else undefined (also for impossible dates such as
 * 2012-02-30, which JavaScript's Date would move to March). Text without an offset is read as UTC, so
 * its parts are the ones written; with an offset it is moved to UTC, as parquet and arrow timestamps are.
 */
export function isoDate(text: string): Date | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1, 7).map((x) => (x === undefined ? undefined : Number(x))) as number[];
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const check = new Date(t);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  const zone = m[8]?.toUpperCase();
  if (!zone || zone === 'Z') return check;
  const sign = zone[0] === '-' ? -1 : 1;
  const [zh, zm = '0'] = zone.slice(1).includes(':') ? zone.slice(1).split(':') : [zone.slice(1, 3), zone.slice(3) || '0'];
  if (Number(zh) > 23 || Number(zm) > 59) return undefined;
  return new Date(t - sign * (Number(zh) * 60 + Number(zm)) * 60000);
}

/** A field name that reads a part of a date (`date.month`): the date's field and the part, else undefined. */
export function datePart(name: string): { base: string; part: string } | undefined {
  const i = name.lastIndexOf('.');
  if (i <= 0 || !DATE_PARTS.includes(name.slice(i + 1))) return undefined;
  return { base: name.slice(0, i), part: name.slice(i + 1) };
}

function baseValue(fields: Record<string, unknown>, base: string): unknown {
  if (base in fields) return fields[base];
  let v: unknown = fields;
  for (const p of base.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

/**
 * Records with the date parts of `names` read from text dates: `date.month` of a row whose `date` holds
 * "2012-01-31" becomes the field `date.month` = 1. A row whose date text is not ISO 8601 is a problem at
 * its line and is left out (a part read as a category or a label would otherwise be the text itself).
 * Empty and null dates stay missing; timestamps (objects of parts) are read as they are.
 */
export async function* withTextDates(records: AsyncGenerator<DataRecord>, names: string[], report: Report, owners: Record<string, string> = {}): AsyncGenerator<DataRecord> {
  const parts = [...new Set(names)].flatMap((n) => {
    const p = datePart(n);
    return p ? [{ name: n, ...p }] : [];
  });
  if (!parts.length) {
    yield* records;
    return;
  }
  // A column that holds timestamps (parquet, arrow) keeps holding them: once a part's date is seen as
  // one, that part is not looked at again, and with none left the records pass through untouched.
  for (;;) {
    const step = await records.next();
    if (step.done) return;
    const rec = step.value;
    let ok = true;
    for (let k = 0; k < parts.length && ok; k++) {
      const { name, base, part } = parts[k];
      if (name in rec.fields) continue;
      const v = baseValue(rec.fields, base);
      if (v !== null && typeof v === 'object') {
        parts.splice(k--, 1);
        continue;
      }
      if (typeof v !== 'string' || v.trim() === '') continue;
      const d = isoDate(v);
      if (d) rec.fields[name] = dateParts(d)[part];
      else {
        report({ where: { ...rec.where, ...(owners[name] ? { path: owners[name] } : {}) }, message: `"${base}" holds ${JSON.stringify(v)}, which is not a date mtl reads, so "${name}" has no value`, allowed: ISO_DATES, hint: 'write the dates in ISO 8601 (year-month-day), or add a column holding the part' });
        ok = false;
      }
    }
    if (ok) yield rec;
    if (!parts.length) {
      yield* records;
      return;
    }
  }
}
