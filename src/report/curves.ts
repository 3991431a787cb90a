// Owns which curves a run folder yields: per task, loss and each metric (training solid, validation
// dashed; one colour per run when several overlay, else per task) by epoch; task weights by epoch; gradient norms and pairwise gradient cosines by step
// (metrics.jsonl step lines) or, without step lines, by epoch (metrics.json diagnostics); for
// mixture-of-experts runs, each gate's expert utilisation by epoch (a collapsed gate shows as one line
// near 1 and the rest near 0).
// Several runs overlay in one panel; a seed group contributes its first seed's curves, a single-task
// baseline each task's run.
import type { ChartPanel, ChartPoint } from '../plot/charts';
import { taskNames, type RunGroup, type RunRecord } from './runs';

interface Named {
  name: string;
  run: RunRecord;
}

/** Several runs: colour = run, line style = `what`; one run: colour = `what`. */
const colourStyle = (runs: Named[], r: Named, what: string) => (runs.length > 1 ? { series: r.name, style: what } : { series: what });

function metricKeys(runs: Named[], task: string): string[] {
  const keys = new Set<string>();
  for (const { run } of runs) for (const e of run.metrics.epochs) for (const k of Object.keys(e.train.tasks[task] ?? {})) keys.add(k);
  return [...keys].sort((a, b) => Number(b === 'loss') - Number(a === 'loss'));
}

function taskPanels(runs: Named[], task: string): ChartPanel[] {
  return metricKeys(runs, task).map((key) => {
    const points: ChartPoint[] = [];
    for (const r of runs) {
      for (const e of r.run.metrics.epochs) {
        const t = e.train.tasks[task]?.[key];
        const v = e.val?.tasks[task]?.[key];
        const series = runs.length > 1 ? r.name : task;
        if (Number.isFinite(t)) points.push({ x: e.epoch, y: t, series, style: 'training' });
        if (v !== undefined && Number.isFinite(v)) points.push({ x: e.epoch, y: v, series, style: 'validation' });
      }
    }
    return { title: `${task}: ${key}`, xTitle: 'epoch', yTitle: key, points };
  });
}

function weightPanel(runs: Named[]): ChartPanel {
  const points: ChartPoint[] = [];
  for (const r of runs) {
    for (const e of r.run.metrics.epochs) {
      for (const [task, w] of Object.entries(e.weights ?? {})) if (Number.isFinite(w)) points.push({ x: e.epoch, y: w, ...colourStyle(runs, r, task) });
    }
  }
  return { title: 'task weights (mean over each epoch)', xTitle: 'epoch', yTitle: 'weight', points, zero: true };
}

/** Per-task values and cosines over steps when every run recorded step lines, else over epochs. */
function gradientPanels(runs: Named[]): ChartPanel[] {
  const bySteps = runs.every((r) => r.run.steps.some((s) => s.gradNorms));
  const norms: ChartPoint[] = [];
  const cosines: ChartPoint[] = [];
  for (const r of runs) {
    const tasks = taskNames(r.run);
    const records = bySteps
      ? r.run.steps.map((s) => ({ x: s.step, gradNorms: s.gradNorms, cosine: s.cosine, present: s.present }))
      : r.run.metrics.epochs.map((e) => ({ x: e.epoch, gradNorms: e.diagnostics?.gradNorms, cosine: e.diagnostics?.cosine, present: undefined }));
    for (const rec of records) {
      // A task without labels in the step has no gradient: its 0 entries are no norm or cosine to draw.
      const has = (task: string) => !rec.present || rec.present.includes(task);
      for (const [task, n] of Object.entries(rec.gradNorms ?? {})) if (has(task)) norms.push({ x: rec.x, y: n, ...colourStyle(runs, r, task) });
      rec.cosine?.forEach((row, i) => row.forEach((c, j) => j > i && has(tasks[i]) && has(tasks[j]) && cosines.push({ x: rec.x, y: c, ...colourStyle(runs, r, `cos(${tasks[i]}, ${tasks[j]})`) })));
    }
  }
  const xTitle = bySteps ? 'step' : 'epoch';
  const panels: ChartPanel[] = [];
  if (norms.length) panels.push({ title: 'gradient norm ‖g_t‖ over shared parameters', xTitle, yTitle: '‖g_t‖₂', points: norms });
  // With one task pair no line-style legend is drawn: the title names the pair.
  const pairs = new Set(cosines.map((c) => c.style ?? c.series));
  const cosTitle = pairs.size === 1 && runs.length > 1 ? `gradient cosine between tasks: ${[...pairs][0]}` : 'gradient cosine between tasks';
  if (cosines.length) panels.push({ title: cosTitle, xTitle, yTitle: 'cosine', points: cosines });
  return panels;
}

/** One panel per gate: each expert's share of the gate's mean weight, by epoch. */
function gatePanels(runs: Named[]): ChartPanel[] {
  const byGate = new Map<string, ChartPoint[]>();
  for (const r of runs) {
    for (const e of r.run.metrics.epochs) {
      for (const [gate, g] of Object.entries(e.gates ?? {})) {
        if (!byGate.has(gate)) byGate.set(gate, []);
        g.utilisation?.forEach((u, k) => Number.isFinite(u) && byGate.get(gate)!.push({ x: e.epoch, y: u, ...colourStyle(runs, r, `expert ${k}`) }));
      }
    }
  }
  return [...byGate].map(([gate, points]) => ({ title: `gate ${gate}: expert utilisation`, xTitle: 'epoch', yTitle: 'share of gate weight', points, zero: true }));
}

/** The runs drawn: a seed group's first seed (the legend says which); each task's run of a single-task baseline. */
function named(groups: RunGroup[]): Named[] {
  const label = (name: string, g: RunGroup) => (g.seeds && g.seeds.length > 1 ? `${name} (seed ${g.seeds[0]})` : name);
  return groups.flatMap((g) => (g.tasks ? Object.entries(g.tasks).map(([t, sub]) => ({ name: label(`${g.name}/${t}`, sub), run: sub.members[0] })) : [{ name: label(g.name, g), run: g.members[0] }]));
}

/** Loss and metric panels of every task of every run. */
export function curvePanels(groups: RunGroup[]): ChartPanel[] {
  const runs = named(groups);
  const tasks = [...new Set(runs.flatMap((r) => taskNames(r.run)))];
  return tasks.flatMap((t) => taskPanels(runs, t));
}

/** Task weights, gradient norms and cosines, gate utilisation (the last three only when the runs recorded them). */
export function diagnosticPanels(groups: RunGroup[]): ChartPanel[] {
  const runs = named(groups);
  return [weightPanel(runs), ...gradientPanels(runs), ...gatePanels(runs)];
}
