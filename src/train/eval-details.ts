// Owns `mtl eval --details`: per task, a confusion matrix with per-class precision/recall/F1
// (classification; binary and multilabel per output at 0.5) or residual statistics (regression),
// accumulated from predictRun's rows as they stream, so nothing per row is kept; per-entity-type
// precision/recall/F1 for a tagging task with an entity metric (its `tags` name the classes).
import { predictEncodingOf } from '../data/predict-input';
import { readDataState } from '../data/state';
import { ConfusionCounter, EntityCounter, ResidualCounter, type TaskDetails } from '../eval/details';
import { predictRun, type PredictOptions, type TaskPrediction } from './predict';
import { loadRunSpec } from './run-eval';

type Counter =
  | { kind: 'class'; c: ConfusionCounter }
  | { kind: 'outputs'; cs: ConfusionCounter[] }
  | { kind: 'residual'; r: ResidualCounter }
  | { kind: 'entities'; e: EntityCounter; names?: string[] }
  | { kind: 'none' };

function counterFor(p: TaskPrediction, entityTags: string[] | 'learn' | undefined, names: string[] | undefined): Counter {
  if ('class' in p) return { kind: 'class', c: new ConfusionCounter(0, names) };
  if ('probabilities' in p) return { kind: 'outputs', cs: p.probabilities.map(() => new ConfusionCounter(2)) };
  if ('value' in p) return { kind: 'residual', r: new ResidualCounter() };
  // Token rows: entity details when the task has an entity metric (names from its tags, else from the row).
  if (entityTags) return { kind: 'entities', e: new EntityCounter(), ...(Array.isArray(entityTags) ? { names: entityTags } : {}) };
  return { kind: 'none' };
}

/** One token row as gold and predicted tag names over its labelled tokens (negative gold: padding). */
function tagRow(p: TaskPrediction, names: string[] | undefined): { gold: string[]; pred: string[] } | undefined {
  if (!('classes' in p) || !Array.isArray(p.label)) return undefined;
  const label = p.label;
  const row = p as { tags?: string[]; labelTags?: string[] };
  // The metric's explicit tag list names the classes as the entity metrics do; with tags: learn, the row's names.
  const name = (k: number, fromRow: string | undefined) => (names ? (names[k] ?? String(k)) : (fromRow ?? String(k)));
  const gold: string[] = [];
  const pred: string[] = [];
  p.classes.forEach((c, s) => {
    if (s >= label.length || !(label[s] >= 0)) return;
    gold.push(name(label[s], row.labelTags?.[s]));
    pred.push(name(c, row.tags?.[s]));
  });
  return { gold, pred };
}

function add(counter: Counter, p: TaskPrediction): void {
  if (p.label === undefined || p.label === null) return;
  if (counter.kind === 'class' && 'class' in p) counter.c.add(p.label as number, p.class, p.labelName, p.name);
  else if (counter.kind === 'outputs' && 'probabilities' in p) {
    const l = p.label as number[];
    p.probabilities.forEach((q, j) => counter.cs[j].add(l[j] > 0.5 ? 1 : 0, q > 0.5 ? 1 : 0));
  } else if (counter.kind === 'residual' && 'value' in p) counter.r.add(p.value, p.label as number[]);
  else if (counter.kind === 'entities') {
    const r = tagRow(p, counter.names);
    if (r) counter.e.add(r.gold, r.pred);
  }
}

function result(counter: Counter): TaskDetails | null {
  if (counter.kind === 'class') return counter.c.result();
  if (counter.kind === 'outputs') return { kind: 'outputs', outputs: counter.cs.map((c) => c.result()) };
  if (counter.kind === 'residual') return counter.r.result();
  if (counter.kind === 'entities') return counter.e.result();
  return null;
}

/** Detailed statistics of every task on one split (null for a task kind without details yet). */
export async function evaluateDetails(runDir: string, opts: Omit<PredictOptions, 'labels' | 'topK'>): Promise<Record<string, TaskDetails | null>> {
  const counters = new Map<string, Counter>();
  // The tags of each task's entity metric (entity-f1/precision/recall), if it has one.
  const entityTags: Record<string, string[] | 'learn'> = {};
  const spec = loadRunSpec(runDir);
  // Every class's name, also of a class that no row of the split has or gets (a row names only its own).
  const names = predictEncodingOf(spec, spec.resolved.inputs, readDataState(runDir)).classNames ?? {};
  for (const [t, task] of Object.entries(spec.resolved.tasks)) {
    const m = task.metrics.find((x) => x.type.startsWith('entity-')) as { tags?: string[] | 'learn' } | undefined;
    if (m?.tags) entityTags[t] = m.tags;
  }
  // Residuals in the units the metrics use (standard deviations for a z-scored target).
  await predictRun(runDir, { ...opts, labels: true, topK: 1, denormalize: false }, (row) => {
    for (const [task, p] of Object.entries(row.tasks)) {
      if (!counters.has(task)) counters.set(task, counterFor(p, entityTags[task], names[task]));
      add(counters.get(task)!, p);
    }
  });
  return Object.fromEntries([...counters].map(([task, c]) => [task, result(c)]));
}
