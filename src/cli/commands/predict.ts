// `mtl predict RUN [--split S] [--checkpoint C] [--out FILE] [--format jsonl|csv]`: predictRun() →
// one line per row (JSON Lines, or CSV with one column group per task), streamed to a file or stdout.
import * as fs from 'node:fs';
import type { BackendName } from '../../backend/select';
import { usageError } from '../../errors';
import { predictRun, type PredictSplit, type PredictionRow, type TaskPrediction } from '../../train/predict';
import type { Output } from '../reporter';

export interface PredictCliOptions {
  split: PredictSplit;
  checkpoint: string;
  out?: string;
  format: 'jsonl' | 'csv';
  topK: string;
  labels: boolean;
  backend: BackendName;
  auxiliary?: boolean;
}

/** CSV cells of one task's prediction: class and probability, or values joined by spaces. */
function csvCells(p: TaskPrediction): Record<string, string> {
  const join = (xs: number[] | null | undefined) => (xs ? xs.join(' ') : '');
  const label: Record<string, string> = 'label' in p && p.label !== undefined ? { label: Array.isArray(p.label) ? join(p.label) : String(p.label ?? '') } : {};
  if ('class' in p) return { class: String(p.class), probability: String(p.probability), ...label };
  if ('classes' in p) return { classes: join(p.classes), ...label };
  if ('probabilities' in p) return { probabilities: join(p.probabilities), ...label };
  return { value: join(p.value), ...label };
}

function csvWriter(write: (line: string) => void): (r: PredictionRow) => void {
  let header: string[] | undefined;
  return (r) => {
    const cells: Record<string, string> = { row: String(r.row) };
    for (const [task, p] of Object.entries(r.tasks)) for (const [k, v] of Object.entries(csvCells(p))) cells[`${task}.${k}`] = v;
    if (!header) {
      header = Object.keys(cells);
      write(header.join(','));
    }
    write(header.map((h) => cells[h] ?? '').join(','));
  };
}

export async function predictCommand(run: string, opts: PredictCliOptions, o: Output): Promise<void> {
  const k = Number(opts.topK);
  if (!Number.isInteger(k) || k < 1) throw usageError([{ where: {}, message: '--top-k takes a whole number ≥ 1', received: opts.topK }]);
  const fd = opts.out ? fs.openSync(opts.out, 'w') : undefined;
  const write = fd === undefined ? (line: string) => o.out(line) : (line: string) => fs.writeSync(fd, line + '\n');
  const emit = opts.format === 'csv' ? csvWriter(write) : (r: PredictionRow) => write(JSON.stringify(r));
  try {
    const s = await predictRun(run, { split: opts.split, checkpoint: opts.checkpoint, backend: opts.backend, topK: k, labels: opts.labels, auxiliary: opts.auxiliary }, emit);
    o.err(`${s.rows} rows of the ${s.split} split, checkpoint ${s.checkpoint}: ${s.seconds.toFixed(2)} s (${(s.rows / Math.max(s.seconds, 1e-9)).toFixed(0)} rows/s)${opts.out ? `; written: ${opts.out}` : ''}`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
