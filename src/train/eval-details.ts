// Owns `mtl eval --details`: per task, a confusion matrix with per-class precision/recall/F1
// (classification; binary and multilabel per output at 0.5) or residual statistics (regression),
// accumulated from predictRun's rows as they stream, so nothing per row is kept.
import { ConfusionCounter, ResidualCounter, type TaskDetails } from '../eval/details';
import { predictRun, type PredictOptions, type TaskPrediction } from './predict';

type Counter = { kind: 'class'; c: ConfusionCounter } | { kind: 'outputs'; cs: ConfusionCounter[] } | { kind: 'residual'; r: ResidualCounter } | { kind: 'none' };

function counterFor(p: TaskPrediction): Counter {
  if ('class' in p) return { kind: 'class', c: new ConfusionCounter() };
  if ('probabilities' in p) return { kind: 'outputs', cs: p.probabilities.map(() => new ConfusionCounter(2)) };
  if ('value' in p) return { kind: 'residual', r: new ResidualCounter() };
  return { kind: 'none' }; // token-level tasks: per-entity-type details are not computed yet
}

function add(counter: Counter, p: TaskPrediction): void {
  if (p.label === undefined || p.label === null) return;
  if (counter.kind === 'class' && 'class' in p) counter.c.add(p.label as number, p.class);
  else if (counter.kind === 'outputs' && 'probabilities' in p) {
    const l = p.label as number[];
    p.probabilities.forEach((q, j) => counter.cs[j].add(l[j] > 0.5 ? 1 : 0, q > 0.5 ? 1 : 0));
  } else if (counter.kind === 'residual' && 'value' in p) counter.r.add(p.value, p.label as number[]);
}

function result(counter: Counter): TaskDetails | null {
  if (counter.kind === 'class') return counter.c.result();
  if (counter.kind === 'outputs') return { kind: 'outputs', outputs: counter.cs.map((c) => c.result()) };
  if (counter.kind === 'residual') return counter.r.result();
  return null;
}

/** Detailed statistics of every task on one split (null for a task kind without details yet). */
export async function evaluateDetails(runDir: string, opts: Omit<PredictOptions, 'labels' | 'topK'>): Promise<Record<string, TaskDetails | null>> {
  const counters = new Map<string, Counter>();
  // Residuals in the units the metrics use (standard deviations for a z-scored target).
  await predictRun(runDir, { ...opts, labels: true, topK: 1, denormalize: false }, (row) => {
    for (const [task, p] of Object.entries(row.tasks)) {
      if (!counters.has(task)) counters.set(task, counterFor(p));
      add(counters.get(task)!, p);
    }
  });
  return Object.fromEntries([...counters].map(([task, c]) => [task, result(c)]));
}
