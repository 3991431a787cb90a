// Owns how `mtl predict` rows are written: JSON Lines (one object per row) and CSV with the documented
// flattening (docs/after-training.md): one column group per task, named <task>.<field>.
import type { PredictionRow, TaskPrediction } from '../../train/predict';

/** Writes rows in one format; `end` flushes. */
export interface RowWriter {
  row(r: PredictionRow): void;
  end(): void;
}

/** A row of a user's file without a label for a task shows none, rather than null. */
function withoutMissingLabels(r: PredictionRow): PredictionRow {
  const tasks: Record<string, TaskPrediction> = {};
  for (const [t, p] of Object.entries(r.tasks)) {
    if (!('label' in p) || p.label !== null) tasks[t] = p;
    else {
      const { label: _l, labelName: _n, ...rest } = p as TaskPrediction & { labelName?: unknown };
      tasks[t] = rest as TaskPrediction;
    }
  }
  return { ...r, tasks };
}

export function jsonlWriter(write: (line: string) => void, fromFile: boolean): RowWriter {
  return { row: (r) => write(JSON.stringify(fromFile ? withoutMissingLabels(r) : r)), end: () => undefined };
}

/** RFC 4180 quoting: a cell with a comma, quote or line break is quoted, its quotes doubled. */
export function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/** Numbered columns: `<base>` for one value, `<base>_0`, `<base>_1`, … for several. */
function numbered(base: string, xs: readonly unknown[] | null | undefined, width: number): Array<[string, string]> {
  if (width === 1) return [[base, text(xs?.[0])]];
  return Array.from({ length: width }, (_, j) => [`${base}_${j}`, text(xs?.[j])] as [string, string]);
}

/**
 * The CSV cells of one task's prediction, in column order. Classification: class (name, else index),
 * probability, then class_2/probability_2 … for the rest of the top k, label. Token tags: tags and
 * label (space-separated), entities as `type:start-end` (tokens start..end−1) separated by spaces.
 * Values and probabilities: one column per output (value, or value_0, value_1, …), label likewise;
 * probabilities then their 0/1 (predicted, or predicted_0, …).
 */
export function csvCells(p: TaskPrediction, width: number): Array<[string, string]> {
  const has = 'label' in p;
  if ('class' in p) {
    const cells: Array<[string, string]> = [['class', text(p.name ?? p.class)], ['probability', text(p.probability)]];
    p.top.slice(1).forEach((c, j) => cells.push([`class_${j + 2}`, text(c.name ?? c.class)], [`probability_${j + 2}`, text(c.probability)]));
    if (has) cells.push(['label', text(p.label === null ? null : p.labelName ?? p.label)]);
    return cells;
  }
  if ('classes' in p) {
    const cells: Array<[string, string]> = [['tags', (p.tags ?? p.classes).join(' ')]];
    if (p.entities) cells.push(['entities', p.entities.map((e) => `${e.type}:${e.start}-${e.end}`).join(' ')]);
    if (has) cells.push(['label', p.label ? (p.labelTags ?? p.label).join(' ') : '']);
    return cells;
  }
  if ('mask' in p) return [['mask', p.mask], ...(has ? [['label', text(p.label)] as [string, string]] : [])];
  if ('value' in p) return [...numbered('value', p.value, width), ...(has ? numbered('label', p.label, width) : [])];
  return [...numbered('probability', p.probabilities, width), ...numbered('predicted', p.predicted, width), ...(has ? numbered('label', p.label, width) : [])];
}

/** CSV: the header comes from the first row (its tasks, top-k width and output widths); later rows fill the same columns. */
export function csvWriter(write: (line: string) => void): RowWriter {
  let header: string[] | undefined;
  const widths: Record<string, number> = {};
  return {
    row(r) {
      const cells = new Map<string, string>([['row', String(r.row)]]);
      for (const [task, p] of Object.entries(r.tasks)) {
        const w = (widths[task] ??= 'value' in p ? p.value.length : 'probabilities' in p ? p.probabilities.length : 1);
        for (const [k, v] of csvCells(p, w)) cells.set(`${task}.${k}`, v);
      }
      for (const [name, d] of Object.entries(r.distances ?? {})) cells.set(`distance.${name}`, String(d));
      if (!header) {
        header = [...cells.keys()];
        write(header.map(csvCell).join(','));
      }
      write(header.map((h) => csvCell(cells.get(h) ?? '')).join(','));
    },
    end: () => undefined,
  };
}
