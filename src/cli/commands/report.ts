// `mtl report RUN… -o report.html [--baseline RUN]`: run folders → one self-contained HTML page.
import * as path from 'node:path';
import { usageError } from '../../errors';
import { reportHtml } from '../../report/html';
import { runModelSvg } from '../../report/model-figure';
import { readRunGroups } from '../../report/runs';
import { writeFileAtomic } from '../../util/fs';
import type { Output } from '../reporter';

export async function reportCommand(runs: string[], opts: { output: string; baseline?: string }, o: Output): Promise<void> {
  const ext = path.extname(opts.output).toLowerCase();
  if (ext !== '.html' && ext !== '.htm') throw usageError([{ where: {}, message: 'the report is an HTML file', received: opts.output, allowed: '*.html' }]);
  const { groups, baseline } = readRunGroups(runs, opts.baseline);
  const html = await reportHtml(groups, { baseline, modelFigure: runModelSvg });
  writeFileAtomic(opts.output, html);
  const n = groups.length + (baseline ? 1 : 0);
  o.out(`written: ${opts.output} (${n} run${n > 1 ? 's' : ''}, ${(html.length / 1024).toFixed(0)} KiB)`);
}
