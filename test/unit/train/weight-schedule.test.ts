// Loss-weight schedules: each kind's value per epoch against hand computation, the effective weight per
// epoch in metrics.json of a short run, and the spec rules (static weighting only; resolved weight).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { MtlError } from '../../../src/errors';
import { validateSpecText } from '../../../src/spec/validate';
import { train } from '../../../src/train/loop';
import { weightAt } from '../../../src/weighting/weight-schedule';
import { useBackend } from '../../helpers/backend';
import { TINY_SPEC } from '../../helpers/tiny';

const LEFT = '    weight: {type: linear, from: 0, to: 1, startEpoch: 1, endEpoch: 5}\n';
const RIGHT = '    weight: {type: cosine, from: 2, to: 0, startEpoch: 2, endEpoch: 4}\n';
const scheduled = (extra = '') =>
  TINY_SPEC.replace('    loss: sparse-categorical-crossentropy\n', `    loss: sparse-categorical-crossentropy\n${LEFT}`).replace(
    '    loss: {type: sparse-categorical-crossentropy, fromLogits: true}\n',
    `    loss: {type: sparse-categorical-crossentropy, fromLogits: true}\n${RIGHT}`,
  ) + extra;

describe('loss-weight schedules', () => {
  before(() => useBackend('cpu'));

  it('each kind gives the hand-computed weight per epoch', () => {
    const ep = [1, 2, 3, 4, 5, 6];
    assert.deepEqual(ep.map((e) => weightAt({ type: 'constant', value: 0.3 }, e)), [0.3, 0.3, 0.3, 0.3, 0.3, 0.3]);
    assert.deepEqual(ep.map((e) => weightAt({ type: 'linear', from: 0, to: 1, startEpoch: 1, endEpoch: 5 }, e)), [0, 0.25, 0.5, 0.75, 1, 1]);
    // cos ramp 2 → 0 over epochs 2..4: at 3, 2 + (0 − 2)·(1 − cos(π/2))/2 = 1.
    const cos = ep.map((e) => weightAt({ type: 'cosine', from: 2, to: 0, startEpoch: 2, endEpoch: 4 }, e));
    cos.forEach((v, i) => assert.ok(Math.abs(v - [2, 2, 1, 0, 0, 0][i]) < 1e-12, `${cos}`));
    const steps = { type: 'steps' as const, initial: 1, steps: [{ epoch: 3, value: 0.5 }, { epoch: 2, value: 2 }] };
    assert.deepEqual(ep.map((e) => weightAt(steps, e)), [1, 2, 0.5, 0.5, 0.5, 0.5]);
  });

  it('the resolved spec keeps the schedule and, as weight, its last-epoch value', () => {
    const r = validateSpecText(scheduled('train: {epochs: 3}\n'), 'w.yaml').resolved;
    assert.equal(r.tasks.left.weight, 0.5);
    assert.equal(r.tasks.right.weight, 1);
    assert.deepEqual(r.tasks.left.weightSchedule, { type: 'linear', from: 0, to: 1, startEpoch: 1, endEpoch: 5 });
  });

  it('metrics.json logs the scheduled weight of every epoch', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-wsched-'));
    const f = path.join(tmp, 'spec.yaml');
    fs.writeFileSync(f, scheduled('train: {epochs: 5, batchSize: 4, validation: none, evaluateTest: false}\n'));
    await train(f, { out: path.join(tmp, 'run'), backend: 'cpu' });
    const m = JSON.parse(fs.readFileSync(path.join(tmp, 'run', 'metrics.json'), 'utf8'));
    const got = m.epochs.map((e: { weights: Record<string, number> }) => [e.weights.left, e.weights.right]);
    const want = [[0, 2], [0.25, 2], [0.5, 1], [0.75, 0], [1, 0]];
    got.forEach((pair: number[], i: number) => pair.forEach((v, j) => assert.ok(Math.abs(v - want[i][j]) < 1e-6, `epoch ${i + 1}: ${got[i]} vs ${want[i]}`)));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a schedule with another weighting method is a spec error at the weight', () => {
    assert.throws(
      () => validateSpecText(scheduled('weighting: {method: uw}\n'), 'w.yaml'),
      (e: unknown) => e instanceof MtlError && e.problems.some((p) => p.where.path === 'tasks.left.weight' && /needs weighting.method static/.test(p.message)),
    );
  });
});
