// The partial-label rule (weighting/strategy.ts): a task with no labelled row in a batch leaves the
// step. For every registered method, both gradient spaces and updateEvery: a task-specific sequence of
// batches moves the shared weights about as far as plain summed gradients do, with finite, bounded
// weights, weight 0 for the absent task and the absent task's strategy state untouched.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { disposeBatch, type Batch } from '../../../src/data/batching';
import { disposeStepResult, trainStep, type StepParts } from '../../../src/train/step';
import { strategies } from '../../../src/weighting/index';
import type { Json } from '../../../src/weighting/strategy';
import { useBackend } from '../../helpers/backend';
import { stepParts } from '../../helpers/step';
import { tinyBatch, tinySpec } from '../../helpers/tiny';

const NAMES = ['left', 'right'];

/** tinyBatch with `absent`'s rows all unlabelled (mask 0), as a task-specific source produces. */
function oneTaskBatch(step: number, absent: string | null): Batch {
  const b = tinyBatch(6, step + 1);
  for (const t of NAMES) b.masks[t] = tf.ones([6]);
  if (absent) {
    b.masks[absent]!.dispose();
    b.masks[absent] = tf.zeros([6]);
  }
  return b;
}

const flatShared = (p: StepParts) => tf.tidy(() => Array.from(tf.concat(p.shared.map((v) => v.reshape([-1]))).dataSync()));
const distance = (a: number[], b: number[]) => Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]) ** 2, 0));

/** Four steps alternating the labelled task (right absent, then left, …): how far the shared weights moved, and the weights seen. */
function taskSpecificRun(method: string, gradSpace: 'parameters' | 'representation', updateEvery: number) {
  const spec = tinySpec().resolved;
  const s = strategies.get(method).create({}, { taskNames: NAMES, taskWeights: [1, 1], seed: 1 });
  const p = stepParts(spec, s, { gradSpace, updateEvery }, 'sgd');
  const start = flatShared(p);
  const seen: Array<{ weights: number[]; present: number[]; absent: number }> = [];
  for (let step = 0; step < 4; step++) {
    const absent = step % 2 === 0 ? 1 : 0;
    const b = oneTaskBatch(step, NAMES[absent]);
    const r = trainStep(p, b, { step, epoch: 1, learningRate: 0.1, epochLosses: [] });
    seen.push({ weights: Array.from(r.weights.dataSync()), present: r.present, absent });
    disposeStepResult(r);
    disposeBatch(b);
  }
  const moved = distance(flatShared(p), start);
  p.built.model.dispose();
  s.dispose();
  return { moved, seen };
}

describe('partial labels: every registered method on task-specific batches', () => {
  before(() => useBackend('cpu'));

  // The reference: summed gradients (static weights 1) move the shared weights by this much.
  let reference = 0;
  before(() => {
    reference = taskSpecificRun('static', 'parameters', 1).moved;
    assert.ok(reference > 0.05, `reference movement ${reference}`);
  });

  for (const method of strategies.types()) {
    for (const [gradSpace, every] of [['parameters', 1], ['representation', 1], ['parameters', 2]] as const) {
      it(`${method} (${gradSpace}, updateEvery ${every}): moves the shared weights, bounded weights, absent task weight 0`, () => {
        const { moved, seen } = taskSpecificRun(method, gradSpace, every);
        // Before the rule, mgda moved 0, imtl 2e-11, famo 2e-10, gls 5e-8 (the absent task's zero loss
        // or zero gradient row dominated); MoCo normalises gradients (direction ∝ loss × β_k), hence 1/50.
        assert.ok(moved > reference / 50, `${method}: shared weights moved ${moved} (summed gradients: ${reference})`);
        for (const { weights, present, absent } of seen) {
          assert.deepEqual(present, [1 - absent]);
          assert.equal(weights[absent], 0, `${method}: absent task weight ${weights[absent]}`);
          // Before: gls 7.8e5, cagrad 2.6e7, db-mtl 5.4e6.
          assert.ok(weights.every((w) => Number.isFinite(w) && Math.abs(w) <= 10), `${method}: weights ${weights}`);
        }
      });
    }
  }
});

/** Per-task entries of each stateful method's state, by task index. */
const STATE_OF: Record<string, { options?: Record<string, unknown>; entry: (s: Json, t: number) => unknown }> = {
  uw: { entry: (s, t) => (s as { logVariances: number[] }).logVariances[t] },
  gradnorm: { entry: (s, t) => [(s as { weights: number[] }).weights[t], (s as { initialLosses: unknown[] }).initialLosses[t]] },
  famo: { entry: (s, t) => [(s as { logits: number[] }).logits[t], (s as { prevLosses: unknown[] }).prevLosses[t]] },
  imtl: { options: { mode: 'loss' }, entry: (s, t) => (s as { s: number[] }).s[t] },
  modo: { entry: (s, t) => (s as { lambda: number[] }).lambda[t] },
  sdmgrad: { entry: (s, t) => (s as { w: number[] }).w[t] },
  moco: { entry: (s, t) => [(s as { lambda: number[] }).lambda[t], ((s as { Y: number[][] | null }).Y ?? [])[t]] },
  excessmtl: { entry: (s, t) => [(s as { w: number[] }).w[t], (s as { S: number[][] }).S[t]] },
  'db-mtl': { entry: (s, t) => ((s as { buffer: number[][] }).buffer ?? [])[t] },
  gradvac: { entry: (s, t) => (s as { targets: number[][] }).targets[t] },
  'nash-mtl': { entry: (s, t) => (s as { alpha: number[] }).alpha[t] },
};

