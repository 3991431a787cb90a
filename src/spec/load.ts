// Owns reading a spec file: YAML text → plain object, keeping the document so that every
// problem found later can be pinned to a line and column.
import * as fs from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { configError, formatPath, usageError, type PathSeg, type Where } from '../errors';

export interface LoadedSpec {
  file: string;
  text: string;
  doc: Document;
  lines: LineCounter;
  /** The parsed value (plain JS), before validation. */
  value: unknown;
}

export function loadSpecText(text: string, file: string): LoadedSpec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw configError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        return { where: { file, line: pos?.line, col: pos?.col }, message: `YAML syntax error: ${firstLine(e.message)}` };
      }),
    );
  }
  return { file, text, doc, lines, value: doc.toJS({ maxAliasCount: 100 }) };
}

export function loadSpecFile(file: string): LoadedSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw usageError(code === 'ENOENT' ? `spec file not found: ${file}` : `cannot read spec file ${file}: ${(e as Error).message}`);
  }
  return loadSpecText(text, file);
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}

/**
 * Position of the node at `path`; with `key: true`, of the key itself (for "unknown key" errors).
 * A path that does not exist in the document (a default, a missing key) resolves to its deepest
 * existing ancestor, which is where the user would add it.
 */
export function locate(spec: LoadedSpec, path: readonly PathSeg[], opts: { key?: boolean } = {}): Where {
  let node: unknown = spec.doc.contents;
  let range: [number, number, number] | undefined = (node as Node | null)?.range ?? undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      if (last && opts.key && isScalar(pair.key) && pair.key.range) {
        range = pair.key.range;
        break;
      }
      node = pair.value;
      if (node && (node as Node).range) range = (node as Node).range ?? range;
      else if (isScalar(pair.key) && pair.key.range) range = pair.key.range; // `key:` with no value
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      range = (node as Node | null)?.range ?? range;
    } else break;
  }
  const pos = range ? spec.lines.linePos(range[0]) : { line: 1, col: 1 };
  return { file: spec.file, line: pos.line, col: pos.col, path: formatPath(path) };
}
