// Owns the report page: one self-contained HTML file (inline CSS and SVG, no script, no network),
// assembled from run folders — overview, final table with Δm%, metric curves, diagnostics, and per
// run its model plot and resolved spec.
import { escapeHtml } from '../plot/dot';
import { chartSpec, chartSvg } from '../plot/charts';
import { readRunStatus } from '../train/run-status';
import { packageVersion } from '../util/paths';
import { compareRuns, type Comparison } from './compare';
import { compareCells, compareNotes, deltaCell, htmlTable } from './compare-table';
import { curvePanels, diagnosticPanels } from './curves';
import { taskNames, type RunGroup, type RunRecord } from './runs';

/** A model picture per run folder (TensorFlow is needed for it, so the caller supplies it). */
export type ModelFigure = (runDir: string) => Promise<{ svg: string } | { error: string }>;

const CSS = `
body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:24px auto;max-width:1240px;padding:0 16px;color:#1d2330;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #d8dde6;padding-bottom:4px;margin-top:1.8em}
.meta{color:#5a6375;font-size:.9em}
table{border-collapse:collapse;margin:8px 0 12px;font-size:.82em}
th,td{border:1px solid #d8dde6;padding:3px 7px;text-align:right;white-space:nowrap}
thead th{background:#eef1f6}thead th:first-child{text-align:left}tbody th{text-align:left;font-weight:600}
tbody tr:nth-child(even){background:#f8f9fb}
.note{color:#5a6375;font-size:.85em;margin:2px 0}.wide{overflow-x:auto}
.figure{overflow-x:auto;margin:8px 0}.figure svg{max-width:100%;height:auto}
pre{background:#f5f6f8;border:1px solid #d8dde6;padding:10px;font-size:.8em;max-height:480px;overflow:auto}
details{margin:10px 0}summary{cursor:pointer;font-weight:600}
.error{color:#a4262c}
`;

