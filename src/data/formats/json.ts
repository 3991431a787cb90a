// Owns the json format: one file holding a JSON array of objects, each a record (row numbers from 1).
// The whole file is parsed at once — for files larger than memory, use jsonl, parquet or arrow.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkColumns, checkPaths, plainValue } from './columnar';
import type { DataRecord, ReaderOptions, Report } from './record';

export async function* readJsonArray(file: string, opts: ReaderOptions, report: Report): AsyncGenerator<DataRecord> {
  let v: unknown;
  try {
    v = JSON.parse(await fs.promises.readFile(file, 'utf8'));
  } catch (e) {
    report({ where: { file }, message: (e as NodeJS.ErrnoException).code ? `cannot read the file: ${(e as Error).message}` : `not valid JSON: ${(e as Error).message}` });
    return;
  }
  if (!Array.isArray(v)) {
    report({ where: { file }, message: 'format json needs one JSON array of objects', received: v === null ? 'null' : typeof v, hint: 'one object per line is format jsonl' });
    return;
  }
  const dir = path.dirname(file);
  // A key any object holds is a column (objects may leave out keys: those cells are missing).
  const keys = new Set<string>();
  for (const x of v) if (x && typeof x === 'object' && !Array.isArray(x)) for (const k of Object.keys(x)) keys.add(k);
  if (v.length && !checkColumns(file, [...keys], opts.needed, report, opts.owners)) return;
  if (v.length && !checkPaths(file, v, keys, opts.needed, report, opts.owners)) return;
  for (let i = 0; i < v.length; i++) {
    const o = v[i];
    if (typeof o !== 'object' || o === null || Array.isArray(o)) {
      report({ where: { file, row: i + 1 }, message: 'each element of the array must be an object', received: o });
      continue;
    }
    yield { fields: Object.fromEntries(Object.entries(o).map(([k, x]) => [k, plainValue(x)])), where: { file, row: i + 1 }, dir };
  }
}
