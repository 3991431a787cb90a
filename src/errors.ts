// Owns the error type every user-facing failure travels in, and the exit code each kind maps to.
// Only src/cli/main.ts turns these into exit codes; everything else throws.

export type ErrorKind = 'usage' | 'config' | 'data' | 'checkpoint' | 'diverged' | 'internal' | 'interrupted';

export const EXIT_CODES: Record<ErrorKind, number> = {
  internal: 1,
  usage: 2,
  config: 2,
  data: 3,
  checkpoint: 4,
  /** Training produced a NaN/Inf loss or gradient (train.onNonFinite). */
  diverged: 5,
  interrupted: 130,
};

/** Where a problem is: a spec file position, a data file row, or just a path into the config. */
export interface Where {
  file?: string;
  line?: number; // 1-based
  col?: number; // 1-based
  row?: number; // data rows, 1-based
  path?: string; // dotted path into the spec, e.g. tasks.left.loss
}

export interface Problem {
  where: Where;
  message: string;
  received?: unknown;
  allowed?: string;
  hint?: string;
}

/** A path into the spec, as keys and list indices: ['tasks', 'left', 'head', 0]. */
export type PathSeg = string | number;

/** Dotted path as users read it: tasks.left.head[0].dense.units */
export function formatPath(path: readonly PathSeg[]): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else s += (s ? '.' : '') + seg;
  }
  return s;
}

export function formatWhere(w: Where): string {
  let s = w.file ?? '';
  if (w.line !== undefined) s += `${s ? ':' : ''}${w.line}:${w.col ?? 1}`;
  else if (w.row !== undefined) s += `${s ? ':' : ''}row ${w.row}`;
  return s;
}

export function showValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** One line: `file:line:col path: message (received X; allowed Y; did you mean Z?)`. */
export function formatProblem(p: Problem): string {
  const loc = formatWhere(p.where);
  const head = [loc, p.where.path].filter(Boolean).join(' ');
  const extra: string[] = [];
  if ('received' in p && p.received !== undefined) extra.push(`received ${showValue(p.received)}`);
  if (p.allowed) extra.push(`allowed: ${p.allowed}`);
  if (p.hint) extra.push(p.hint);
  return `${head ? head + ': ' : ''}${p.message}${extra.length ? ` (${extra.join('; ')})` : ''}`;
}

export class MtlError extends Error {
  readonly kind: ErrorKind;
  readonly problems: Problem[];
  /** The check stopped at a limit: `problems` are the first found, and there may be more. */
  readonly truncated: boolean;

  constructor(kind: ErrorKind, problems: Problem[] | string, opts: { cause?: unknown; truncated?: boolean } = {}) {
    const list = typeof problems === 'string' ? [{ where: {}, message: problems }] : problems;
    super(list.map(formatProblem).join('\n'));
    this.name = 'MtlError';
    this.kind = kind;
    this.problems = list;
    this.truncated = opts.truncated ?? false;
    if (opts.cause !== undefined) (this as { cause?: unknown }).cause = opts.cause;
  }

  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }

  toJSON(): object {
    return { kind: this.kind, exitCode: this.exitCode, problems: this.problems, ...(this.truncated ? { truncated: true } : {}) };
  }
}

export const configError = (problems: Problem[] | string) => new MtlError('config', problems);
export const dataError = (problems: Problem[] | string, opts: { truncated?: boolean } = {}) => new MtlError('data', problems, opts);
export const checkpointError = (problems: Problem[] | string) => new MtlError('checkpoint', problems);
export const usageError = (problems: Problem[] | string) => new MtlError('usage', problems);
