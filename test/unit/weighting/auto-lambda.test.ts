// Auto-Lambda (src/weighting/auto-lambda.ts): one update of λ by hand on quadratic losses, where the
// central difference of eq. 4 is exact, so the expected hypergradient is −α ∇L_k(θ)·∇L_val(θ'); the
// SGD and Adam steps on λ, absent tasks, the λ ≥ 0 bound, and an unknown primary task. The train-step
// test is auto-lambda-step.test.ts.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { hypergradient } from '../../../src/weighting/auto-lambda';
import { strategies } from '../../../src/weighting/index';
import type { LookaheadOracle, LossStrategy } from '../../../src/weighting/strategy';
import { useBackend } from '../../helpers/backend';

const close = (a: readonly number[], b: readonly number[], tol: number, what: string) =>
  assert.ok(a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) <= tol), `${what}: got ${a}, want ${b}`);

/**
 * θ ∈ R², θ = (0, 0); training losses L_1 = ½‖θ − a‖², L_2 = ½‖θ − b‖² with a = (1, 0), b = (0, 1);
 * validation losses ½‖θ − c‖², ½‖θ − d‖² with c = (2, 0), d = (0, 0); learning rate α = ½.
 */
function quadraticOracle(): LookaheadOracle & { calls: string[] } {
  const theta = [0, 0];
  const a = [1, 0];
  const b = [0, 1];
  const c = [2, 0];
  const d = [0, 0];
  const at = (shift?: readonly tf.Tensor[]) => (shift ? Array.from(tf.add(tf.tensor1d(theta), shift[0]).dataSync()) : theta);
  const half = (x: number[], y: number[]) => 0.5 * x.reduce((s, v, i) => s + (v - y[i]) ** 2, 0);
  const calls: string[] = [];
  return {
    calls,
    learningRate: 0.5,
    trainLosses: (shift) => {
      calls.push('trainLosses');
      const t = at(shift);
      return [half(t, a), half(t, b)];
    },
    trainGradient: (w, shift) => {
      calls.push('trainGradient');
      const t = at(shift);
      return [tf.tensor1d(t.map((x, i) => w[0] * (x - a[i]) + w[1] * (x - b[i])))];
    },
    validationGradient: (p, shift) => {
      calls.push('validationGradient');
      const t = at(shift);
      return { grads: [tf.tensor1d(t.map((x, i) => p[0] * (x - c[i]) + p[1] * (x - d[i])))], losses: [half(t, c), half(t, d)] };
    },
  };
}

const create = (options: Record<string, unknown>) => strategies.get('auto-lambda').create(options, { taskNames: ['one', 'two'], taskWeights: [1, 1], seed: 0 }) as LossStrategy;

describe('Auto-Lambda: one update of λ by hand', () => {
  before(() => useBackend('cpu'));

  // g = λ_1(θ − a) + λ_2(θ − b) = (−1, −1); θ' = θ − αg = (½, ½); v = ∇L_val(θ') = θ' − c = (−3/2, ½)
  // (primary: task one only). ∂/∂λ_1 = −α(θ − a)·v = −½·(3/2) = −3/4; ∂/∂λ_2 = −α(θ − b)·v = −½·(−½) = ¼.
  it('the hypergradient: −α ∇L_k(θ)·∇L_val(θ\') = (−3/4, 1/4)', () => {
    const r = tf.tidy(() => hypergradient(quadraticOracle(), [1, 1], [1, 0], [0, 1]));
    close(r.grad, [-0.75, 0.25], 1e-4, 'hypergradient');
    close([r.vNorm], [Math.sqrt(2.5)], 1e-6, '‖v‖');
  });

  it('SGD, lr 0.1: λ = (1, 1) − 0.1·(−3/4, 1/4) = (1.075, 0.975) — the task that helps validation gains weight', () => {
    const s = create({ primary: ['one'], optimizer: 'sgd', lr: 0.1 });
    tf.tidy(() => s.lookahead!.update(quadraticOracle(), { present: [0, 1], step: 0 }));
    close(Object.values(s.weights()), [1.075, 0.975], 1e-5, 'λ');
  });

  it('Adam, lr 0.1: the first step moves each λ by lr·sign(gradient): (1.1, 0.9)', () => {
    const s = create({ primary: ['one'], lr: 0.1 });
    tf.tidy(() => s.lookahead!.update(quadraticOracle(), { present: [0, 1], step: 0 }));
    close(Object.values(s.weights()), [1.1, 0.9], 1e-6, 'λ');
  });

  it('an absent task keeps its λ; λ never goes below 0', () => {
    const s = create({ primary: ['one'], optimizer: 'sgd', lr: 10 });
    tf.tidy(() => s.lookahead!.update(quadraticOracle(), { present: [1], step: 0 }));
    // Only task two is present: its λ moves (by −10·¼ → clamped at 0), task one's stays 1.
    close(Object.values(s.weights()), [1, 0], 1e-9, 'λ');
  });

  it('Adam: a task absent from an update keeps its λ and its Adam moments and count', () => {
    const s = create({ primary: ['one'], optimizer: 'adam', lr: 0.1 });
    tf.tidy(() => s.lookahead!.update(quadraticOracle(), { present: [0, 1], step: 0 }));
    const entry = (t: number) => ['lambda', 'm', 'v', 't'].map((k) => (s.state() as Record<string, number[]>)[k][t]);
    const one = entry(0);
    const two = entry(1);
    assert.ok(one[1] !== 0 && one[3] === 1, 'task one has Adam state after the first update');
    tf.tidy(() => s.lookahead!.update(quadraticOracle(), { present: [1], step: 1 }));
    assert.deepEqual(entry(0), one, 'task one\'s λ, m, v or t changed while it was absent');
    assert.notDeepEqual(entry(1), two);
    assert.equal(entry(1)[3], 2);
  });

  it('the combined loss is Σ λ_k L_k over the present tasks', () => {
    const s = create({ primary: ['one'], optimizer: 'sgd', lr: 0.1 });
    tf.tidy(() => s.lookahead!.update(quadraticOracle(), { present: [0, 1], step: 0 }));
    const loss = tf.tidy(() => s.combine({ taskNames: ['one', 'two'], present: [0, 1], losses: [tf.scalar(2), tf.scalar(3)], step: 0, epoch: 1, epochLosses: [] }).loss.dataSync()[0]);
    close([loss], [1.075 * 2 + 0.975 * 3], 1e-5, 'loss');
  });

  it('an unknown primary task is a spec error naming it', () => {
    assert.throws(() => create({ primary: ['three'] }), /weighting\.primary|unknown task "three"/);
  });
});
