// Owns the arrow format: an Arrow IPC file or stream read one record batch at a time (apache-arrow),
// so memory holds one batch whatever the file size. Rows are numbered from 1 in messages; a stream
// cut short is reported at the first row it could not deliver.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataType, RecordBatchReader, type RecordBatch, type Vector } from 'apache-arrow';
import { checkColumns, plainValue } from './columnar';
import { dateParts } from './dates';
import type { DataRecord, ReaderOptions, Report } from './record';

/** A cell of an arrow column as the encoders read it (dates and timestamps as their parts). */
function cell(v: Vector, i: number): unknown {
  const x = v.get(i);
  if (x === null || x === undefined) return null;
  if (DataType.isTimestamp(v.type) || DataType.isDate(v.type)) return dateParts(new Date(Number(x instanceof Date ? x.getTime() : x)));
  if (typeof x === 'object' && typeof (x as { toJSON?: unknown }).toJSON === 'function' && !(x instanceof Date)) return plainValue((x as { toJSON(): unknown }).toJSON());
  return plainValue(x);
}

/** The 8 bytes that end an IPC stream: continuation 0xFFFFFFFF, then a message length of 0. */
const END_OF_STREAM = Buffer.from('ffffffff00000000', 'hex');

/**
 * Whether the file is an IPC file (its footer is checked by the reader) or a stream that ends with its
 * end-of-stream marker. The format lets a writer omit the marker and just close, and apache-arrow
 * accepts that; but a stream cut exactly between two record batches then reads as complete, silently
 * dropping the rest. Writers (arrow-js, pyarrow, arrow-rs, Go) write the marker when closed, so on a
 * file mtl requires it: a missing marker is a data error.
 */
function endsWell(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(6);
    fs.readSync(fd, head, 0, 6, 0);
    if (head.toString('latin1') === 'ARROW1') return true;
    const tail = Buffer.alloc(8);
    return size >= 8 && fs.readSync(fd, tail, 0, 8, size - 8) === 8 && tail.equals(END_OF_STREAM);
  } finally {
    fs.closeSync(fd);
  }
}

export async function* readArrow(file: string, opts: ReaderOptions, report: Report): AsyncGenerator<DataRecord> {
  const dir = path.dirname(file);
  if (!fs.existsSync(file)) {
    report({ where: { file }, message: 'no such file' });
    return;
  }
  let row = 0;
  let checked = false;
  let wanted: string[] = [];
  try {
    const reader = await RecordBatchReader.from(fs.createReadStream(file, { highWaterMark: opts.chunkSize }));
    for await (const batch of reader as AsyncIterable<RecordBatch>) {
      if (!checked) {
        const columns = batch.schema.fields.map((f) => f.name);
        if (!checkColumns(file, columns, opts.needed, report, opts.owners)) return;
        wanted = [...new Set([...opts.needed, ...(opts.optional ?? []).filter((n) => columns.includes(n) || columns.includes(n.split('.')[0]))].map((n) => (columns.includes(n) ? n : n.split('.')[0])))];
        checked = true;
      }
      const vectors = wanted.map((c) => [c, batch.getChild(c)!] as const);
      for (let i = 0; i < batch.numRows; i++) {
        const fields: Record<string, unknown> = {};
        for (const [c, v] of vectors) fields[c] = cell(v, i);
        yield { fields, where: { file, row: row + i + 1 }, dir };
      }
      row += batch.numRows;
    }
    if (!endsWell(file)) report({ where: { file, row: row + 1 }, message: `the arrow stream ends after row ${row} without its end-of-stream marker`, hint: 'the stream was cut at a record batch boundary or its writer was never closed; write it again (closing the writer), or use the arrow IPC file format' });
  } catch (e) {
    report({ where: { file, row: row + 1 }, message: `the arrow data stops being readable here: ${(e as Error).message}`, hint: 'the file or stream is cut short or damaged' });
  }
}
