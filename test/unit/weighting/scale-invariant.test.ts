// The scale-invariant loss (Σ log L_t) against hand computation: its value and weights 1/L_t on given
// losses, invariance to a task's loss scale, and one SGD step equal to θ − lr·Σ_t ∇L_t / L_t with
// every ∇L_t taken separately by tf.variableGrads.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { disposeBatch } from '../../../src/data/batching';
import { taskRuntimes } from '../../../src/eval/evaluate';
import { buildModel } from '../../../src/model/build';
import { disposeStepResult, trainStep } from '../../../src/train/step';
import { strategies } from '../../../src/weighting/index';
import type { LossStrategy } from '../../../src/weighting/strategy';
import { useBackend } from '../../helpers/backend';
import { partsFor } from '../../helpers/step';
import { tinyBatch, tinySpec } from '../../helpers/tiny';

const make = (config: Record<string, unknown> = {}) => strategies.get('scale-invariant').create(config, { taskNames: ['a', 'b'], taskWeights: [1, 1], seed: 1 }) as LossStrategy;

function combineOn(s: LossStrategy, losses: number[]) {
  return tf.tidy(() => {
    const u = s.combine({ taskNames: ['a', 'b'], present: [0, 1], losses: losses.map((l) => tf.scalar(l)), step: 0, epoch: 1, epochLosses: [] });
    return { loss: u.loss.dataSync()[0], weights: Array.from(u.weights.dataSync()) };
  });
}

describe('scale-invariant loss', () => {
  before(() => useBackend('cpu'));

  it('L = Σ log L_t with weights 1/L_t; ε enters inside the log', () => {
    const { loss, weights } = combineOn(make(), [2, 8]);
    assert.ok(Math.abs(loss - Math.log(16)) < 1e-5, `${loss}`);
    assert.deepEqual(weights.map((w) => +w.toFixed(6)), [0.5, 0.125]);
    const e = combineOn(make({ epsilon: 2 }), [2, 8]);
    assert.ok(Math.abs(e.loss - Math.log(40)) < 1e-5, `${e.loss}`);
    assert.deepEqual(e.weights.map((w) => +w.toFixed(6)), [0.25, 0.1]);
  });

  it('one SGD step is θ − lr·Σ_t ∇L_t / L_t (per-task gradients by hand), whatever the loss scale', () => {
    const spec = tinySpec().resolved;
    const built = buildModel(spec);
    const batch = tinyBatch(4, 2);
    const fns = taskRuntimes(spec).map((t) => t.lossFn);
    const vars = built.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const theta0 = vars.map((v) => v.dataSync().slice());
    const perTask = built.taskNames.map((t, i) => {
      const { value, grads } = tf.variableGrads(() => {
        const outs = built.model.apply(batch.inputs.image, { training: true }) as tf.Tensor[];
        return tf.mean(fns[i](batch.targets[t] as tf.Tensor, outs[i])) as tf.Scalar;
      });
      const out = { L: value.dataSync()[0], g: vars.map((v) => (grads[v.name] ? grads[v.name].dataSync().slice() : new Float32Array(v.size))) };
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    });
    const parts = partsFor(built, spec, make(), {}, 'sgd');
    const lr = 0.1;
    disposeStepResult(trainStep(parts, batch, { step: 0, epoch: 1, learningRate: lr, epochLosses: [] }));
    vars.forEach((v, k) => {
      v.dataSync().forEach((x, i) => {
        const want = theta0[k][i] - lr * perTask.reduce((s, p) => s + p.g[k][i] / p.L, 0);
        assert.ok(Math.abs(x - want) < 1e-5, `${v.name}[${i}]: ${x} vs ${want}`);
      });
    });
    disposeBatch(batch);
    built.model.dispose();
  });

  it('multiplying a task loss by c leaves the gradient direction unchanged (ε = 0)', () => {
    const grad = (c: number) =>
      tf.tidy(() => {
        const th = tf.variable(tf.tensor1d([0.3, -0.7]));
        const s = make();
        const { grads } = tf.variableGrads(() => s.combine({ taskNames: ['a', 'b'], present: [0, 1], losses: [tf.mul(c, tf.sum(tf.square(th))) as tf.Scalar, tf.sum(tf.exp(th)) as tf.Scalar], step: 0, epoch: 1, epochLosses: [] }).loss, [th]);
        const g = Array.from(grads[th.name].dataSync());
        th.dispose();
        return g;
      });
    const [a, b] = [grad(1), grad(1000)];
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-4, `${a} vs ${b}`));
  });
});
