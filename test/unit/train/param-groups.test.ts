// train.paramGroups: which variables a group or glob selects, the spec errors for an entry that selects
// nothing, and the effective learning rate of one SGD and one Adam step against hand-computed updates.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { disposeBatch } from '../../../src/data/batching';
import { taskRuntimes } from '../../../src/eval/evaluate';
import { buildModel } from '../../../src/model/build';
import { globRegExp, resolveParamGroups } from '../../../src/model/param-groups';
import { MtlError } from '../../../src/errors';
import { paramGroupPlan } from '../../../src/train/param-groups';
import { disposeStepResult, trainStep } from '../../../src/train/step';
import { useBackend } from '../../helpers/backend';
import { partsFor, staticOf } from '../../helpers/step';
import { tinyBatch, tinySpec } from '../../helpers/tiny';

const GROUPS = `train:
  paramGroups:
    - {match: heads.left, lrMultiplier: 10}
    - {match: 'shared_3_dense/bias', lrMultiplier: 0.5}
`;

/** Σ_t mean loss_t's gradient for every trainable variable, by tf.variableGrads (static weights 1). */
function referenceGrads(spec: ReturnType<typeof tinySpec>['resolved'], built: ReturnType<typeof buildModel>, batch: ReturnType<typeof tinyBatch>): Record<string, Float32Array> {
  const fns = taskRuntimes(spec).map((t) => t.lossFn);
  const { value, grads } = tf.variableGrads(() => {
    const outs = built.model.apply(batch.inputs.image, { training: true }) as tf.Tensor[];
    return tf.addN(built.taskNames.map((t, i) => tf.mean(fns[i](batch.targets[t] as tf.Tensor, outs[i])))) as tf.Scalar;
  });
  value.dispose();
  return Object.fromEntries(Object.entries(grads).map(([n, g]) => [n, g.dataSync() as Float32Array]));
}

