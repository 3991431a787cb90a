// Owns turning a data file (or folder) into a stream of records — one plain object of raw fields per
// example, with the file and line (or row) it came from — for every format the `files` data type
// reads: csv, tsv, jsonl, conll (streamed in chunks), idx, npy (whole arrays) and images.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataError, type Problem, type Where } from '../../errors';
import { didYouMean } from '../../util/suggest';
import { readIdx } from '../idx';
import { CsvParser, type CsvRow } from './csv';
import { readNpy } from './npy';

export const FORMATS = ['csv', 'tsv', 'jsonl', 'idx', 'npy', 'images', 'conll'] as const;
export type Format = (typeof FORMATS)[number];

export interface DataRecord {
  fields: Record<string, unknown>;
  where: Where;
  /** Folder that relative file names inside the record (image paths) resolve against. */
  dir: string;
}

/** An array row of an idx/npy file: the values of one example and their shape. */
export interface ArrayCell {
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array | Int8Array | Int16Array | Float64Array;
}

export interface ReaderOptions {
  format: Format;
  /** Text formats and images: the files (or the image folder / list file), resolved. */
  paths: string[];
  /** idx, npy: one file per field, resolved. */
  files?: Record<string, string>;
  delimiter?: string;
  /** conll: names of the token columns, in order. */
  columns?: string[];
  /** Characters per read from disk. */
  chunkSize: number;
  /** Field names the mapping refers to (checked against a CSV header or the idx/npy files). */
  needed: string[];
}

export type Report = (p: Problem) => void;

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

function checkReadable(file: string, folder = false): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw dataError([{ where: { file }, message: folder ? 'folder not found' : 'file not found' }]);
  }
  if (!folder && st.isDirectory()) throw dataError([{ where: { file }, message: 'is a folder, not a file' }]);
}

/** The file's text in chunks of about `chunkSize` characters (UTF-8; a character never splits). */
export async function* textChunks(file: string, chunkSize: number): AsyncGenerator<string> {
  checkReadable(file);
  const stream = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: chunkSize });
  try {
    for await (const chunk of stream) yield chunk as string;
  } finally {
    stream.destroy();
  }
}

/** Lines with their 1-based numbers; \r\n and \n endings. */
export async function* lines(file: string, chunkSize: number): AsyncGenerator<{ text: string; line: number }> {
  let rest = '';
  let line = 0;
  for await (const chunk of textChunks(file, chunkSize)) {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const p of parts) yield { text: p.endsWith('\r') ? p.slice(0, -1) : p, line: ++line };
  }
  if (rest !== '') yield { text: rest.endsWith('\r') ? rest.slice(0, -1) : rest, line: ++line };
}

async function* delimited(file: string, delimiter: string, opts: ReaderOptions, report: Report): AsyncGenerator<DataRecord> {
  const parser = new CsvParser(delimiter);
  let header: string[] | undefined;
  const dir = path.dirname(file);
  const rows: CsvRow[] = [];
  const emit = function* (): Generator<DataRecord | 'stop'> {
    for (const r of rows) {
      if (!header) {
        header = r.fields.map((f) => f.trim());
        const seen = new Set<string>();
        for (const h of header) {
          if (seen.has(h)) report({ where: { file, line: r.line }, message: `column "${h}" appears twice in the header` });
          seen.add(h);
        }
        const missing = opts.needed.filter((n) => !seen.has(n));
        for (const m of missing) report({ where: { file, line: r.line }, message: `no column "${m}" in the header`, allowed: header.join(', '), hint: didYouMean(m, header) });
        if (missing.length) {
          yield 'stop';
          return;
        }
        continue;
      }
      if (r.fields.length !== header.length) {
        report({ where: { file, line: r.line }, message: `ragged row: ${r.fields.length} fields, the header has ${header.length}`, hint: delimiter === ',' ? 'quote fields that contain commas' : undefined });
        continue;
      }
      const fields: Record<string, unknown> = {};
      for (let i = 0; i < header.length; i++) fields[header[i]] = r.fields[i];
      yield { fields, where: { file, line: r.line }, dir };
    }
    rows.length = 0;
  };
  for await (const chunk of textChunks(file, opts.chunkSize)) {
    parser.feed(chunk, rows);
    for (const rec of emit()) {
      if (rec === 'stop') return;
      yield rec;
    }
  }
  if (parser.openQuote) report({ where: { file, line: parser.currentLine }, message: 'the file ends inside a quoted field', hint: 'a quote (") is not closed' });
  parser.end(rows);
  for (const rec of emit()) {
    if (rec === 'stop') return;
    yield rec;
  }
  if (!header) report({ where: { file }, message: 'the file is empty: a header line naming the columns is needed' });
}

