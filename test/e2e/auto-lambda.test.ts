// Auto-Lambda end to end: the trainer hands the strategy validation batches (train/validation-feed.ts),
// λ is recorded and checkpointed, and a resumed run reads the validation batches the uninterrupted one
// would — two epochs straight equal one epoch then a resumed second, records and λ included.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { train } from '../../src/train/loop';
import { useBackend } from '../helpers/backend';
import { TINY_SPEC } from '../helpers/tiny';

const TIMING = new Set(['wallTime', 'samplesPerSecond', 'startedAt', 'endedAt', 'evaluatedAt', 'at', 'runDir', 'spec', 'resumed']);
const strip = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(strip) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => !TIMING.has(k)).map(([k, x]) => [k, strip(x)])) : v;
const epochsOf = (dir: string) => strip(JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8')).epochs) as Array<{ weights: Record<string, number>; steps: number }>;

describe('auto-lambda in a training run', () => {
  before(() => useBackend('cpu'));

  it('learns λ from validation batches; 2 epochs straight == 1 epoch, then resume for 1 more', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-auto-lambda-'));
    const specFile = (epochs: number) => {
      const f = path.join(tmp, `spec-${epochs}.yaml`);
      // 8 rows: 3 held out for validation (2 batches a pass: 2 + 1), 5 trained on (3 steps an epoch), so
      // the resumed epoch starts inside the second pass over the validation split.
      const extra = `weighting: {method: auto-lambda, primary: [left], lr: 0.05, optimizer: sgd}\ntrain: {epochs: ${epochs}, batchSize: 2, validation: 0.375, optimizer: {type: adam, learningRate: 0.01}}\n`;
      fs.writeFileSync(f, TINY_SPEC + extra);
      return f;
    };
    const straight = path.join(tmp, 'straight');
    const split = path.join(tmp, 'split');
    await train(specFile(2), { out: straight, backend: 'cpu' });
    await train(specFile(1), { out: split, backend: 'cpu' });
    await train(specFile(2), { resume: split, backend: 'cpu' });
    const a = epochsOf(straight);
    const b = epochsOf(split);
    assert.equal(a.length, 2);
    assert.deepEqual(b, a);
    // λ moved away from its initial 1 (sgd, lr 0.05).
    assert.ok(Object.values(a[1].weights).some((w) => Math.abs(w - 1) > 1e-4), `λ ${JSON.stringify(a.map((e) => e.weights))}`);
  });
});
