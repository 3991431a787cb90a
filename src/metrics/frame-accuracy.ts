// Owns the `frame-accuracy` metric of joint intent detection and slot filling: a sentence counts as
// right only when its intent and every one of its slot tags are right — the "sentence-level semantic
// frame accuracy" of Goo et al. 2018 (doi:10.18653/v1/N18-2118) and Chen et al. 2019
// (arXiv:1902.10909). It sits on the slot task and reads the intent task named by its `intent`
// option, lining the two up by split row (MetricInput.rows).
//
// Rows where one task is unlabelled: a sentence enters the figure only when its intent is labelled
// and it has at least one labelled (real, unmasked) slot token; padding and masked tokens are not
// judged. A sentence whose intent or a token's gold label is `<other>` (unseen: other) is wrong.
import type { TaskType } from '../tasks';
import { opts, str } from '../util/options';
import { argmaxRow, isPositive, otherIndex, thresholdOption } from './common';
import { metric, type MetricDescriptor, type MetricInput } from './types';

const TYPES: readonly TaskType[] = ['classification', 'binary', 'multilabel'];

const options = opts({
  intent: str({ required: true, minLength: 1, description: 'The sentence-level task (intent) read together with this slot task; a sentence is right when both are' }),
  threshold: thresholdOption,
});

interface Judge {
  taskType: TaskType;
  /** Class index of `<other>` (counted wrong), or -1. */
  other: number;
  threshold: number;
}

/** Split row → whether every labelled entry of that row is right (rows with no labelled entry are absent). */
export function rowsRight(input: MetricInput, j: Judge): Map<number, boolean> {
  const { yTrue, yPred, n, predDim, rows } = input;
  if (!rows) throw new Error('frame-accuracy needs the split row of each kept row (MetricInput.rows)');
  const out = new Map<number, boolean>();
  const mark = (row: number, ok: boolean) => out.set(row, (out.get(row) ?? true) && ok);
  if (j.taskType !== 'classification') {
    for (let i = 0; i < n; i++) {
      let ok = true;
      for (let c = 0; c < predDim && ok; c++) ok = yPred[i * predDim + c] > j.threshold === isPositive(yTrue[i * predDim + c]);
      mark(rows[i], ok);
    }
    return out;
  }
  // One class index per entry: one per row (sentences, token rows) or `steps` per row (padding < 0).
  const steps = n ? yTrue.length / n : 1;
  const classes = predDim / steps;
  for (let k = 0; k < n * steps; k++) {
    const gold = yTrue[k];
    if (gold < 0) continue;
    mark(rows[Math.floor(k / steps)], gold !== j.other && argmaxRow(yPred, k, classes) === gold);
  }
  return out;
}

export const frameAccuracyMetric: MetricDescriptor = metric({
  type: 'frame-accuracy',
  description: 'Intent + slots: fraction of sentences whose intent (the task named by `intent`) and every labelled slot tag are right',
  taskTypes: TYPES,
  higherIsBetter: true,
  options,
  key: () => 'frame-accuracy',
  reads: (o) => [{ option: 'intent', task: o.intent, taskTypes: TYPES }],
  create(o, ctx) {
    const info = ctx.tasks?.[o.intent];
    if (!info) throw new Error(`frame-accuracy: no task "${o.intent}" to read the intent from`);
    const own: Judge = { taskType: ctx.taskType, other: otherIndex(ctx.classNames), threshold: o.threshold };
    const intent: Judge = { taskType: info.taskType, other: otherIndex(info.classNames), threshold: o.threshold };
    return (input) => {
      const other = input.others?.[o.intent];
      if (!other) throw new Error(`frame-accuracy: the evaluator passed no rows of task "${o.intent}"`);
      const slots = rowsRight(input, own);
      const intents = rowsRight(other, intent);
      let entered = 0;
      let right = 0;
      for (const [row, ok] of slots) {
        const i = intents.get(row);
        if (i === undefined) continue;
        entered++;
        if (ok && i) right++;
      }
      return entered ? right / entered : NaN;
    };
  },
});
