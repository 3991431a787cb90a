// Auto-Lambda through the real train step, on a constructed two-task problem: one shared linear unit
// z = x·W (W starts at 0) read by both heads (h = 1 at the start); task p's targets are x·u, task q's
// are −x·u, and the validation batch measures p only (primary: [p]). At W = 0, ∇_W L_p = −2h·Cu and
// ∇_W L_q = +2h·Cu (C = the batch's second moment), while the validation gradient after the look-ahead
// is v = −2h·C'u: ∂/∂λ_p = −α∇L_p·v < 0 and ∂/∂λ_q > 0 — λ_p rises, λ_q falls, as long as W stays
// between −u and u. Also: the look-ahead leaves the model exactly as the plain step would.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import type { Batch } from '../../../src/data/batching';
import { validateSpecText } from '../../../src/spec/validate';
import { disposeStepResult, trainStep } from '../../../src/train/step';
import { strategies } from '../../../src/weighting/index';
import { useBackend } from '../../helpers/backend';
import { stepParts } from '../../helpers/step';

const SPEC = `name: lookahead
seed: 2
data:
  type: files
  train: {format: csv, path: none.csv}
  inputs: {x: {columns: [a, b]}}
  targets:
    p: {column: p, type: regression}
    q: {column: q, type: regression}
inputs: {x: {shape: [2]}}
backbone: [{dense: {units: 1, useBias: false, kernelInitializer: zeros}}]
tasks:
  p: {type: regression, head: [{dense: {units: 1, useBias: false, kernelInitializer: ones}}], loss: mse}
  q: {type: regression, head: [{dense: {units: 1, useBias: false, kernelInitializer: ones}}], loss: mse}
weighting: {method: auto-lambda, primary: [p], optimizer: sgd, lr: 0.2}
`;

const U = [1, -0.5];

function batch(seed: number, n = 16): Batch {
  return tf.tidy(() => {
    const x = tf.randomNormal([n, 2], 0, 1, 'float32', seed);
    const y = tf.matMul(x, tf.tensor2d(U, [2, 1]));
    return { size: n, inputs: { x: tf.keep(x) }, targets: { p: tf.keep(y), q: tf.keep(tf.neg(y)) }, masks: { p: undefined, q: undefined } };
  });
}
const free = (b: Batch) => tf.dispose([...Object.values(b.inputs), ...Object.values(b.targets)]);

describe('Auto-Lambda in the train step', () => {
  before(() => useBackend('cpu'));

  it('λ moves toward the task whose look-ahead helps the validation loss: λ_p rises, λ_q falls', () => {
    const spec = validateSpecText(SPEC, 'lookahead.yaml').resolved;
    const s = strategies.get('auto-lambda').create(spec.weighting, { taskNames: ['p', 'q'], taskWeights: [1, 1], seed: 0 });
    const parts = stepParts(spec, s, {}, 'sgd');
    const seen: number[][] = [];
    for (let step = 0; step < 5; step++) {
      const b = batch(step + 1);
      const v = batch(step + 100);
      disposeStepResult(trainStep(parts, b, { step, epoch: 1, learningRate: 0.05, epochLosses: [], validation: v }));
      seen.push(Object.values(s.weights()));
      free(b);
      free(v);
    }
    for (let k = 1; k < seen.length; k++) {
      assert.ok(seen[k][0] > seen[k - 1][0] && seen[k][1] < seen[k - 1][1], `λ per step: ${JSON.stringify(seen)}`);
    }
    assert.ok(seen[0][0] > 1 && seen[0][1] < 1, `first update ${seen[0]}`);
    parts.built.model.dispose();
  });

  it('the look-ahead leaves no trace on the model: the step equals the plain weighted step with the new λ', () => {
    const spec = validateSpecText(SPEC, 'lookahead.yaml').resolved;
    const make = () => {
      const s = strategies.get('auto-lambda').create(spec.weighting, { taskNames: ['p', 'q'], taskWeights: [1, 1], seed: 0 });
      return { s, parts: stepParts(spec, s, {}, 'sgd') };
    };
    const a = make();
    const x = batch(7);
    const v = batch(8);
    // Run a: the look-ahead changes λ but must not change θ before the step; run b with a's new λ and no look-ahead.
    disposeStepResult(trainStep(a.parts, x, { step: 0, epoch: 1, learningRate: 0.05, epochLosses: [], validation: v }));
    assert.notDeepEqual(Object.values(a.s.weights()), [1, 1], 'the look-ahead moved λ');
    // c starts from the initial θ with a's new λ and takes the plain step: the same model as a's.
    const c = make();
    c.s.restore(a.s.state());
    disposeStepResult(trainStep(c.parts, x, { step: 0, epoch: 1, learningRate: 0.05, epochLosses: [] }));
    const weights = (p: typeof a.parts) => tf.tidy(() => p.built.model.getWeights().map((w) => Array.from(w.dataSync())));
    assert.deepEqual(weights(a.parts), weights(c.parts));
    free(x);
    free(v);
    for (const r of [a, c]) r.parts.built.model.dispose();
  });
});
