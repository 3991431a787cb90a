// Owns the conll format: token-per-line files, one record per sentence.
import * as path from 'node:path';
import type { DataRecord, ReaderOptions, Report } from './record';
import { lines } from './text';

/**
 * CoNLL: one token per line, its columns separated by tabs or spaces, a blank line between
 * sentences. Comment lines `# key = value` before a sentence give it a sentence-level field `key`
 * (e.g. `# label = greeting`); other `#` lines and -DOCSTART- lines are skipped.
 */
export async function* readConll(file: string, opts: ReaderOptions, report: Report): AsyncGenerator<DataRecord> {
  const dir = path.dirname(file);
  const names = opts.columns ?? ['token', 'tag'];
  let cols: string[][] = names.map(() => []);
  let meta: Record<string, string> = {};
  let tokenLines: number[] = [];
  let start = 0;
  const flush = (): DataRecord | undefined => {
    const rec = cols[0].length ? { fields: { ...meta, ...Object.fromEntries(names.map((n, i) => [n, cols[i]])) }, where: { file, line: start }, dir, lines: tokenLines } : undefined;
    cols = names.map(() => []);
    tokenLines = [];
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
    tokenLines.push(line);
  }
  const rec = flush();
  if (rec) yield rec;
}
