// Loss-based weighting strategies against their papers' formulas on given losses, and GradNorm's
// weight update on crafted gradients.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { disposeBatch } from '../../../src/data/batching';
import { taskRuntimes } from '../../../src/eval/evaluate';
import { buildModel, stepVariables } from '../../../src/model/build';
import { optimizers } from '../../../src/optim/optimizers';
import { disposeStepResult, trainStep } from '../../../src/train/step';
import { dwaWeights } from '../../../src/weighting/dwa';
import { gradNormUpdate } from '../../../src/weighting/gradnorm';
import { strategies } from '../../../src/weighting/index';
import { rlwWeights } from '../../../src/weighting/rlw';
import { mixSeed, mulberry32 } from '../../../src/util/random';
import type { GradientStrategy, LossStrategy } from '../../../src/weighting/strategy';
import { useBackend } from '../../helpers/backend';
import { tinyBatch, tinySpec } from '../../helpers/tiny';

const names = ['a', 'b'];
const make = (method: string, config: Record<string, unknown> = {}, taskWeights = [1, 1], seed = 7) =>
  strategies.get(method).create(config, { taskNames: names, taskWeights, seed });

/** combine() on fixed losses: the combined loss and the reported weights, as numbers. */
function combineOn(s: LossStrategy, losses: number[], extra: { step?: number; epochLosses?: number[][] } = {}) {
  return tf.tidy(() => {
    const u = s.combine({ taskNames: names, present: [0, 1], losses: losses.map((l) => tf.scalar(l)), step: extra.step ?? 0, epoch: 1, epochLosses: extra.epochLosses ?? [] });
    return { loss: u.loss.dataSync()[0], weights: Array.from(u.weights.dataSync()) };
  });
}

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
const closeAll = (a: number[], b: number[], tol = 1e-5) => {
  assert.equal(a.length, b.length);
  a.forEach((v, i) => close(v, b[i], tol));
};

