// `mtl predict RUN [INPUT | --input FIELD=PATH…] [--split S] [--checkpoint C] [--out FILE] [--format jsonl|csv] [--strict]`:
// predictRun() → one line per row (JSON Lines, or CSV with one column group per task), streamed to stdout
// or to a temporary file renamed to FILE at the end (a failed run leaves no half-written FILE). INPUT's
// rows the preprocessing cannot read are reported on stderr as file:row and left out (--strict: exit 3).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackendName } from '../../backend/select';
import { dataError, formatProblem, usageError, type Problem } from '../../errors';
import { predictRun, type PredictSplit } from '../../train/predict';
import { runStatusLine, type RunStatus } from '../../train/run-status';
import { makeDirs } from '../../util/fs';
import type { Output } from '../reporter';
import { csvWriter, jsonlWriter } from './predict-writers';

export interface PredictCliOptions {
  split?: PredictSplit;
  /** --input FIELD=PATH, once per field. */
  input?: string[];
  checkpoint: string;
  out?: string;
  format: 'jsonl' | 'csv';
  inputFormat?: string;
  strict?: boolean;
  topK: string;
  labels: boolean;
  backend: BackendName;
  auxiliary?: boolean;
  masks?: string;
}

/** Bad rows printed before the rest are only counted. */
const SHOWN_PROBLEMS = 50;

/** Lines to FILE's temporary sibling, in chunks of about 64 kB; commit() renames it to FILE, abort() removes it. */
function fileSink(out: string): { write: (line: string) => void; commit: () => void; abort: () => void } {
  const dir = path.dirname(path.resolve(out));
  const tmp = path.join(dir, `.${path.basename(out)}.${process.pid}.tmp`);
  let fd: number;
  // As plot-model: missing parent folders are created; a place that cannot hold the file is a usage error.
  try {
    makeDirs(dir);
    fd = fs.openSync(tmp, 'w');
  } catch (e) {
    throw usageError(`cannot write the predictions to ${out}: ${(e as Error).message}`);
  }
  let buf: string[] = [];
  let size = 0;
  const flush = () => {
    if (buf.length) fs.writeSync(fd, buf.join(''));
    buf = [];
    size = 0;
  };
  return {
    write(line) {
      buf.push(line, '\n');
      size += line.length + 1;
      if (size > 1 << 16) flush();
    },
    commit() {
      flush();
      fs.closeSync(fd);
      fs.renameSync(tmp, out);
    },
    abort() {
      fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
    },
  };
}

/** --input FIELD=PATH pairs as a record; a pair without "=" or a field given twice is a usage error. */
function fieldFiles(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const at = p.indexOf('=');
    if (at <= 0 || at === p.length - 1) throw usageError([{ where: {}, message: '--input takes FIELD=PATH', received: p, hint: 'e.g. --input image=images.idx --input label=labels.idx' }]);
    const field = p.slice(0, at);
    if (out[field] !== undefined) throw usageError([{ where: {}, message: `--input ${field}=… given twice` }]);
    out[field] = p.slice(at + 1);
  }
  return out;
}

export async function predictCommand(run: string, input: string | undefined, opts: PredictCliOptions, o: Output): Promise<void> {
  const k = Number(opts.topK);
  if (!Number.isInteger(k) || k < 1) throw usageError([{ where: {}, message: '--top-k takes a whole number ≥ 1', received: opts.topK }]);
  const fields = opts.input?.length ? fieldFiles(opts.input) : undefined;
  if (input !== undefined && fields) throw usageError([{ where: {}, message: 'give either INPUT or --input FIELD=PATH, not both' }]);
  const given = input !== undefined || fields !== undefined;
  if (given && opts.split !== undefined) throw usageError([{ where: {}, message: `give either ${input !== undefined ? 'INPUT' : '--input'} or --split, not both` }]);
  if (!given && (opts.strict || opts.inputFormat)) throw usageError([{ where: {}, message: `${opts.strict ? '--strict' : '--input-format'} applies to an INPUT file` }]);
  const sink = opts.out ? fileSink(opts.out) : undefined;
  const write = sink ? sink.write : (line: string) => o.out(line);
  const writer = opts.format === 'csv' ? csvWriter(write) : jsonlWriter(write, given);
  let shown = 0;
  const onProblems = (ps: Problem[]) => {
    if (shown++ < SHOWN_PROBLEMS) for (const p of ps) o.err(formatProblem(p));
  };
  // A run that did not finish is named on stderr before any row: its checkpoint is not a finished model's.
  const onRunStatus = (rs: RunStatus) => {
    if (!rs.finished) o.err(runStatusLine(rs, run, opts.checkpoint, 'predicting with'));
  };
  try {
    const onWarning = (w: string) => o.err(`warning: ${w}`);
    const s = await predictRun(run, { onRunStatus, onWarning, split: given ? undefined : (opts.split ?? 'test'), input, ...(fields ? { inputFields: fields } : {}), inputFormat: opts.inputFormat, strict: opts.strict, onProblems, checkpoint: opts.checkpoint, backend: opts.backend, topK: k, labels: opts.labels, auxiliary: opts.auxiliary, masks: opts.masks }, writer.row);
    writer.end();
    // Every row bad is not a result: exit 3, nothing written (as --strict would).
    if (s.rows === 0 && s.skipped > 0) throw dataError([{ where: { file: s.input }, message: `none of the ${s.skipped} rows could be read (listed above); nothing written` }]);
    sink?.commit();
    const from = s.input !== undefined ? `of ${s.input}` : `of the ${s.split} split`;
    const left = s.skipped ? `; ${s.skipped} row${s.skipped === 1 ? '' : 's'} left out (${s.skipped > SHOWN_PROBLEMS ? `the first ${SHOWN_PROBLEMS} listed above` : 'listed above'})` : '';
    o.err(`${s.rows} rows ${from}, checkpoint ${s.checkpoint}: ${s.seconds.toFixed(2)} s (${(s.rows / Math.max(s.seconds, 1e-9)).toFixed(0)} rows/s)${left}${opts.out ? `; written: ${opts.out}` : ''}`);
    // A category training never saw is predicted from the out-of-vocabulary id's vector, which training rarely or never set.
    for (const [name, n] of Object.entries(s.outOfVocabulary ?? {})) o.err(`warning: input ${name}: ${n} value${n === 1 ? '' : 's'} of ${s.input} not in the training vocabulary (each predicted with the out-of-vocabulary id, whose vector training rarely or never saw; mtl data inspect counts them in the run's own splits)`);
  } catch (e) {
    sink?.abort();
    throw e;
  }
}
