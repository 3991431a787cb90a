// Owns turning a data file (or folder) into a stream of records — one plain object of raw fields per
// example, with the file and line (or row) it came from — by handing each format to its reader:
// csv, tsv, jsonl, conll (streamed in chunks), parquet (by row group, optionally in a seeded order), arrow (by record batch), json
// (one array, parsed whole), idx, npy (whole arrays) and images.
import * as fs from 'node:fs';
import { dataError } from '../../errors';
import { readArrays } from './arrays';
import { readArrow } from './arrow';
import { readConll } from './conll';
import { readDelimited } from './csv';
import { withTextDates } from './dates';
import { readImageFolder } from './image-folder';
import { readJsonArray } from './json';
import { readJsonl } from './jsonl';
import { readParquet } from './parquet';
import type { DataRecord, ReaderOptions, Report } from './record';

/**
 * Every record of a source, in file order, with the date parts the mapping names (`date.month`) read
 * from dates written as text. Problems with single rows go to `report`; fatal ones throw.
 */
export async function* readRecords(opts: ReaderOptions, report: Report): AsyncGenerator<DataRecord> {
  yield* withTextDates(formatRecords(opts, report), [...opts.needed, ...(opts.optional ?? [])], report, opts.owners);
}

async function* formatRecords(opts: ReaderOptions, report: Report): AsyncGenerator<DataRecord> {
  for (const file of [...opts.paths, ...Object.values(opts.files ?? {})]) checkRegular(file, opts.format === 'images');
  switch (opts.format) {
    case 'idx':
    case 'npy':
      yield* readArrays(opts, report);
      return;
    case 'images':
      for (const p of opts.paths) yield* readImageFolder(p, opts, report);
      return;
    case 'parquet':
      yield* readParquet(opts.paths, opts, report);
      return;
    default:
      for (const file of opts.paths) {
        if (opts.format === 'jsonl') yield* readJsonl(file, opts, report);
        else if (opts.format === 'json') yield* readJsonArray(file, opts, report);
        else if (opts.format === 'arrow') yield* readArrow(file, opts, report);
        else if (opts.format === 'conll') yield* readConll(file, opts, report);
        else yield* readDelimited(file, opts.delimiter ?? (opts.format === 'tsv' ? '\t' : ','), opts, report);
      }
  }
}

/** Only regular files (and image folders): a FIFO or a device such as /dev/zero would block or never end. */
function checkRegular(file: string, folderOk: boolean): void {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st || st.isFile() || (folderOk && st.isDirectory())) return; // a missing file is reported by its reader
  throw dataError([{ where: { file }, message: `not a regular file${folderOk ? ' or folder' : ''}`, hint: 'data is read from files: a FIFO or a device would block or never end' }]);
}
