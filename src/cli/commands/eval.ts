// `mtl eval RUN`: options → evaluateRun() per split (+ evaluateDetails() with --details) → tables or JSON.
import type { BackendName } from '../../backend/select';
import { usageError } from '../../errors';
import type { ClassificationDetails, EntityDetails, TaskDetails } from '../../eval/details';
import { evaluateDetails } from '../../train/eval-details';
import { evaluateRun, type EvalResult } from '../../train/run-eval';
import { runStatusLine } from '../../train/run-status';
import { writeFileAtomic } from '../../util/fs';
import { fmt, metricsTable, table, type Output } from '../reporter';
import { unitNotes, zScoredTargets } from '../units';

export interface EvalCliOptions {
  checkpoint: string;
  split: string;
  backend: BackendName;
  json?: boolean;
  details?: boolean;
}

function classTables(d: ClassificationDetails): string {
  // A class is its index, followed by its learnt name where the run has one.
  const label = (c: number) => (d.names?.[c] ? `${c} ${d.names[c]}` : String(c));
  const perClass = table(['class', 'precision', 'recall', 'f1', 'support'], [
    ...d.perClass.map((s, c) => [label(c), fmt(s.precision), fmt(s.recall), fmt(s.f1), String(s.support)]),
    ['macro', fmt(d.macro.precision), fmt(d.macro.recall), fmt(d.macro.f1), String(d.rows)],
  ]);
  const k = d.confusion.length;
  const confusion = table(['true \\ predicted', ...Array.from({ length: k }, (_, c) => String(c))], d.confusion.map((row, c) => [label(c), ...row.map(String)]));
  return `${perClass}\n\nconfusion matrix (rows: true class, columns: predicted):\n${confusion}`;
}

function entityTable(d: EntityDetails): string {
  const row = (name: string, s: EntityDetails['micro']) => [name, fmt(s.precision), fmt(s.recall), fmt(s.f1), String(s.gold), String(s.predicted), String(s.correct)];
  return table(['entity type', 'precision', 'recall', 'f1', 'gold', 'predicted', 'right'], [
    ...Object.entries(d.perType).map(([n, s]) => row(n, s)),
    row('micro', d.micro),
    ['macro', fmt(d.macro.precision), fmt(d.macro.recall), fmt(d.macro.f1), '', '', ''],
  ]);
}

export function detailsText(task: string, d: TaskDetails | null, std?: number[]): string {
  if (!d) return `${task}: no details for a token-level task without an entity metric`;
  if (d.kind === 'entities') return `${task} entities (CoNLL rules; micro = entity-precision/recall/f1), ${d.sentences} sentences:\n${entityTable(d)}`;
  if (d.kind === 'classification') return `${task}:\n${classTables(d)}`;
  if (d.kind === 'outputs') return d.outputs.map((o, j) => `${task} output ${j} (threshold 0.5):\n${classTables(o)}`).join('\n\n');
  const rows = d.columns.map((c, j) => [String(j), fmt(c.bias), fmt(c.mae), fmt(c.rmse), fmt(c.residualStd), fmt(c.maxAbs)]);
  // A z-scored target's residuals are in its training standard deviations, as its mae and rmse are.
  const scale = std ? ` in training standard deviations (z-scored: 1 sd = ${std.map((s) => fmt(s)).join(', ')})` : '';
  return `${task} residuals (prediction − target)${scale}, ${d.rows} rows:\n${table(['column', 'bias', 'mae', 'rmse', 'residual std', 'max |r|'], rows)}`;
}

/** `best (epoch 3)`; a checkpoint written inside an epoch: `last (epoch 3, then 12 steps of epoch 4)`. */
function checkpointLabel(r: EvalResult['record']): string {
  const at = r.epoch === null ? 'no epoch recorded' : `epoch ${r.epoch}`;
  return `${r.checkpoint} (${at}${r.partial ? `, then ${r.partial.steps} steps of epoch ${r.partial.epoch}` : ''})`;
}

export async function evalCommand(run: string, opts: EvalCliOptions, o: Output): Promise<void> {
  const splits = opts.split.split(',').map((s) => s.trim());
  for (const s of splits) if (s !== 'val' && s !== 'test') throw usageError([{ where: {}, message: 'unknown --split', received: s, allowed: 'val, test, or both: val,test' }]);
  const records: unknown[] = [];
  for (const [i, split] of (splits as Array<'val' | 'test'>).entries()) {
    const { file, record } = await evaluateRun(run, { checkpoint: opts.checkpoint, split, backend: opts.backend });
    // First, how far the run got: a killed or interrupted run's checkpoint is not a finished model.
    if (i === 0 && !opts.json) o.out(runStatusLine(record.runStatus, run, checkpointLabel(record)));
    // The data files differ from the ones the run trained on: these are not the run's held-out rows.
    if (i === 0) for (const w of record.dataChanged ?? []) o.err(`warning: ${w}`);
    const details = opts.details ? await evaluateDetails(run, { checkpoint: opts.checkpoint, split, backend: opts.backend }) : undefined;
    if (details) writeFileAtomic(file, JSON.stringify({ ...record, details }, null, 2));
    records.push(details ? { ...record, details } : record);
    if (opts.json) continue;
    o.out(`${record.split} split, checkpoint ${checkpointLabel(record)}, ${record.samples} samples, combined loss ${record.unlabelled ? '–' : fmt(record.loss)}`);
    o.out(metricsTable(record));
    for (const n of unitNotes(zScoredTargets(run), record)) o.out(n);
    const scales = zScoredTargets(run);
    for (const [task, d] of Object.entries(details ?? {})) o.out(`\n${detailsText(task, d, scales[task])}`);
    o.out(`written: ${file}\n`);
  }
  if (opts.json) o.out(JSON.stringify(records.length === 1 ? records[0] : records, null, 2));
}
