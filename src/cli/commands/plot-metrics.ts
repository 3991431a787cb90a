// `mtl plot-metrics RUN… -o FILE.svg|png`: run folders → curve panels → Vega-Lite → SVG (→ PNG).
import * as path from 'node:path';
import { usageError } from '../../errors';
import { chartSpec, chartSvg } from '../../plot/charts';
import { svgToPng } from '../../plot/png';
import { curvePanels, diagnosticPanels } from '../../report/curves';
import { distinctNames, readRunGroup, taskNames } from '../../report/runs';
import { writeFileAtomic } from '../../util/fs';
import type { Output } from '../reporter';

export async function plotMetricsCommand(runs: string[], opts: { output: string; diagnostics: boolean }, o: Output): Promise<void> {
  const ext = path.extname(opts.output).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') {
    throw usageError([{ where: {}, message: `cannot tell the picture format from the file name ${JSON.stringify(opts.output)}`, received: ext || '(no extension)', allowed: '.svg, .png' }]);
  }
  const groups = distinctNames(runs.map(readRunGroup));
  const panels = [...curvePanels(groups), ...(opts.diagnostics ? diagnosticPanels(groups) : [])];
  const svg = await chartSvg(chartSpec(panels, { title: `Training curves: ${groups.map((g) => g.name).join(', ')}` }));
  writeFileAtomic(opts.output, ext === '.png' ? svgToPng(svg) : svg);
  const tasks = [...new Set(groups.flatMap((g) => g.members.flatMap(taskNames)))];
  o.out(`written: ${opts.output} (${panels.length} panels; tasks: ${tasks.join(', ')})`);
}
