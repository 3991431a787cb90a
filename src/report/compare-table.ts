// Owns the cells of the compare table (one row per run or seed group, one column per task metric)
// and its Markdown and HTML forms; the terminal form is the CLI reporter's aligned table.
import * as path from 'node:path';
import { escapeHtml } from '../plot/dot';
import { runStatusText } from '../train/run-status';
import type { Comparison, CompareRow, MemberStatus, Stat } from './compare';

export interface Cells {
  header: string[];
  rows: string[][];
}

const num = (v: number, digits: number) => (Number.isNaN(v) ? 'NaN' : v.toFixed(digits));

/** "0.7460" for one run, "0.7460 ± 0.0123" (sample std) for a seed group. */
export function formatStat(s: Stat | undefined, digits = 4): string {
  if (!s) return '-';
  return s.std === null ? num(s.mean, digits) : `${num(s.mean, digits)} ± ${num(s.std, digits)}`;
}

function signed(v: number): string {
  return Number.isNaN(v) ? '-' : `${v > 0 ? '+' : ''}${v.toFixed(2)}`;
}

/** Every task/metric column that appears in some row, in first-seen order, loss first within a task. */
export function metricColumns(rows: CompareRow[]): Array<[string, string]> {
  const cols: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const [task, ms] of Object.entries(row.tasks)) {
      const keys = Object.keys(ms).sort((a, b) => Number(b === 'loss') - Number(a === 'loss'));
      for (const key of keys) {
        if (seen.has(`${task}/${key}`)) continue;
        seen.add(`${task}/${key}`);
        cols.push([task, key]);
      }
    }
  }
  return cols;
}

export function rowLabel(row: CompareRow): string {
  const kind = [row.singleTask ? 'single-task' : '', row.seeds ? `${row.seeds.length} seeds` : ''].filter(Boolean).join(', ');
  return `${row.name}${kind ? ` (${kind})` : ''}${row.baseline ? ' [baseline]' : ''}`;
}

/**
 * The baseline's tasks that a row's Δm% leaves out because the run has none of their metrics: its Δm%
 * is then a mean over fewer tasks, not comparable with a row's over all of them. Undefined when none.
 */
export function missingDeltaTasks(c: Comparison, r: CompareRow): { covered: string[]; missing: string[] } | undefined {
  const base = c.rows.find((x) => x.baseline)?.deltaM;
  if (!base || !r.deltaM || r.baseline) return undefined;
  const covered = Object.keys(r.deltaM.tasks);
  const missing = Object.keys(base.tasks).filter((t) => !(t in r.deltaM!.tasks) && r.deltaM!.skipped.some((s) => s.task === t && s.reason === 'missing in run'));
  return missing.length ? { covered, missing } : undefined;
}

/** Δm% as the tables print it: `*` marks a mean over fewer tasks than the baseline's. */
export function deltaCell(c: Comparison, r: CompareRow, v: string): string {
  return missingDeltaTasks(c, r) && v !== '-' ? `${v}*` : v;
}

export function compareCells(c: Comparison): Cells {
  const cols = metricColumns(c.rows);
  const withDelta = c.baseline !== null;
  const header = ['run', ...cols.map(([t, k]) => `${t} ${k}`), ...(withDelta ? ['Δm%'] : []), 'epochs', 'wall s', 'samples/s', 'backend'];
  const rows = c.rows.map((r) => [
    rowLabel(r),
    ...cols.map(([t, k]) => formatStat(r.tasks[t]?.[k])),
    ...(withDelta ? [deltaCell(c, r, signed(r.deltaM?.value ?? NaN))] : []),
    formatStat(r.epochs, r.epochs.std ? 1 : 0),
    formatStat(r.wallTime, 1),
    formatStat(r.samplesPerSecond, 0),
    r.backend,
  ]);
  return { header, rows };
}

export function markdownTable({ header, rows }: Cells): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const line = (cells: string[]) => `| ${cells.map(esc).join(' | ')} |`;
  return [line(header), `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map(line)].join('\n');
}

export function htmlTable({ header, rows }: Cells): string {
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c, i) => `<${i === 0 ? 'th scope="row"' : 'td'}>${escapeHtml(c)}</${i === 0 ? 'th' : 'td'}>`).join('')}</tr>`);
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${trs.join('\n')}\n</tbody>\n</table>`;
}

/** What the table holds of a run that did not finish: eval's run-status line, in compare's words. */
function statusNote(s: MemberStatus, split: 'test' | 'val'): string {
  const at = s.comparedEpoch === null ? '' : ` (epoch ${s.comparedEpoch})`;
  const what = split === 'test' ? `comparing the test metrics of its checkpoint best${at}` : `comparing the validation metrics of its best epoch${at}`;
  return runStatusText(s, s.dir, what);
}

/** The notes under the table: which split (and why), the std convention, unfinished runs, the baseline and any skipped Δm terms. */
export function compareNotes(c: Comparison): string[] {
  const why = c.withoutTest ? ` (no test metrics in ${c.withoutTest.map((d) => path.relative(process.cwd(), path.resolve(d)) || '.').join(', ')})` : '';
  const notes = [`final metrics: ${c.split === 'test' ? 'test split, best checkpoint' : `validation split, best epoch${why}`}; seed groups: mean ± sample std (n − 1)`];
  if (c.differentRows) notes.push(c.differentRows);
  for (const r of c.rows) {
    const missing = r.missingSeeds ?? [];
    const planned = (r.seeds?.length ?? 0) + missing.length;
    if (missing.length) notes.push(`${r.name}: ${r.seeds?.length ?? 0} of the ${planned} planned seeds; seed ${missing.join(', ')} did not finish and is not in the means (resume an interrupted one with: mtl train SPEC --resume ${path.join(r.dir, `seed-${missing[0]}`)})`);
  }
  for (const r of c.rows) for (const s of r.runStatus.filter((m) => !m.finished)) notes.push(`${r.name}${r.runStatus.length > 1 ? ` (${path.basename(s.dir)})` : ''}: ${statusNote(s, c.split)}`);
  if (c.baseline !== null) {
    notes.push(`Δm%: mean over tasks of the mean signed relative change of each metric against ${c.baseline} (positive = better; Maninis et al. 2019)`);
    for (const r of c.rows) {
      const partial = missingDeltaTasks(c, r);
      if (partial) notes.push(`Δm% of ${r.name} (*) is over ${partial.covered.join(', ') || 'no task'} alone: the run has no metric of the baseline's ${partial.missing.join(', ')}, so it is not comparable with a Δm% over all the baseline's tasks`);
      // A missing task is said once above, not once per metric.
      for (const s of r.deltaM?.skipped ?? []) if (!partial?.missing.includes(s.task)) notes.push(`Δm% of ${r.name}: ${s.task} ${s.metric} left out (${s.reason})`);
    }
  }
  // An accuracy a constant answer matches (src/eval/constant-answer.ts), as train and eval say it.
  for (const r of c.rows) {
    for (const [t, k] of Object.entries(r.constant ?? {})) {
      const every = (r.seeds?.length ?? 0) > 1 ? ' in every seed' : '';
      notes.push(`${r.name}: ${t} accuracy is no better than answering ${k.label} for every row${every} (which scores ${k.accuracy.toFixed(4)}${every ? ' in the first' : ''}); see its other metrics`);
    }
  }
  return notes;
}
