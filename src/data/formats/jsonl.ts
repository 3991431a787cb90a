// Owns the jsonl format: one JSON object per line, each a record.
import * as path from 'node:path';
import type { DataRecord, ReaderOptions, Report } from './record';
import { lines } from './text';

export async function* readJsonl(file: string, opts: ReaderOptions, report: Report): AsyncGenerator<DataRecord> {
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
