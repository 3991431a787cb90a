// Uncertainty weighting in the train step, against hand-worked updates: the log-variances follow
// ∂L/∂s_t = ½ − ½e^{−s_t}L_t (L = Σ ½e^{−s_t}L_t + ½s_t, Kendall et al. 2018 eq. 7 in log form) through
// SGD and through Adam's equations (Kingma & Ba 2015, Algorithm 1); and a task absent from a batch keeps
// its log-variance and its Adam slots bit-identical, however many steps it is absent, while the present
// task's move (issue #9 item 1: an absent task's own state is untouched).
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { disposeBatch, type Batch } from '../../../src/data/batching';
import { disposeStepResult, trainStep, type StepParts } from '../../../src/train/step';
import { strategies } from '../../../src/weighting/index';
import type { LossStrategy } from '../../../src/weighting/strategy';
import { useBackend } from '../../helpers/backend';
import { stepParts } from '../../helpers/step';
import { tinyBatch, tinySpec } from '../../helpers/tiny';

const NAMES = ['left', 'right'];
// helpers/step.ts's Adam: lr 0.01, β1 0.9, β2 0.999, ε 1e-7; its SGD: lr 0.1 (the step's learningRate below wins).
const LR = 0.01;
const B1 = 0.9;
const B2 = 0.999;
const EPS = 1e-7;

function batch(seed: number, absent: string | null): Batch {
  const b = tinyBatch(6, seed);
  for (const t of NAMES) b.masks[t] = t === absent ? tf.zeros([6]) : tf.ones([6]);
  return b;
}

const logVar = (s: LossStrategy) => (s.state() as { logVariances: number[] }).logVariances;

/** One train step; the task losses the step saw (an absent task's is 0). */
function step(p: StepParts, n: number, absent: string | null, learningRate = LR): number[] {
  const b = batch(n + 1, absent);
  const r = trainStep(p, b, { step: n, epoch: 1, learningRate, epochLosses: [] });
  const L = Array.from(r.taskLosses.dataSync());
  disposeStepResult(r);
  disposeBatch(b);
  return L;
}

/** The optimizer's slots ('<variable>/m', '<variable>/v') of variable `name`, as numbers. */
async function slotsOf(p: StepParts, name: string): Promise<number[][]> {
  const ws = await p.opt.optimizer.getWeights();
  return ws.filter((w) => w.name.slice(0, w.name.lastIndexOf('/')) === name).map((w) => Array.from(w.tensor.dataSync()));
}

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tolerance ${tol})`);

/** The variable holding task t's log-variance (one [T] variable in the layout before issue #9). */
function varName(uw: LossStrategy, t: number): string {
  const vs = uw.variables();
  return (vs.length === NAMES.length ? vs[t] : vs[0]).name;
}

function setUp(opt: 'sgd' | 'adam', s0: number[]) {
  const spec = tinySpec().resolved;
  const uw = strategies.get('uw').create({}, { taskNames: NAMES, taskWeights: [1, 1], seed: 1 }) as LossStrategy;
  uw.restore({ logVariances: s0 });
  const p = stepParts(spec, uw, {}, opt);
  const done = () => {
    p.built.model.dispose();
    uw.dispose();
  };
  return { uw, p, done, s: logVar(uw) };
}

describe('uw in the train step', () => {
  before(() => useBackend('cpu'));

  it('SGD: s_t ← s_t − η(½ − ½e^{−s_t}L_t) from s = (0.3, −0.2); an absent task\'s s stays', () => {
    const { uw, p, done, s } = setUp('sgd', [0.3, -0.2]);
    const L = step(p, 0, null, 0.1);
    const g = s.map((x, t) => 0.5 - 0.5 * Math.exp(-x) * L[t]);
    const after = logVar(uw);
    after.forEach((x, t) => close(x, s[t] - 0.1 * g[t], 1e-6, `s_${t}`));
    assert.ok(g.every((x) => Math.abs(0.1 * x) > 1e-3), 'the update is large enough to be seen');
    // The reported weights are ½e^{−s_t} of the s the step used.
    assert.deepEqual(Object.keys(uw.weights()), NAMES);
    Object.values(uw.weights()).forEach((w, t) => close(w, 0.5 * Math.exp(-s[t]), 1e-6, `weight ${t}`));
    // Task right absent: only left's s moves, by its own gradient.
    const L2 = step(p, 1, 'right', 0.1);
    const again = logVar(uw);
    close(again[0], after[0] - 0.1 * (0.5 - 0.5 * Math.exp(-after[0]) * L2[0]), 1e-6, 's_left, step 2');
    assert.equal(again[1], after[1]);
    done();
  });

  it('Adam: two steps follow Adam\'s equations on ∂L/∂s; the second, without task right, leaves s_right and its slots bit-identical', async () => {
    const { uw, p, done, s } = setUp('adam', [0.3, -0.2]);
    const L1 = step(p, 0, null);
    const g1 = s.map((x, t) => 0.5 - 0.5 * Math.exp(-x) * L1[t]);
    // Step 1: m = (1−β1)g, v = (1−β2)g², m̂ = g, v̂ = g²: s ← s − lr·g/(|g| + ε).
    const s1 = s.map((x, t) => x - (LR * g1[t]) / (Math.abs(g1[t]) + EPS));
    logVar(uw).forEach((x, t) => close(x, s1[t], 1e-6, `s_${t} after step 1`));
    const rightVar = varName(uw, 1);
    const rightSlots = await slotsOf(p, rightVar);
    assert.equal(rightSlots.length, 2, 'Adam holds m and v for s_right');
    // Step 2, task right absent: left takes Adam's second step; right does not move at all.
    const before = logVar(uw);
    const L2 = step(p, 1, 'right');
    const g2 = 0.5 - 0.5 * Math.exp(-s1[0]) * L2[0];
    const m = B1 * (1 - B1) * g1[0] + (1 - B1) * g2;
    const v = B2 * (1 - B2) * g1[0] ** 2 + (1 - B2) * g2 ** 2;
    const mh = m / (1 - B1 ** 2);
    const vh = v / (1 - B2 ** 2);
    close(logVar(uw)[0], s1[0] - (LR * mh) / (Math.sqrt(vh) + EPS), 1e-6, 's_left after step 2');
    assert.notEqual(logVar(uw)[0], before[0]);
    assert.equal(logVar(uw)[1], before[1], 's_right moved while task right was absent');
    assert.deepEqual(await slotsOf(p, rightVar), rightSlots, 'the Adam slots of s_right moved while task right was absent');
    done();
  });

  it('Adam: task right present, then absent for three steps: s_right and its slots never move, s_left moves every step', async () => {
    const { uw, p, done } = setUp('adam', [0, 0]);
    for (let n = 0; n < 2; n++) step(p, n, null);
    const rightVar = varName(uw, 1);
    const leftVar = varName(uw, 0);
    const right = logVar(uw)[1];
    const slots = await slotsOf(p, rightVar);
    let left = logVar(uw)[0];
    let leftSlots = await slotsOf(p, leftVar);
    for (let n = 2; n < 5; n++) {
      step(p, n, 'right');
      assert.equal(logVar(uw)[1], right, `step ${n}: s_right moved`);
      assert.deepEqual(await slotsOf(p, rightVar), slots, `step ${n}: the slots of s_right moved`);
      assert.notEqual(logVar(uw)[0], left, `step ${n}: s_left did not move`);
      assert.notDeepEqual(await slotsOf(p, leftVar), leftSlots, `step ${n}: the slots of s_left did not move`);
      left = logVar(uw)[0];
      leftSlots = await slotsOf(p, leftVar);
    }
    done();
  });
});