describe('loss-based weighting strategies', () => {
  before(() => useBackend('cpu'));

  it('uw: L = Σ ½e^{−s}L + ½s, with s restored from state', () => {
    const s = make('uw') as LossStrategy;
    s.restore({ logVariances: [0, Math.log(2)] });
    const { loss, weights } = combineOn(s, [1, 3]);
    close(loss, 0.5 * 1 + 0.5 * 0.5 * 3 + 0.5 * Math.log(2));
    closeAll(weights, [0.5, 0.25]);
    assert.deepEqual((s.state() as { logVariances: number[] }).logVariances.map((v) => +v.toFixed(6)), [0, +Math.log(2).toFixed(6)]);
    s.dispose();
  });

  it('uw: the train step differentiates the log-variances and the optimizer moves them by −lr·∂L/∂s', () => {
    const spec = tinySpec().resolved;
    const built = buildModel(spec);
    const uw = strategies.get('uw').create({}, { taskNames: built.taskNames, taskWeights: [1, 1], seed: 0 }) as LossStrategy;
    const p = {
      built,
      lossFns: taskRuntimes(spec).map((t) => t.lossFn),
      strategy: uw,
      opt: optimizers.get('sgd').create({ learningRate: 0.1, momentum: 0, nesterov: false, weightDecay: 0 }, undefined),
      clipNorm: null,
      ...stepVariables(built),
    };
    const batch = tinyBatch(6, 3);
    const r = trainStep(p, batch, { step: 0, epoch: 1, learningRate: 0.1, epochLosses: [] });
    const L = Array.from(r.taskLosses.dataSync());
    // s starts at 0: ∂L/∂s_t = −½L_t + ½, so SGD gives s_t = −0.1·(½ − ½L_t).
    const after = (uw.state() as { logVariances: number[] }).logVariances;
    closeAll(after, L.map((l) => -0.1 * (0.5 - 0.5 * l)), 1e-4);
    assert.ok(after.every((v) => v !== 0));
    disposeStepResult(r);
    disposeBatch(batch);
    built.model.dispose();
    uw.dispose();
  });

  it('dwa: weights 1 for two epochs, then T·softmax(r/2) of the last two epochs\' loss ratios', () => {
    assert.deepEqual(dwaWeights([[1, 2]], 2, 2).weights, [1, 1]);
    const s = make('dwa') as LossStrategy;
    // r = [0.5/1, 3/2]; exp(0.25) = 1.2840254, exp(0.75) = 2.1170000 → w = 2·e/Σe.
    const hand = [(2 * 1.2840254) / 3.4010254, (2 * 2.117) / 3.4010254];
    const { loss, weights } = combineOn(s, [2, 4], { epochLosses: [[1, 2], [0.5, 3]] });
    closeAll(weights, hand, 1e-5);
    close(loss, hand[0] * 2 + hand[1] * 4, 1e-5);
    closeAll((s.state() as { ratios: number[] }).ratios, [0.5, 1.5]);
    closeAll(combineOn(s, [2, 4], { epochLosses: [[1, 2]] }).weights, [1, 1]);
  });

  it('dwa: a task without a loss in one of the last two epochs (no labelled batch: NaN, or null after a resume) counts as r = 1, said as a null ratio', () => {
    // r = [0.5, 1 (missing)] → w = 2·exp(r/2)/Σ: exp(0.25) = 1.2840254, exp(0.5) = 1.6487213.
    const hand = [(2 * 1.2840254) / (1.2840254 + 1.6487213), (2 * 1.6487213) / (1.2840254 + 1.6487213)];
    for (const missing of [NaN, null]) {
      const { weights, ratios } = dwaWeights([[1, 2], [0.5, missing]], 2, 2);
      closeAll(weights, hand, 1e-6);
      assert.deepEqual([ratios?.[0], ratios?.[1]], [0.5, null]);
      closeAll(dwaWeights([[1, missing], [0.5, 3]], 2, 2).weights, hand, 1e-6);
    }
  });

  it('gls: the geometric mean of the losses, effective weights L/(T·L_t)', () => {
    const { loss, weights } = combineOn(make('gls') as LossStrategy, [2, 8]);
    close(loss, 4);
    closeAll(weights, [1, 0.25]);
  });

  it('rlw: softmax of seeded normal draws, a function of (seed, step); loss = Σ λ L', () => {
    const s = make('rlw') as LossStrategy;
    const a = combineOn(s, [2, 5], { step: 3 });
    // Independently: the step's generator (seed 7, step 3), one Box–Muller pair z = r(cos θ, sin θ), softmax.
    const rand = mulberry32(mixSeed(7, 3, 0x726c77));
    const u1 = rand();
    const u2 = rand();
    const r = Math.sqrt(-2 * Math.log(u1));
    const z = [r * Math.cos(2 * Math.PI * u2), r * Math.sin(2 * Math.PI * u2)];
    const want = [1 / (1 + Math.exp(z[1] - z[0])), 1 / (1 + Math.exp(z[0] - z[1]))];
    closeAll(a.weights, want, 1e-6);
    close(a.loss, 2 * want[0] + 5 * want[1], 1e-5);
    assert.notDeepEqual(rlwWeights(7, 3, 2), rlwWeights(7, 4, 2));
    // Over many steps the draws average to equal weights.
    const mean = Array.from({ length: 2000 }, (_, k) => rlwWeights(1, k, 2)[0]).reduce((x, y) => x + y, 0) / 2000;
    assert.ok(Math.abs(mean - 0.5) < 0.03, `mean weight ${mean}`);
  });

  it('famo: loss Σ c·z·log L with c = 1/Σ(z/L); the logits move toward the task that improved less', () => {
    const s = make('famo') as LossStrategy;
    const first = combineOn(s, [1, 1]);
    closeAll(first.weights, [0.5, 0.5], 1e-6);
    close(first.loss, 0, 1e-6);
    // Task a halved, b did not: d = [log 2, 0], z = [½, ½], zᵀd = ½log 2, so with ξ = 0 (no decay term)
    // ξ ← ξ − β·z(d − zᵀd) = ∓0.025·½·½log 2, by hand.
    const step = 0.025 * 0.5 * (Math.log(2) / 2);
    const expected = [-step, step];
    const second = combineOn(s, [0.5, 1]);
    closeAll((s.state() as { logits: number[] }).logits, expected, 1e-9);
    const z = [Math.exp(-step) / (Math.exp(-step) + Math.exp(step)), Math.exp(step) / (Math.exp(-step) + Math.exp(step))];
    const c = 1 / (z[0] / 0.5 + z[1] / 1);
    close(second.loss, c * (z[0] * Math.log(0.5) + z[1] * Math.log(1)), 1e-4);
  });

  it('stch: μ·log Σ exp(λL/μ), weights λ·softmax(λL/μ)', () => {
    const { loss, weights } = combineOn(make('stch', { mu: 0.5 }, [1, 2]) as LossStrategy, [1, 0.75]);
    const e = [Math.exp(1 / 0.5), Math.exp(1.5 / 0.5)];
    close(loss, 0.5 * Math.log(e[0] + e[1]));
    closeAll(weights, [e[0] / (e[0] + e[1]), (2 * e[1]) / (e[0] + e[1])]);
  });
});