describe('partial labels: an absent task\'s strategy state is untouched', () => {
  before(() => useBackend('cpu'));

  for (const [method, { options, entry }] of Object.entries(STATE_OF)) {
    it(`${method}: a step without task "right" leaves its state entries as they were`, () => {
      const spec = tinySpec().resolved;
      const s = strategies.get(method).create(options ?? {}, { taskNames: NAMES, taskWeights: [1, 1], seed: 1 });
      // Adam: a variable the strategy owns (uw's log-variances) would still move by its momentum if it
      // got a zero gradient instead of none.
      const p = stepParts(spec, s, {}, 'adam');
      const run = (step: number, absent: string | null) => {
        const b = oneTaskBatch(step, absent);
        disposeStepResult(trainStep(p, b, { step, epoch: 1, learningRate: 0.01, epochLosses: [] }));
        disposeBatch(b);
      };
      run(0, null);
      run(1, null);
      const before = JSON.stringify(entry(s.state(), 1));
      const leftBefore = JSON.stringify(entry(s.state(), 0));
      run(2, 'right');
      assert.equal(JSON.stringify(entry(s.state(), 1)), before, `${method}: state of the absent task changed`);
      // …while the present task's entry does move (the state is live, not frozen) — except where a lone
      // present task keeps its share by construction (Σ w = T kept, simplex mass kept) or has no pair.
      if (!['gradvac', 'gradnorm', 'modo', 'sdmgrad'].includes(method)) assert.notEqual(JSON.stringify(entry(s.state(), 0)), leftBefore, `${method}: present task's state did not move`);
      p.built.model.dispose();
      s.dispose();
    });
  }
});

describe('partial labels: a batch without any labelled task', () => {
  before(() => useBackend('cpu'));

  it('is skipped: no update, present = [], zero weights', () => {
    const spec = tinySpec().resolved;
    const s = strategies.get('mgda').create({}, { taskNames: NAMES, taskWeights: [1, 1], seed: 1 });
    const p = stepParts(spec, s, {}, 'sgd');
    const b = oneTaskBatch(0, 'right');
    b.masks.left!.dispose();
    b.masks.left = tf.zeros([6]);
    const before = tf.tidy(() => p.built.model.getWeights().map((w) => Array.from(w.dataSync())));
    const r = trainStep(p, b, { step: 0, epoch: 1, learningRate: 0.1, epochLosses: [] });
    assert.deepEqual(r.present, []);
    assert.deepEqual(Array.from(r.weights.dataSync()), [0, 0]);
    assert.deepEqual(tf.tidy(() => p.built.model.getWeights().map((w) => Array.from(w.dataSync()))), before);
    disposeStepResult(r);
    disposeBatch(b);
    p.built.model.dispose();
  });
});

describe('task-specific sources: MGDA and IMTL train', () => {
  before(() => useBackend('cpu'));

  /** The batch `sampling: all` forms: 6 rows labelled for left only, then 6 for right only. */
  function allBatch(seed: number): Batch {
    const a = tinyBatch(6, seed);
    const b = tinyBatch(6, seed + 50);
    const cat = (x: tf.Tensor, y: tf.Tensor) => tf.concat([x, y], 0);
    const batch: Batch = {
      size: 12,
      inputs: { image: cat(a.inputs.image, b.inputs.image) },
      targets: { left: cat(a.targets.left, b.targets.left), right: cat(a.targets.right, b.targets.right) },
      masks: { left: tf.tensor1d([...new Array(6).fill(1), ...new Array(6).fill(0)]), right: tf.tensor1d([...new Array(6).fill(0), ...new Array(6).fill(1)]) },
    };
    disposeBatch(a);
    disposeBatch(b);
    return batch;
  }

  for (const method of ['mgda', 'imtl']) {
    for (const sampling of ['all', 'round-robin'] as const) {
      it(`${method}, sampling ${sampling}: the summed task loss falls over 12 steps`, () => {
        const spec = tinySpec().resolved;
        const s = strategies.get(method).create({}, { taskNames: NAMES, taskWeights: [1, 1], seed: 1 });
        const p = stepParts(spec, s, {}, 'adam');
        const batches = sampling === 'all' ? [allBatch(1), allBatch(2)] : [oneTaskBatch(0, 'right'), oneTaskBatch(1, 'left')];
        const losses: number[] = [];
        for (let step = 0; step < 12; step++) {
          const r = trainStep(p, batches[step % 2], { step, epoch: 1, learningRate: 0.02, epochLosses: [] });
          losses.push(Array.from(r.taskLosses.dataSync()).reduce((x, y) => x + y, 0));
          disposeStepResult(r);
        }
        // Mean over each pair of steps (one of each batch): the last pair well below the first.
        const first = losses[0] + losses[1];
        const last = losses[10] + losses[11];
        assert.ok(last < 0.85 * first, `${method} ${sampling}: losses ${losses.map((l) => l.toFixed(3))}`);
        batches.forEach(disposeBatch);
        p.built.model.dispose();
        s.dispose();
      });
    }
  }
});
