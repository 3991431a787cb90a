// frame-accuracy (issue 17 item 6) on hand-worked sentences, through the evaluator's Accumulator so
// that padding, masks and the row bookkeeping across batches are part of what is checked: a sentence
// is right only when its intent and every labelled slot tag are; a sentence whose intent is
// unlabelled, or with no labelled slot token, is left out; a gold `<other>` is wrong.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { Accumulator, type TaskRuntime } from '../../../src/eval/evaluate';
import { metrics } from '../../../src/metrics/index';
import type { MetricContext, MetricInput } from '../../../src/metrics/types';
import type { TaskType } from '../../../src/tasks';
import { useBackend } from '../../helpers/backend';

before(() => useBackend('cpu'));

const INTENTS = ['book', 'play', '<other>'];
const TAGS = ['O', 'B-city', 'I-city', '<other>'];
const P = -1; // padding

const tasksCtx: MetricContext['tasks'] = { intent: { taskType: 'classification', classNames: INTENTS }, slots: { taskType: 'classification', classNames: TAGS } };
const frame = (ctx: Partial<MetricContext> = {}) =>
  metrics.get('frame-accuracy').create({ intent: 'intent' }, { taskType: 'classification', classNames: TAGS, tasks: tasksCtx, ...ctx });

function task(name: string, type: TaskType, ms: TaskRuntime['metrics']): TaskRuntime {
  return { name, type, lossFn: () => tf.zeros([1]) as tf.Tensor1D, fromLogits: false, weight: 1, metrics: ms };
}

const oneHot = (idx: number[], k: number) => idx.map((i) => Array.from({ length: k }, (_, j) => (j === Math.max(i, 0) ? 1 : 0)));

interface Sentence {
  /** gold intent (null: unlabelled), predicted intent */
  intent: [number | null, number];
  /** gold tags (P = padding) and predicted tags, one per step */
  gold: number[];
  pred: number[];
  /** tokens masked out although real (e.g. unseen: missing) */
  masked?: number[];
}

/** Adds one batch of sentences the way evaluateBatch does (intent row mask, per-token slot mask). */
function addBatch(acc: Accumulator, ss: Sentence[]): void {
  tf.tidy(() => {
    const steps = ss[0].gold.length;
    acc.add(0, 0, tf.tensor2d(ss.map((s) => oneHot([s.intent[1]], INTENTS.length)[0])), tf.tensor1d(ss.map((s) => s.intent[0] ?? 0), 'int32'), tf.tensor1d(ss.map((s) => (s.intent[0] === null ? 0 : 1))));
    const yTrue = tf.tensor2d(ss.map((s) => s.gold), [ss.length, steps], 'int32');
    const mask = tf.tensor2d(ss.map((s) => s.gold.map((g, i) => (g === P || s.masked?.includes(i) ? 0 : 1))));
    acc.add(1, 0, tf.tensor3d(ss.map((s) => oneHot(s.pred, TAGS.length))), yTrue, mask);
  });
  acc.samples += ss.length;
}

