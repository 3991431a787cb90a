// `mtl compare RUN… [--baseline RUN]`: run folders → compareRuns() → aligned table, Markdown or JSON.
// Reads files only: no TensorFlow is loaded for this command's work.
import { compareRuns, type SplitChoice } from '../../report/compare';
import { compareCells, compareNotes, markdownTable } from '../../report/compare-table';
import { readRunGroups } from '../../report/runs';
import { table, type Output } from '../reporter';

export interface CompareOptions {
  baseline?: string;
  split: SplitChoice;
  json?: boolean;
  markdown?: boolean;
}

export function compareCommand(runs: string[], opts: CompareOptions, o: Output): void {
  const { groups, baseline } = readRunGroups(runs, opts.baseline);
  const c = compareRuns(groups, { baseline, split: opts.split });
  if (opts.json) {
    o.out(JSON.stringify(c, null, 2));
    return;
  }
  const cells = compareCells(c);
  const notes = compareNotes(c);
  if (opts.markdown) {
    o.out(markdownTable(cells));
    o.out('');
    for (const n of notes) o.out(`- ${n}`);
    return;
  }
  o.out(table(cells.header, cells.rows));
  for (const n of notes) o.out(n);
}
