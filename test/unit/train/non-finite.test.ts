// train.onNonFinite: a step with a NaN/Inf loss or gradient is never applied; `stop` ends the run as
// failed (kind diverged, exit 5) with the last good checkpoints untouched; `skip-batch` counts and limits.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { MtlError } from '../../../src/errors';
import { train } from '../../../src/train/loop';
import { trainStep } from '../../../src/train/step';
import { useBackend } from '../../helpers/backend';
import { staticOf, stepParts } from '../../helpers/step';
import { TINY_SPEC, tinyBatch, tinySpec } from '../../helpers/tiny';

function filesOf(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('base64')]));
}

describe('train.onNonFinite', () => {
  before(() => useBackend('cpu'));

  it('a step on a batch with a NaN input is not applied: weights and Adam state unchanged, finite false', async () => {
    const spec = tinySpec().resolved;
    const parts = stepParts(spec, staticOf(spec), {}, 'adam');
    const good = tinyBatch(4, 1);
    trainStep(parts, good, { step: 0, epoch: 1, learningRate: 0.01, epochLosses: [], checkFinite: true });
    const before = parts.built.model.getWeights().map((w) => Array.from(w.dataSync()));
    const optBefore = await parts.opt.optimizer.getWeights();
    const optValues = optBefore.map((w) => Array.from(w.tensor.dataSync()));
    const bad = tinyBatch(4, 2);
    const x = bad.inputs.image.bufferSync();
    x.set(NaN, 1, 3, 3, 0);
    bad.inputs.image = x.toTensor();
    const res = trainStep(parts, bad, { step: 1, epoch: 1, learningRate: 0.01, epochLosses: [], checkFinite: true });
    assert.equal(res.finite, false);
    assert.deepEqual(parts.built.model.getWeights().map((w) => Array.from(w.dataSync())), before);
    assert.deepEqual((await parts.opt.optimizer.getWeights()).map((w) => Array.from(w.tensor.dataSync())), optValues);
    const ok = trainStep(parts, tinyBatch(4, 3), { step: 1, epoch: 1, learningRate: 0.01, epochLosses: [], checkFinite: true });
    assert.equal(ok.finite, true);
    tf.dispose([res.taskLosses, res.weights, ...res.outputs, ok.taskLosses, ok.weights, ...ok.outputs]);
  });

  it('stop: lr 1e20 in epoch 2 fails as non-finite; checkpoints of epoch 1 stay byte for byte', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-nonfinite-'));
    const spec = (epochs: number, lr: number) => {
      const f = path.join(tmp, `spec-${epochs}-${lr}.yaml`);
      fs.writeFileSync(f, TINY_SPEC + `train: {epochs: ${epochs}, batchSize: 2, optimizer: {type: sgd, learningRate: ${lr}}}\n`);
      return f;
    };
    const run = path.join(tmp, 'run');
    await train(spec(1, 0.01), { out: run, backend: 'cpu' });
    const last = filesOf(path.join(run, 'checkpoints/last'));
    const best = filesOf(path.join(run, 'checkpoints/best'));
    await assert.rejects(train(spec(3, 1e20), { resume: run, backend: 'cpu' }), (e: unknown) => {
      assert.ok(e instanceof MtlError && e.kind === 'diverged', String(e));
      assert.match(e.message, /non-finite training at epoch 2, step \d+ \(step \d+ of the run\): task "(left|right)" loss is (NaN|Infinity)/);
      return true;
    });
    assert.deepEqual(filesOf(path.join(run, 'checkpoints/last')), last);
    assert.deepEqual(filesOf(path.join(run, 'checkpoints/best')), best);
    const m = JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8'));
    assert.equal(m.run.status, 'failed');
    assert.equal(m.run.reason, 'non-finite');
    assert.deepEqual(m.epochs.map((e: { epoch: number }) => e.epoch), [1]);
  });

  it('skip-batch: counts skipped steps and stops once more than maxSkippedSteps were skipped', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-nonfinite-'));
    const f = path.join(tmp, 'spec.yaml');
    // lr 1e20: step 3 overflows; its update is skipped, and every later step from the same weights overflows too.
    fs.writeFileSync(f, TINY_SPEC + 'train: {epochs: 2, batchSize: 2, onNonFinite: skip-batch, maxSkippedSteps: 1, optimizer: {type: sgd, learningRate: 1e20}}\n');
    await assert.rejects(train(f, { out: path.join(tmp, 'run'), backend: 'cpu' }), (e: unknown) => {
      assert.ok(e instanceof MtlError && e.kind === 'diverged', String(e));
      assert.match(e.message, /epoch 1, step 4 \(step 4 of the run\).*2 steps skipped, more than train\.maxSkippedSteps \(1\)/);
      return true;
    });
  });
});
