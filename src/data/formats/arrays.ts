// Owns the idx and npy formats as records: one array file per field, the first axis the example.
import * as path from 'node:path';
import { didYouMean } from '../../util/suggest';
import { readIdx } from './idx';
import { readNpy } from './npy';
import type { ArrayCell, DataRecord, ReaderOptions, Report } from './record';
import { checkReadable } from './text';

export function readArrays(opts: ReaderOptions, report: Report): DataRecord[] {
  const files = opts.files ?? {};
  const loaded: Record<string, ArrayCell & { rows: number }> = {};
  for (const n of opts.needed) {
    if (!files[n]) report({ where: {}, message: `no file for field "${n}"`, allowed: Object.keys(files).join(', ') || 'none given', hint: didYouMean(n, Object.keys(files)) });
  }
  let rows: number | undefined;
  let first = '';
  for (const [field, file] of Object.entries(files)) {
    checkReadable(file);
    const a = opts.format === 'npy' ? readNpy(file) : readIdx(file);
    const shape = 'shape' in a ? a.shape : a.dims;
    if (shape.length === 0) {
      report({ where: { file }, message: 'a 0-dimensional array holds no rows', allowed: 'first axis = examples' });
      continue;
    }
    loaded[field] = { shape: shape.slice(1), data: a.data, rows: shape[0] };
    if (rows === undefined) {
      rows = shape[0];
      first = file;
    } else if (rows !== shape[0]) {
      report({ where: { file }, message: `${shape[0]} rows, but ${path.basename(first)} has ${rows}`, hint: 'every field file must hold one row per example' });
    }
  }
  const out: DataRecord[] = [];
  for (let r = 0; r < (rows ?? 0); r++) {
    const fields: Record<string, unknown> = {};
    for (const [field, a] of Object.entries(loaded)) {
      const len = a.shape.reduce((x, y) => x * y, 1);
      fields[field] = { shape: a.shape, data: a.data.subarray(r * len, (r + 1) * len) } satisfies ArrayCell;
    }
    out.push({ fields, where: { file: first, row: r + 1 }, dir: path.dirname(first) });
  }
  return out;
}
