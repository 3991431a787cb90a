// Every registered strategy inside the real train step: three steps on the tiny spec with
// no tensor growth and finite losses, and a state()/restore() round trip that resumes identically.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { disposeBatch } from '../../../src/data/batching';
import { taskRuntimes } from '../../../src/eval/evaluate';
import { buildModel, stepVariables } from '../../../src/model/build';
import { optimizers } from '../../../src/optim/optimizers';
import { disposeStepResult, trainStep, type StepParts } from '../../../src/train/step';
import { seedGlobalRandom } from '../../../src/util/global-random';
import { mulberry32 } from '../../../src/util/random';
import { strategies } from '../../../src/weighting/index';
import { weightingOptions } from '../../../src/weighting/options';
import type { GradientStrategy, Json, WeightingStrategy } from '../../../src/weighting/strategy';
import { useBackend } from '../../helpers/backend';
import { tinyBatch, tinySpec } from '../../helpers/tiny';

/** Every registered strategy with its defaults (loss-based ones included), plus option variants. */
const METHODS: [string, Record<string, unknown>][] = [
  ...strategies.types().map((t): [string, Record<string, unknown>] => [t, {}]),
  ['mgda', { normalization: 'loss+' }],
  ['imtl', { mode: 'hybrid' }],
  ['uw', { gradSpace: 'representation' }],
  ['mgda', { gradSpace: 'representation' }],
  ['pcgrad', { updateEvery: 2 }],
];

const STATEFUL: [string, Record<string, unknown>][] = [
  ['gradvac', {}],
  ['imtl', { mode: 'loss', lossScaleLr: 0.1 }],
  ['imtl', { mode: 'hybrid', lossScaleLr: 0.1 }],
  ['db-mtl', {}],
  ['moco', {}],
  ['sdmgrad', {}],
  ['modo', { gamma: 0.5 }],
  ['excessmtl', { robustStepSize: 0.5 }],
];

const create = (method: string, options: Record<string, unknown>, T = 2): WeightingStrategy =>
  strategies.get(method).create({ method, ...options }, { taskNames: Array.from({ length: T }, (_, t) => `t${t}`), taskWeights: new Array<number>(T).fill(1), seed: 7 });

