// Owns the parquet format: a file read one row group at a time (hyparquet, with the zstd/gzip/brotli/
// lz4/snappy decompressors), only the columns the mapping names, so memory holds one row group of
// those columns whatever the file size. Rows are numbered from 1 in messages.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { checkColumns, plainValue } from './columnar';
import type { DataRecord, ReaderOptions, Report } from './record';

/** A parquet file on disk as the random-access buffer hyparquet reads (footer first, then column chunks). */
async function fileBuffer(file: string): Promise<AsyncBuffer & { close(): Promise<void> }> {
  const fh = await fs.promises.open(file, 'r');
  const { size } = await fh.stat();
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? size, size);
      const buf = Buffer.alloc(Math.max(0, stop - start));
      await fh.read(buf, 0, buf.length, start);
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
    },
    close: () => fh.close(),
  };
}

/** Rows decoded so far by every parquet reader (tests check that a streamed file is read group by group). */
export const parquetStats = { rowsDecoded: 0, largestGroup: 0 };

export async function* readParquet(file: string, opts: ReaderOptions, report: Report): AsyncGenerator<DataRecord> {
  const dir = path.dirname(file);
  let buf: Awaited<ReturnType<typeof fileBuffer>>;
  try {
    buf = await fileBuffer(file);
  } catch (e) {
    report({ where: { file }, message: `cannot open the file: ${(e as Error).message}` });
    return;
  }
  try {
    let meta: FileMetaData;
    try {
      meta = await parquetMetadataAsync(buf);
    } catch (e) {
      report({ where: { file }, message: `not a readable parquet file: ${(e as Error).message}`, hint: 'the footer is damaged or the file is cut short' });
      return;
    }
    const columns = meta.schema.slice(1).filter((s) => !s.num_children).map((s) => s.name);
    if (!checkColumns(file, columns, opts.needed, report)) return;
    const wanted = [...new Set([...opts.needed, ...(opts.optional ?? []).filter((n) => columns.includes(n) || columns.includes(n.split('.')[0]))].map((n) => (columns.includes(n) ? n : n.split('.')[0])))];
    let row = 0;
    for (const g of meta.row_groups) {
      const n = Number(g.num_rows);
      let objs: Array<Record<string, unknown>>;
      try {
        objs = await parquetReadObjects({ file: buf, metadata: meta, columns: wanted, rowStart: row, rowEnd: row + n, compressors });
      } catch (e) {
        report({ where: { file, row: row + 1 }, message: `cannot decode the row group starting at this row: ${(e as Error).message}` });
        return;
      }
      parquetStats.rowsDecoded += objs.length;
      parquetStats.largestGroup = Math.max(parquetStats.largestGroup, objs.length);
      for (let i = 0; i < objs.length; i++) {
        const fields: Record<string, unknown> = {};
        for (const c of wanted) fields[c] = plainValue(objs[i][c]);
        objs[i] = undefined as never; // let the group's rows go as they are consumed
        yield { fields, where: { file, row: row + i + 1 }, dir };
      }
      row += n;
    }
  } finally {
    await buf.close();
  }
}
