// Owns parsing delimited text (CSV/TSV, RFC 4180 quoting) incrementally, chunk by chunk, so that a
// file larger than memory can be read as a stream of rows with the line each row starts on.

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