async function* jsonl(file: string, opts: ReaderOptions, report: Report): AsyncGenerator<DataRecord> {
  const dir = path.dirname(file);
  for await (const { text, line } of lines(file, opts.chunkSize)) {
    if (text.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      report({ where: { file, line }, message: `not valid JSON: ${(e as Error).message}` });
      continue;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      report({ where: { file, line }, message: 'each line must be a JSON object', received: v });
      continue;
    }
    yield { fields: v as Record<string, unknown>, where: { file, line }, dir };
  }
}

/**
 * CoNLL: one token per line, its columns separated by tabs or spaces, a blank line between
 * sentences. Comment lines `# key = value` before a sentence give it a sentence-level field `key`
 * (e.g. `# label = greeting`); other `#` lines and -DOCSTART- lines are skipped.
 */
async function* conll(file: string, opts: ReaderOptions, report: Report): AsyncGenerator<DataRecord> {
  const dir = path.dirname(file);
  const names = opts.columns ?? ['token', 'tag'];
  let cols: string[][] = names.map(() => []);
  let meta: Record<string, string> = {};
  let start = 0;
  const flush = (): DataRecord | undefined => {
    const rec = cols[0].length ? { fields: { ...meta, ...Object.fromEntries(names.map((n, i) => [n, cols[i]])) }, where: { file, line: start }, dir } : undefined;
    cols = names.map(() => []);
    meta = {};
    start = 0;
    return rec;
  };
  for await (const { text, line } of lines(file, opts.chunkSize)) {
    const t = text.trim();
    if (t === '') {
      const rec = flush();
      if (rec) yield rec;
      continue;
    }
    if (t.startsWith('#')) {
      const m = /^#\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(t);
      if (m) {
        if (cols[0].length) {
          const rec = flush();
          if (rec) yield rec;
        }
        meta[m[1]] = m[2].trim();
        if (!start) start = line;
      }
      continue;
    }
    const parts = t.split(/\s+/);
    if (parts[0] === '-DOCSTART-') continue;
    if (parts.length !== names.length) {
      report({ where: { file, line }, message: `token line has ${parts.length} columns`, received: text, allowed: `${names.length} (${names.join(', ')}; set the source's columns)` });
      continue;
    }
    if (!start) start = line;
    parts.forEach((p, i) => cols[i].push(p));
  }
  const rec = flush();
  if (rec) yield rec;
}

function arrays(opts: ReaderOptions, report: Report): DataRecord[] {
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

/** Images: a folder with one subfolder per class (fields `file`, `label`), or a CSV/TSV list file. */
async function* images(p: string, opts: ReaderOptions, report: Report): AsyncGenerator<DataRecord> {
  checkReadable(p, true);
  if (fs.statSync(p).isFile()) {
    yield* delimited(p, p.toLowerCase().endsWith('.tsv') ? '\t' : ',', opts, report);
    return;
  }
  const classes = fs.readdirSync(p, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  if (!classes.length) report({ where: { file: p }, message: 'no class subfolders', hint: 'put each class\'s images in a subfolder named after the class, or give a list file' });
  for (const c of classes) {
    const dir = path.join(p, c);
    for (const f of fs.readdirSync(dir).sort()) {
      if (!IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase())) continue;
      yield { fields: { file: f, label: c }, where: { file: path.join(dir, f) }, dir };
    }
  }
}

/** Every record of a source, in file order. Problems with single rows go to `report`; fatal ones throw. */
export async function* readRecords(opts: ReaderOptions, report: Report): AsyncGenerator<DataRecord> {
  switch (opts.format) {
    case 'idx':
    case 'npy':
      yield* arrays(opts, report);
      return;
    case 'images':
      for (const p of opts.paths) yield* images(p, opts, report);
      return;
    default:
      for (const file of opts.paths) {
        if (opts.format === 'jsonl') yield* jsonl(file, opts, report);
        else if (opts.format === 'conll') yield* conll(file, opts, report);
        else yield* delimited(file, opts.delimiter ?? (opts.format === 'tsv' ? '\t' : ','), opts, report);
      }
  }
}