describe('frame-accuracy', () => {
  it('counts a sentence right only when its intent and all its labelled slot tags are (hand-worked, two batches)', () => {
    const fa = { key: 'frame-accuracy', fn: frame(), higherIsBetter: true, reads: ['intent'] };
    const acc = new Accumulator([task('intent', 'classification', []), task('slots', 'classification', [fa])]);
    addBatch(acc, [
      { intent: [0, 0], gold: [1, 2, 0, P], pred: [1, 2, 0, 1] }, // right (the padded step's B-city is not judged)
      { intent: [1, 0], gold: [0, 1, 0, P], pred: [0, 1, 0, 0] }, // intent wrong only → wrong
      { intent: [0, 0], gold: [0, 0, 1, 2], pred: [0, 1, 1, 2] }, // one slot wrong only → wrong
      { intent: [null, 1], gold: [1, 0, P, P], pred: [1, 0, 0, 0] }, // intent unlabelled → left out
    ]);
    addBatch(acc, [
      { intent: [1, 1], gold: [0, 1, P, P], pred: [2, 2, 0, 0], masked: [0, 1] }, // no labelled slot token → left out
      { intent: [2, 2], gold: [0, 0, P, P], pred: [0, 0, 0, 0] }, // gold intent <other> → wrong
      { intent: [1, 1], gold: [0, 3, P, P], pred: [0, 3, 0, 0] }, // gold tag <other> → wrong
      { intent: [1, 1], gold: [0, 2, 1, P], pred: [0, 2, 1, 2], masked: [] }, // right
    ]);
    // Entered: 6 (two left out); right: the first and the last → 2/6.
    assert.equal(acc.result().tasks.slots['frame-accuracy'], 2 / 6);
  });

  it('lines rows up by split row: a batch-relative bookkeeping would pair the second batch with the first', () => {
    const fa = { key: 'frame-accuracy', fn: frame(), higherIsBetter: true, reads: ['intent'] };
    const acc = new Accumulator([task('intent', 'classification', []), task('slots', 'classification', [fa])]);
    // Batch 1: intents right, slots wrong. Batch 2: intents wrong, slots right. No sentence is right.
    addBatch(acc, [{ intent: [0, 0], gold: [1, 0], pred: [0, 0] }]);
    addBatch(acc, [{ intent: [0, 1], gold: [1, 0], pred: [1, 0] }]);
    assert.equal(acc.result().tasks.slots['frame-accuracy'], 0);
  });

  it('is NaN when no sentence has both labels (task-specific sources)', () => {
    const fa = { key: 'frame-accuracy', fn: frame(), higherIsBetter: true, reads: ['intent'] };
    const acc = new Accumulator([task('intent', 'classification', []), task('slots', 'classification', [fa])]);
    addBatch(acc, [
      { intent: [null, 0], gold: [1, 0], pred: [1, 0] },
      { intent: [0, 0], gold: [P, P], pred: [1, 0] },
    ]);
    assert.ok(Number.isNaN(acc.result().tasks.slots['frame-accuracy']));
  });

  it('reads a multilabel intent (every label right at the threshold) and rows of steps tokens', () => {
    // Slots as rows of 3 steps (padding < 0); intent: 2 labels per row.
    const slots: MetricInput = {
      yTrue: Int32Array.from([1, 2, -1, 0, 1, 0, 0, 0, 0]),
      yPred: Float32Array.from(oneHot([1, 2, 0, 0, 1, 0, 0, 1, 0], TAGS.length).flat()),
      n: 3,
      predDim: 3 * TAGS.length,
      rows: Int32Array.from([0, 1, 2]),
    };
    const intent: MetricInput = { yTrue: Float32Array.from([1, 0, 1, 1, 0, 0]), yPred: Float32Array.from([0.9, 0.2, 0.8, 0.6, 0.1, 0.3]), n: 3, predDim: 2, rows: Int32Array.from([0, 1, 2]) };
    const f = frame({ tasks: { intent: { taskType: 'multilabel' } } });
    // row 0: slots right, labels right → right; row 1: slots right, labels right; row 2: a slot wrong.
    assert.equal(f({ ...slots, others: { intent } }), 2 / 3);
    const g = metrics.get('frame-accuracy').create({ intent: 'intent', threshold: 0.7 }, { taskType: 'classification', tasks: { intent: { taskType: 'multilabel' } } });
    // At 0.7 row 1's second label (0.6) is predicted negative → wrong.
    assert.equal(g({ ...slots, others: { intent } }), 1 / 3);
  });

  it('declares the task it reads through the registry contract', () => {
    assert.deepEqual(metrics.get('frame-accuracy').reads({ type: 'frame-accuracy', intent: 'intent' }), [
      { option: 'intent', task: 'intent', taskTypes: ['classification', 'binary', 'multilabel'] },
    ]);
    assert.deepEqual(metrics.get('accuracy').reads({ type: 'accuracy' }), []);
  });
});
