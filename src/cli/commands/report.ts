// `mtl report RUN… -o report.html [--baseline RUN]`: run folders → one self-contained HTML page.
import * as path from 'node:path';
import { usageError } from '../../errors';
import { reportHtml } from '../../report/html';
import { runModelSvg } from '../../report/model-figure';
import { distinctNames, readRunGroup } from '../../report/runs';
import { writeFileAtomic } from '../../util/fs';
import type { Output } from '../reporter';

export async function reportCommand(runs: string[], opts: { output: string; baseline?: string }, o: Output): Promise<void> {
  const ext = path.extname(opts.output).toLowerCase();
  if (ext !== '.html' && ext !== '.htm') throw usageError([{ where: {}, message: 'the report is an HTML file', received: opts.output, allowed: '*.html' }]);
  const groups = distinctNames([...(opts.baseline ? [opts.baseline] : []), ...runs].map(readRunGroup));
  const baseline = opts.baseline ? groups[0] : undefined;
  const html = await reportHtml(baseline ? groups.slice(1) : groups, { baseline, modelFigure: runModelSvg });
  writeFileAtomic(opts.output, html);
  o.out(`written: ${opts.output} (${groups.length} run${groups.length > 1 ? 's' : ''}, ${(html.length / 1024).toFixed(0)} KiB)`);
}