describe('parameter groups', () => {
  before(() => useBackend('cpu'));

  it('globs match whole names; * crosses slashes', () => {
    assert.ok(globRegExp('shared_*').test('shared_3_dense/kernel'));
    assert.ok(!globRegExp('dense').test('shared_3_dense'));
    assert.ok(globRegExp('left_?_dense').test('left_1_dense'));
  });

  it('groups select the head, backbone and glob variables; the first matching entry decides', () => {
    const spec = tinySpec(`train:
  paramGroups:
    - {match: heads.right, lrMultiplier: 3}
    - {match: '*/bias', lrMultiplier: 2, weightDecay: 0.1}
    - {match: backbone, lrMultiplier: 5}
`).resolved;
    const built = buildModel(spec);
    const { rules, problems } = resolveParamGroups(spec, built);
    assert.deepEqual(problems, []);
    const m = (layer: string, w: string) => rules.get(built.model.getLayer(layer).weights.find((x) => x.originalName.endsWith(w))!.name);
    assert.deepEqual(m('right', 'kernel'), { lrMultiplier: 3, weightDecay: null });
    assert.deepEqual(m('right', 'bias'), { lrMultiplier: 3, weightDecay: null });
    assert.deepEqual(m('left', 'bias'), { lrMultiplier: 2, weightDecay: 0.1 });
    assert.equal(m('left', 'kernel'), undefined);
    assert.deepEqual(m('shared_1_conv2d', 'kernel'), { lrMultiplier: 5, weightDecay: null });
    assert.deepEqual(m('shared_3_dense', 'bias'), { lrMultiplier: 2, weightDecay: 0.1 });
    built.model.dispose();
  });

  it('an entry that matches nothing is a spec error at its match, with what is allowed', () => {
    let err: MtlError | undefined;
    try {
      tinySpec(`train:\n  paramGroups:\n    - {match: heads.left}\n    - {match: heads.lefft}\n    - {match: 'shared_9_*'}\n`);
    } catch (e) {
      err = e as MtlError;
    }
    assert.ok(err instanceof MtlError && err.kind === 'config', String(err));
    const text = err.problems.map((p) => `${p.where.line}:${p.message}:${p.hint ?? ''}`);
    assert.equal(err.problems.length, 2, text.join('\n'));
    assert.match(text[0], /^\d+:"heads.lefft" names no task:did you mean "left"\?/);
    assert.match(text[1], /"shared_9_\*" matches no variable/);
    assert.ok(err.problems[0].where.line! < err.problems[1].where.line!);
  });

  for (const opt of ['sgd', 'adam'] as const) {
    it(`one ${opt} step moves each variable by its group's learning rate (hand-computed)`, () => {
      const spec = tinySpec(GROUPS).resolved;
      const built = buildModel(spec);
      const batch = tinyBatch(4, 2);
      const theta0 = Object.fromEntries(built.model.trainableWeights.map((w) => [w.name, w.read().dataSync().slice() as Float32Array]));
      const g = referenceGrads(spec, built, batch);
      const parts = partsFor(built, spec, staticOf(spec), {}, opt);
      parts.paramGroups = paramGroupPlan(spec, built, parts.opt);
      const lr = opt === 'sgd' ? 0.1 : 0.01;
      disposeStepResult(trainStep(parts, batch, { step: 0, epoch: 1, learningRate: lr, epochLosses: [] }));
      const mult = (layer: string, name: string) => (layer === 'left' ? 10 : name === 'shared_3_dense/bias' ? 0.5 : 1);
      // SGD: θ − m·lr·g. Adam's first step: m̂ = g, v̂ = g², so θ − m·lr·g/(|g| + ε).
      const step = (x: number) => (opt === 'sgd' ? x : x / (Math.abs(x) + 1e-7));
      let checked = 0;
      for (const layer of built.model.layers) {
        for (const w of layer.trainableWeights) {
          const after = w.read().dataSync();
          const m = mult(layer.name, w.originalName);
          after.forEach((v, i) => {
            const want = theta0[w.name][i] - m * lr * step(g[w.name][i]);
            assert.ok(Math.abs(v - want) <= 1e-5 + 1e-4 * Math.abs(m * lr), `${w.name}[${i}]: ${v} vs ${want} (m ${m})`);
          });
          checked += after.length;
        }
      }
      assert.ok(checked > 100);
      // The 10× head really moved 10× as far as an unscaled one would (Adam: ≈ lr per element, not lr).
      const left = built.model.getLayer('left').trainableWeights[1];
      const moved = Math.max(...Array.from(left.read().dataSync()).map((v, i) => Math.abs(v - theta0[left.name][i])));
      if (opt === 'adam') assert.ok(moved > 5 * lr, `head bias moved at most ${moved}`);
      disposeBatch(batch);
      built.model.dispose();
      parts.opt.optimizer.dispose();
    });
  }

  it('a group weight decay is coupled L2 for sgd: θ − lr·(g + λθ)', () => {
    const spec = tinySpec(`train:\n  paramGroups: [{match: 'left/kernel', weightDecay: 0.5}]\n`).resolved;
    const built = buildModel(spec);
    const batch = tinyBatch(4, 2);
    const w = built.model.getLayer('left').weights[0];
    const th0 = w.read().dataSync().slice();
    const g = referenceGrads(spec, built, batch)[w.name];
    const parts = partsFor(built, spec, staticOf(spec), {}, 'sgd');
    parts.paramGroups = paramGroupPlan(spec, built, parts.opt);
    disposeStepResult(trainStep(parts, batch, { step: 0, epoch: 1, learningRate: 0.1, epochLosses: [] }));
    w.read().dataSync().forEach((v, i) => assert.ok(Math.abs(v - (th0[i] - 0.1 * (g[i] + 0.5 * th0[i]))) < 1e-5));
    disposeBatch(batch);
    built.model.dispose();
  });
});
