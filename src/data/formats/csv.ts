// Owns the csv and tsv formats: parsing delimited text (RFC 4180 quoting) incrementally, chunk by
// chunk, so that a file larger than memory can be read as a stream of rows with the line each row
// starts on, and the reader that turns those rows into records named by the header line.
import * as path from 'node:path';
import { didYouMean } from '../../util/suggest';
import { datePart } from './dates';
import type { DataRecord, ReaderOptions, Report } from './record';
import { textChunks } from './text';

export interface CsvRow {
  fields: string[];
  /** 1-based line of the row's first character. */
  line: number;
}

/**
 * Incremental parser: feed() chunks in order, end() once. Quoted fields may hold the delimiter,
 * doubled quotes ("") and newlines; \r\n and \n both end a row; blank lines are skipped.
 */
export class CsvParser {
  private field = '';
  private fields: string[] = [];
  private inQuotes = false;
  /** The previous character closed a quoted section: a following quote is an escaped quote. */
  private quoteClosed = false;
  private line = 1;
  private rowLine = 1;
  private rowStarted = false;
  private pendingCR = false;

  constructor(private readonly delimiter: string) {
    if (delimiter.length !== 1) throw new RangeError(`CsvParser: the delimiter must be one character, got ${JSON.stringify(delimiter)}`);
  }

  private endRow(out: CsvRow[]): void {
    if (this.rowStarted) {
      this.fields.push(this.field);
      out.push({ fields: this.fields, line: this.rowLine });
    }
    this.fields = [];
    this.field = '';
    this.rowStarted = false;
    this.quoteClosed = false;
  }

  feed(chunk: string, out: CsvRow[] = []): CsvRow[] {
    // Character codes, and plain runs appended as one slice: a 1 GB file is parsed in one pass.
    const d = this.delimiter.charCodeAt(0);
    const QUOTE = 34;
    const LF = 10;
    const CR = 13;
    let start = -1;
    const flush = (i: number) => {
      if (start >= 0) {
        this.field += chunk.slice(start, i);
        start = -1;
      }
    };
    const begin = () => {
      if (!this.rowStarted) {
        this.rowStarted = true;
        this.rowLine = this.line;
      }
    };
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const ch = chunk.charCodeAt(i);
      if (this.pendingCR) {
        this.pendingCR = false;
        if (ch === LF) continue;
      }
      if (this.inQuotes) {
        if (ch === QUOTE) {
          flush(i);
          this.inQuotes = false;
          this.quoteClosed = true;
        } else {
          if (ch === LF) this.line++;
          if (start < 0) start = i;
        }
        continue;
      }
      if (ch === QUOTE) {
        flush(i);
        if (this.quoteClosed) this.field += '"';
        this.inQuotes = true;
        this.quoteClosed = false;
        begin();
        continue;
      }
      this.quoteClosed = false;
      if (ch === d) {
        flush(i);
        begin();
        this.fields.push(this.field);
        this.field = '';
      } else if (ch === LF || ch === CR) {
        flush(i);
        this.endRow(out);
        this.line++;
        if (ch === CR) this.pendingCR = true;
      } else {
        begin();
        if (start < 0) start = i;
      }
    }
    flush(n);
    return out;
  }

  /** Finish: the last row needs no trailing newline. Returns it, or nothing. */
  end(out: CsvRow[] = []): CsvRow[] {
    this.endRow(out);
    return out;
  }

  /** True while inside a quoted field (an unterminated quote at end of input is an error). */
  get openQuote(): boolean {
    return this.inQuotes;
  }

  get currentLine(): number {
    return this.line;
  }
}

/** Parse a whole text at once. */
export function parseCsv(text: string, delimiter = ','): CsvRow[] {
  const p = new CsvParser(delimiter);
  const rows = p.feed(text);
  return p.end(rows);
}

/** The csv and tsv formats: a header line naming the columns, then one record per row. */
export async function* readDelimited(file: string, delimiter: string, opts: ReaderOptions, report: Report): AsyncGenerator<DataRecord> {
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
        // `date.month` reads the month of a column `date` of ISO 8601 text (formats/dates.ts).
        const missing = opts.needed.filter((n) => !seen.has(n) && !seen.has(datePart(n)?.base ?? ''));
        for (const m of missing) report({ where: { file, line: r.line, ...(opts.owners?.[m] ? { path: opts.owners[m] } : {}) }, message: `no column "${m}" in the header`, allowed: header.join(', '), hint: didYouMean(m, header) });
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
