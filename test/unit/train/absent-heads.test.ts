// An absent task (no labelled row in the batch) gets no gradient at all, not a zero one: under Adam a
// zero gradient still moves a variable by its momentum, so the absent task's head must be bit-identical
// after a step where it is absent — in every gradient path (losses, parameters, representation, reuse,
// heads-only) — while the present task's head moves.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { disposeBatch, type Batch } from '../../../src/data/batching';
import { disposeStepResult, trainStep, type StepParts } from '../../../src/train/step';
import { strategies } from '../../../src/weighting/index';
import { useBackend } from '../../helpers/backend';
import { stepParts } from '../../helpers/step';
import { tinyBatch, tinySpec } from '../../helpers/tiny';

const NAMES = ['left', 'right'];

function batch(seed: number, absent: string | null): Batch {
  const b = tinyBatch(6, seed);
  for (const t of NAMES) b.masks[t] = t === absent ? tf.zeros([6]) : tf.ones([6]);
  return b;
}

const values = (vars: tf.Variable[]) => tf.tidy(() => vars.map((v) => Array.from(v.dataSync())));

function step(p: StepParts, n: number, absent: string | null): void {
  const b = batch(n + 1, absent);
  disposeStepResult(trainStep(p, b, { step: n, epoch: 1, learningRate: 0.01, epochLosses: [] }));
  disposeBatch(b);
}

// (method, options, path the absent step takes)
const CASES: Array<[string, Record<string, unknown>, string, string]> = [
  ['equal', {}, '', 'losses'],
  ['uw', {}, '', 'losses'],
  ['mgda', {}, '', 'parameters'],
  ['mgda', {}, 'representation', 'representation'],
  ['equal', {}, 'every2', 'reuse (updateEvery 2, cheap step)'],
  ['mgda', {}, 'every2', 'reuse (updateEvery 2, cheap step)'],
  ['mgda', {}, 'mmoe every2', 'reuse without a split (mmoe, updateEvery 2)'],
  ['equal', {}, 'mmoe', 'losses (mmoe)'],
];

describe('an absent task\'s head gets no gradient (Adam)', () => {
  before(() => useBackend('cpu'));

  for (const [method, options, mode, path] of CASES) {
    it(`${method}, ${path}: the absent head is bit-identical, the present head moved`, () => {
      const spec = tinySpec(mode.startsWith('mmoe') ? 'architecture: {type: mmoe, experts: 2}\n' : '').resolved;
      const s = strategies.get(method).create(options, { taskNames: NAMES, taskWeights: [1, 1], seed: 1 });
      const every2 = mode.endsWith('every2');
      const p = stepParts(spec, s, { ...(mode === 'representation' ? { gradSpace: 'representation' as const } : {}), ...(every2 ? { updateEvery: 2 } : {}) }, 'adam');
      // Steps with both tasks labelled first: Adam's moments of both heads are non-zero. With
      // updateEvery 2, steps 0 and 2 recompute and step 3, the absent one, is a cheap (reuse) step.
      const n = every2 ? 3 : 2;
      for (let k = 0; k < n; k++) step(p, k, null);
      const right = values(p.heads[1]);
      const left = values(p.heads[0]);
      step(p, n, 'right');
      assert.deepEqual(values(p.heads[1]), right, `${method} ${path}: the absent task's head moved`);
      assert.notDeepEqual(values(p.heads[0]), left, `${method} ${path}: the present task's head did not move`);
      p.built.model.dispose();
      s.dispose();
    });
  }
});