describe('gradnorm', () => {
  before(() => useBackend('cpu'));

  it('the weights keep Σw = T and move toward balanced weighted gradient norms', () => {
    // Equal training rates, task a's gradient 4× larger: w_a must fall and w_b rise until w·‖g‖ match.
    let w = [1, 1];
    const norms = [4, 1];
    const gap = () => Math.abs(w[0] * norms[0] - w[1] * norms[1]);
    const gap0 = gap();
    for (let k = 0; k < 30; k++) {
      w = gradNormUpdate(w, norms, [1, 1], [1, 1], 1.5, 0.02);
      close(w[0] + w[1], 2, 1e-9);
    }
    assert.ok(w[0] < 1 && w[1] > 1, `${w}`);
    assert.ok(gap() < gap0 / 4, `gap ${gap0} → ${gap()}`);
  });

  it('a slower task (higher L/L0) gets a larger target norm and gains weight', () => {
    const w = gradNormUpdate([1, 1], [1, 1], [0.5, 1], [1, 1], 1.5, 0.1);
    assert.ok(w[1] > w[0], `${w}`);
    close(w[0] + w[1], 2, 1e-9);
  });

  it('combine: direction Σ w g with the pre-update weights, heads scaled by w, state round-trips', () => {
    const s = make('gradnorm', { alpha: 1.5, weightLr: 0.05 }) as GradientStrategy;
    const out = tf.tidy(() => {
      const grads = tf.tensor2d([[3, 4], [0, 1]]);
      const u = s.combine({ taskNames: names, present: [0, 1], losses: [tf.scalar(1), tf.scalar(2)], step: 0, epoch: 1, epochLosses: [], grads });
      return { d: Array.from(u.direction.dataSync()), w: Array.from(u.weights.dataSync()), hw: Array.from(u.headWeights!.dataSync()) };
    });
    assert.deepEqual(out.w, [1, 1]);
    assert.deepEqual(out.hw, [1, 1]);
    assert.deepEqual(out.d, [3, 5]);
    const st = s.state() as { weights: number[]; initialLosses: number[] };
    assert.deepEqual(st.initialLosses, [1, 2]);
    close(st.weights[0] + st.weights[1], 2, 1e-9);
    assert.ok(st.weights[0] < 1, 'the task with the larger weighted norm (5 vs 1) loses weight');
    const t = make('gradnorm') as GradientStrategy;
    t.restore(st as never);
    assert.deepEqual(t.state(), st);
  });
});