describe('gradient strategies in the train step', () => {
  before(() => useBackend('cpu'));

  it('three steps per strategy: finite losses, weights recorded, no tensor growth', () => {
    const spec = tinySpec().resolved;
    for (const [method, options] of METHODS) {
      seedGlobalRandom(3);
      const built = buildModel(spec);
      const strategy = strategies.get(method).create({ method, ...options }, { taskNames: built.taskNames, taskWeights: [1, 1], seed: 1 });
      const parts: StepParts = {
        built,
        lossFns: taskRuntimes(spec).map((t) => t.lossFn),
        strategy,
        opt: optimizers.get('sgd').create({ learningRate: 0.05, momentum: 0, nesterov: false, weightDecay: 0 }, undefined),
        clipNorm: null,
        ...stepVariables(built),
        gradSpace: weightingOptions(options).gradSpace,
        updateEvery: weightingOptions(options).updateEvery,
      };
      const batch = tinyBatch(4, 2);
      const before = built.model.getWeights().map((w) => Array.from(w.dataSync()));
      const sharedBefore = parts.shared.map((v) => Array.from(v.dataSync()));
      const counts: number[] = [];
      for (let step = 0; step < 3; step++) {
        const r = trainStep(parts, batch, { step, epoch: 1, learningRate: 0.05, epochLosses: [] });
        assert.ok(Array.from(r.taskLosses.dataSync()).every(Number.isFinite), `${method} losses`);
        assert.ok(Array.from(r.weights.dataSync()).every(Number.isFinite), `${method} weights`);
        disposeStepResult(r);
        counts.push(tf.memory().numTensors);
      }
      assert.equal(counts[2], counts[1], `${method} ${JSON.stringify(options)}: ${counts}`);
      const after = built.model.getWeights().map((w) => Array.from(w.dataSync()));
      assert.ok(after.some((w, i) => w.some((x, j) => x !== before[i][j])), `${method} changed no weight`);
      // The shared part must move too: a zero shared direction (heads trained alone) is a failure.
      const sharedMoved = Math.sqrt(parts.shared.reduce((a, v, k) => a + Array.from(v.dataSync()).reduce((b, x, j) => b + (x - sharedBefore[k][j]) ** 2, 0), 0));
      assert.ok(sharedMoved > 1e-4, `${method} ${JSON.stringify(options)}: shared weights moved ${sharedMoved}`);
      assert.ok(Object.values(strategy.weights()).every(Number.isFinite), method);
      disposeBatch(batch);
      strategy.dispose();
      built.model.dispose();
    }
  });

  it('IMTL loss mode: the loss scales take one SGD step on e^s·L − 1 after being used', () => {
    const s = create('imtl', { mode: 'loss', lossScaleLr: 0.1 }) as GradientStrategy;
    const step = (losses: number[]) =>
      tf.tidy(() => {
        const u = s.combine({ taskNames: ['t0', 't1'], present: [0, 1], losses: losses.map((l) => tf.scalar(l)), step: 0, epoch: 1, epochLosses: [], grads: tf.tensor2d([[1, 0], [0, 1]]) });
        return { direction: Array.from(u.direction.dataSync()), head: Array.from(u.headWeights!.dataSync()) };
      });
    const first = step([2, 0.5]);
    assert.deepEqual(first.direction, [1, 1]); // s = 0: scales e^0 = 1
    const st = s.state() as { s: number[] };
    assert.ok(Math.abs(st.s[0] - -0.1) < 1e-12 && Math.abs(st.s[1] - 0.05) < 1e-12, JSON.stringify(st)); // s − 0.1·(L − 1)
    const second = step([2, 0.5]);
    assert.ok(Math.abs(second.direction[0] - Math.exp(-0.1)) < 1e-6 && Math.abs(second.direction[1] - Math.exp(0.05)) < 1e-6);
    assert.deepEqual(second.head, second.direction);
  });

  it('state() → JSON → restore() resumes exactly where the saved strategy would continue', () => {
    const rand = mulberry32(21);
    const Gs = [0, 1, 2, 3].map(() => Array.from({ length: 3 }, () => Array.from({ length: 8 }, () => rand() * 2 - 1)));
    const losses = [0.7, 1.3, 2.1];
    const run = (s: GradientStrategy, step: number) =>
      tf.tidy(() => {
        const u = s.combine({ taskNames: ['t0', 't1', 't2'], present: [0, 1, 2], losses: losses.map((l) => tf.scalar(l)), step, epoch: 1, epochLosses: [], grads: tf.tensor2d(Gs[step]) });
        return Array.from(u.direction.dataSync());
      });
    for (const [method, options] of STATEFUL) {
      const a = create(method, options, 3) as GradientStrategy;
      run(a, 0);
      run(a, 1);
      const saved = JSON.parse(JSON.stringify(a.state())) as Json;
      assert.notEqual(saved, null, `${method} has state`);
      const b = create(method, options, 3) as GradientStrategy;
      const fresh = create(method, options, 3) as GradientStrategy;
      b.restore(saved);
      const before = tf.memory().numTensors;
      const da = run(a, 2);
      const db = run(b, 2);
      const df = run(fresh, 2);
      assert.deepEqual(db, da, `${method} ${JSON.stringify(options)} resumes`);
      assert.notDeepEqual(df, da, `${method}: the state must matter`);
      assert.deepEqual(run(b, 3), run(a, 3), `${method} keeps resuming`);
      for (const s of [a, b, fresh]) s.dispose();
      assert.ok(tf.memory().numTensors <= before, `${method} disposes its state`);
    }
  });
});