const wide = (html: string) => `<div class="wide">${html}</div>`;
const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** An SVG document made safe to inline next to others: no XML prolog, ids prefixed so they cannot collide. */
export function inlineSvg(svg: string, prefix: string): string {
  const start = svg.indexOf('<svg');
  return svg
    .slice(start < 0 ? 0 : start)
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

function overview(groups: RunGroup[]): string {
  const header = ['run', 'seed', 'status', 'weighting', 'epochs', 'best epoch', 'monitor', 'backend', 'started'];
  const rows = groups.map((g) => {
    const m: RunRecord['metrics'] = g.members[0].metrics;
    // A seed group's or single-task folder's runs stop and peak at their own epochs: one value per run
    // (in the seeds' order, or named by task), or the one they share.
    const task = g.tasks ? Object.entries(g.tasks).flatMap(([t, sub]) => sub.members.map(() => `${t} `)) : [];
    const each = (f: (r: RunRecord['metrics'], run: RunRecord) => string, sep = ', ') => {
      const v = g.members.map((r) => f(r.metrics, r));
      return new Set(v).size === 1 ? v[0] : v.map((x, i) => (task[i] ?? '') + x).join(sep);
    };
    return [
      g.name,
      g.seeds ? g.seeds.join(', ') : String(m.run?.seed ?? '-'),
      // As compare and eval say it: a run left `running` by a SIGKILL reads as killed.
      each((_, run) => readRunStatus(run.dir, 0).status, '/'),
      each((r) => r.weighting ?? '-', '/'),
      each((r) => String(r.epochs.length)),
      each((r) => String(r.best?.epoch ?? '-')),
      m.best?.monitor ? `${m.best.monitor} ${each((r) => r.best?.value?.toFixed(4) ?? '-')}` : '-',
      m.run?.backend?.name ?? '-',
      m.run?.startedAt?.replace('T', ' ').replace(/\.\d+Z$/, ' UTC') ?? '-',
    ];
  });
  const data = new Map<string, string[]>();
  for (const g of groups) {
    const d = g.members[0].metrics.run?.data ?? 'not recorded';
    data.set(d, [...(data.get(d) ?? []), g.name]);
  }
  const notes = [...data].map(([d, names]) => `<p class="note">data${data.size > 1 ? ` of ${escapeHtml(names.join(', '))}` : ''}: ${escapeHtml(d)}</p>`);
  return [wide(htmlTable({ header, rows })), ...notes].join('\n');
}

function deltaTable(c: Comparison): string {
  const tasks = [...new Set(c.rows.flatMap((r) => Object.keys(r.deltaM?.tasks ?? {})))];
  const rows = c.rows.map((r) => [r.name, ...tasks.map((t) => r.deltaM?.tasks[t]?.toFixed(2) ?? '-'), deltaCell(c, r, r.deltaM ? r.deltaM.value.toFixed(2) : '-')]);
  return htmlTable({ header: ['run', ...tasks.map((t) => `Δ ${t} %`), 'Δm %'], rows });
}

/** One row per run: the last recorded epoch's mean gradient cosine of every task pair. */
function cosineTable(groups: RunGroup[]): string {
  const rows = new Map<string, Record<string, string>>();
  const pairs = new Set<string>();
  for (const g of groups) {
    const run = g.members[0];
    const last = [...run.metrics.epochs].reverse().find((e) => e.diagnostics?.cosine);
    if (!last?.diagnostics?.cosine) continue;
    const tasks = taskNames(run);
    const row: Record<string, string> = { epoch: String(last.epoch) };
    last.diagnostics.cosine.forEach((r, i) => r.forEach((v, j) => j > i && (row[`cos(${tasks[i]}, ${tasks[j]})`] = v.toFixed(3))));
    Object.keys(row).forEach((k) => k !== 'epoch' && pairs.add(k));
    // Like the curves, a seed group's first seed.
    rows.set(g.seeds && g.seeds.length > 1 ? `${g.name} (seed ${g.seeds[0]})` : g.name, row);
  }
  if (rows.size === 0) return '';
  const cols = ['epoch', ...pairs];
  const table = htmlTable({ header: ['run', ...cols], rows: [...rows].map(([name, r]) => [name, ...cols.map((c) => r[c] ?? '-')]) });
  return `<p class="note">mean gradient cosine between tasks over the sampled steps of the last recorded epoch</p>${wide(table)}`;
}

async function runSections(groups: RunGroup[], modelFigure: ModelFigure): Promise<string> {
  const out: string[] = [];
  for (const [i, g] of groups.entries()) {
    const run = g.members[0];
    const fig = await modelFigure(run.dir);
    const picture = 'svg' in fig ? `<div class="figure">${inlineSvg(fig.svg, `model${i}`)}</div>` : `<p class="error">model plot unavailable: ${escapeHtml(fig.error)}</p>`;
    const spec = run.configText ? `<pre>${escapeText(run.configText)}</pre>` : '<p class="note">no config.resolved.yaml in this run folder</p>';
    out.push(`<section><h2>Run ${escapeHtml(g.name)}</h2><p class="meta">${escapeHtml(run.dir)} · tasks: ${escapeHtml(taskNames(run).join(', '))}</p>
<details open><summary>Model</summary>${picture}</details>
<details><summary>Resolved spec (config.resolved.yaml)</summary>${spec}</details></section>`);
  }
  return out.join('\n');
}

/** The whole report page for `groups` (and Δm% against `baseline` when given). */
export async function reportHtml(groups: RunGroup[], opts: { baseline?: RunGroup; modelFigure: ModelFigure; now?: Date }): Promise<string> {
  const all = opts.baseline ? [opts.baseline, ...groups.filter((g) => g.dir !== opts.baseline!.dir)] : groups;
  const c = compareRuns(groups, { baseline: opts.baseline });
  const curves = await chartSvg(chartSpec(curvePanels(all)));
  const diag = await chartSvg(chartSpec(diagnosticPanels(all)));
  const names = all.length > 3 ? `${all.length} runs` : all.map((g) => g.name).join(', ');
  const notes = compareNotes(c).map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>mtl report: ${escapeHtml(names)}</title><style>${CSS}</style></head>
<body>
<h1>mtl report: ${escapeHtml(names)}</h1>
<p class="meta">written by mtl ${escapeHtml(packageVersion())} on ${(opts.now ?? new Date()).toISOString()} · tasks: ${escapeHtml([...new Set(all.flatMap((g) => g.members.flatMap(taskNames)))].join(', '))}</p>
<h2>Runs</h2>${overview(all)}
<h2>Final metrics</h2>${wide(htmlTable(compareCells(c)))}
${notes}
${c.baseline !== null ? `<h2>Δm% against ${escapeHtml(c.baseline)}</h2>${deltaTable(c)}` : ''}
<h2>Metric curves</h2><p class="note">solid: training, dashed: validation${all.length > 1 ? '; one colour per run' : ''}</p><div class="figure">${inlineSvg(curves, 'curves')}</div>
<h2>Diagnostics</h2><div class="figure">${inlineSvg(diag, 'diag')}</div>
${cosineTable(all)}
${await runSections(all, opts.modelFigure)}
</body></html>
`;
}
