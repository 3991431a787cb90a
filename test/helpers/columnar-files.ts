// Writes the small parquet and arrow files the format tests read (hyparquet-writer, apache-arrow's
// writer), so that no test depends on a hand-edited binary.
import * as fs from 'node:fs';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';

export interface Columns {
  x: number[];
  cat: string[];
  label: Array<number | null>;
  when: Date[];
}

/** n rows: x = i / 2, cat cycling a/b/c, label i % 3 except every 4th row null, when = 2024-03-(1 + i % 28) at i % 24 h. */
export function columns(n: number): Columns {
  return {
    x: Array.from({ length: n }, (_, i) => i / 2),
    cat: Array.from({ length: n }, (_, i) => 'abc'[i % 3]),
    label: Array.from({ length: n }, (_, i) => (i % 4 === 3 ? null : i % 3)),
    when: Array.from({ length: n }, (_, i) => new Date(Date.UTC(2024, 2, 1 + (i % 28), i % 24))),
  };
}

export function writeParquet(file: string, c: Columns, rowGroupSize?: number): void {
  const buf = parquetWriteBuffer({
    columnData: [
      { name: 'x', data: c.x, type: 'DOUBLE' },
      { name: 'cat', data: c.cat, type: 'STRING' },
      { name: 'label', data: c.label, type: 'INT32', nullable: true },
      { name: 'when', data: c.when, type: 'TIMESTAMP' },
    ],
    rowGroupSize,
  });
  fs.writeFileSync(file, Buffer.from(buf));
}

export function writeArrow(file: string, c: Columns, kind: 'file' | 'stream'): void {
  const table = tableFromArrays({ x: Float64Array.from(c.x), cat: c.cat, label: c.label.map((v) => (v === null ? null : v)) as unknown as Int32Array, when: c.when });
  fs.writeFileSync(file, tableToIPC(table, kind));
}

/** n flights with the columns of vega-datasets' flights-3m.parquet (date, delay, distance, origin, destination). */
export function writeFlightsLike(file: string, n: number): void {
  const buf = parquetWriteBuffer({
    columnData: [
      { name: 'date', data: Array.from({ length: n }, (_, i) => new Date(Date.UTC(2001, i % 12, 1 + (i % 28), i % 24, (7 * i) % 60))), type: 'TIMESTAMP' },
      { name: 'delay', data: Array.from({ length: n }, (_, i) => BigInt(((i * 37) % 90) - 20)), type: 'INT64' },
      { name: 'distance', data: Array.from({ length: n }, (_, i) => BigInt(100 + ((i * 53) % 2000))), type: 'INT64' },
      { name: 'origin', data: Array.from({ length: n }, (_, i) => ['LAS', 'SFO', 'JFK'][i % 3]), type: 'STRING' },
      { name: 'destination', data: Array.from({ length: n }, (_, i) => ['PHL', 'ORD'][i % 2]), type: 'STRING' },
    ],
    rowGroupSize: Math.ceil(n / 3),
  });
  fs.writeFileSync(file, Buffer.from(buf));
}
