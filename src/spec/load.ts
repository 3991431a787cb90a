// Owns reading a spec file: YAML text → plain object, keeping the document so that every
// problem found later can be pinned to a line and column.
import * as fs from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { configError, formatPath, usageError, type PathSeg, type Problem, type Where } from '../errors';

/** Specs are small: a larger file is a mistake (or an attack), refused before it is parsed. */
export const MAX_SPEC_BYTES = 1 << 20;
/** Aliases expanded at most (yaml's guard against alias bombs). */
const MAX_ALIASES = 100;
/** Keys that would reach JavaScript's object prototype. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

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
  const unsafe = unsafeNodes(doc, lines, file);
  if (unsafe.length) throw configError(unsafe);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    if (e instanceof ReferenceError && /alias/i.test(e.message)) throw configError([{ where: { file }, message: `the YAML aliases expand too far (more than ${MAX_ALIASES} copies)`, hint: 'write the repeated parts out, or use fewer nested aliases' }]);
    throw e;
  }
  return { file, text, doc, lines, value };
}

/** Keys reaching the object prototype and numbers that cannot be trained with (.inf, .nan, 1e400), with their positions. */
function unsafeNodes(doc: Document, lines: LineCounter, file: string): Problem[] {
  const out: Problem[] = [];
  const where = (n: Node): Where => {
    const pos = n.range ? lines.linePos(n.range[0]) : undefined;
    return { file, line: pos?.line, col: pos?.col };
  };
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && FORBIDDEN_KEYS.has(String(pair.key.value))) out.push({ where: where(pair.key), message: `"${String(pair.key.value)}" cannot be used as a key or name`, hint: 'rename it' });
    },
    Scalar(_, node, ancestors) {
      if (typeof node.value === 'number' && !Number.isFinite(node.value)) out.push({ where: { ...where(node), path: formatPath(keyPath(ancestors, node)) }, message: 'numbers must be finite', received: node.source ?? String(node.value) });
    },
  });
  return out;
}

/** The keys and list indices leading to `node`, from its ancestors (as yaml's visit passes them). */
function keyPath(ancestors: readonly unknown[], node: unknown): PathSeg[] {
  const path: PathSeg[] = [];
  ancestors.forEach((a, i) => {
    const child = ancestors[i + 1] ?? node;
    if (isPair(a) && isScalar(a.key) && child === a.value) path.push(String(a.key.value));
    else if (isSeq(a)) path.push(a.items.indexOf(child as never));
  });
  return path;
}

export function loadSpecFile(file: string): LoadedSpec {
  let text: string;
  try {
    // Only regular files: a FIFO or /dev/zero would block or never end.
    const st = fs.statSync(file);
    if (!st.isFile()) throw usageError(`${file} is not a regular file (a spec is a YAML file)`);
    if (st.size > MAX_SPEC_BYTES) throw usageError(`${file} is ${st.size} bytes; a spec is at most ${MAX_SPEC_BYTES} bytes (1 MB)`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as { kind?: string }).kind === 'usage') throw e;
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
