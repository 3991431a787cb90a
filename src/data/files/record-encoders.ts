// Owns adapting a recipe's own record parsing to encoders: for `mtl predict RUN INPUT` on a recipe
// that reads a table of its own (movies), each record goes through the very function that encodes the
// training rows (a one-row ArraySet), and each input and target column becomes one encoder. A record
// the parser rejects (a data error) is reported at the record's place.
import { MtlError, type Problem } from '../../errors';
import type { DataRecord, Report } from '../formats/record';
import type { ArraySet, Column, TargetColumn } from '../types';
import type { Encoded, Encoder } from './encoder';

/** One encoder per column of `encodeOne`'s one-row set; `shapes`: each column's row shape and dtype. */
export function recordEncoders(
  fields: string[],
  encodeOne: (rec: DataRecord) => ArraySet,
  shapes: { inputs: Record<string, { shape: number[]; dtype?: 'float32' | 'int32' }>; targets: Record<string, { shape: number[]; dtype: 'float32' | 'int32' }> },
): { inputs: Array<[string, Encoder]>; targets: Array<[string, Encoder]> } {
  let last: { rec: DataRecord; set?: ArraySet; problems?: Problem[] } | undefined;
  /** The record's one-row set; `report` (the first input's) receives why the parser rejected it. */
  const setOf = (rec: DataRecord, report: Report): ArraySet | null => {
    if (last?.rec !== rec) {
      try {
        last = { rec, set: encodeOne(rec) };
      } catch (e) {
        if (!(e instanceof MtlError)) throw e;
        last = { rec, problems: e.problems };
      }
    }
    for (const p of last.problems ?? []) report({ ...p, where: rec.where });
    return last.set ?? null;
  };
  const column = (key: string, shape: number[], dtype: 'float32' | 'int32', pick: (s: ArraySet) => Column | TargetColumn, target: boolean): Encoder => ({
    key,
    shape,
    dtype,
    perToken: false,
    learns: false,
    fields: key.startsWith('inputs.') ? fields : [],
    fit: () => undefined,
    finish: () => undefined,
    load: () => undefined,
    info: () => ({}),
    encode(rec: DataRecord, report: Report): Encoded | null {
      const set = setOf(rec, key === first ? report : () => undefined);
      if (!set) return null;
      const c = pick(set);
      return target ? { data: c.data, mask: (c as TargetColumn).mask?.[0] ?? 1 } : { data: c.data };
    },
  });
  const first = `inputs.${Object.keys(shapes.inputs)[0]}`;
  return {
    inputs: Object.entries(shapes.inputs).map(([n, s]) => [n, column(`inputs.${n}`, s.shape, s.dtype ?? 'float32', (set) => set.inputs[n], false)]),
    targets: Object.entries(shapes.targets).map(([n, s]) => [n, column(`targets.${n}`, s.shape, s.dtype, (set) => set.targets[n], true)]),
  };
}
