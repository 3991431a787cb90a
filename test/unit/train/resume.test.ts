// `train --resume`: two epochs straight and one epoch then a resumed second give identical records
// (timing fields aside) for a fixed-weight, a learned-variable and a gradient-based strategy, and for a
// gradient method on a model with dropout and batch norm.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { MtlError } from '../../../src/errors';
import { train } from '../../../src/train/loop';
import { useBackend } from '../../helpers/backend';
import { TINY_SPEC } from '../../helpers/tiny';

const TIMING = new Set(['wallTime', 'samplesPerSecond', 'startedAt', 'endedAt', 'evaluatedAt', 'at', 'runDir', 'spec', 'resumed']);

function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => !TIMING.has(k)).map(([k, x]) => [k, strip(x)]));
  return v;
}

const records = (dir: string) => ({
  metrics: strip(JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'))) as { epochs: unknown[]; test: unknown; best: unknown },
  lines: fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => strip(JSON.parse(l))),
});

describe('train --resume', () => {
  before(() => useBackend('cpu'));

  // mgda on a model with batch norm and dropout: T passes per step with the same masks (train/draws.ts),
  // and the masks of the resumed epoch are those of the uninterrupted one.
  const NOISY = (text: string) => text.replace('  - flatten:\n', '  - batchNormalization:\n  - flatten:\n  - dropout: {rate: 0.5}\n');
  for (const [method, noisy] of [['static', false], ['uw', false], ['gradnorm', false], ['mgda', true]] as const) {
    it(`${method}${noisy ? ' (dropout, batch norm)' : ''}: 2 epochs straight == 1 epoch, then resume for 1 more`, async () => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-resume-'));
      const specFile = (epochs: number) => {
        const f = path.join(tmp, `spec-${epochs}.yaml`);
        const extra = `weighting: {method: ${method}, diagnostics: {every: 3}}\ntrain: {epochs: ${epochs}, batchSize: 2, optimizer: {type: adam, learningRate: 0.01}}\n`;
        fs.writeFileSync(f, (noisy ? NOISY(TINY_SPEC) : TINY_SPEC) + extra);
        return f;
      };
      const straight = path.join(tmp, 'straight');
      const split = path.join(tmp, 'split');
      await train(specFile(2), { out: straight, backend: 'cpu' });
      await train(specFile(1), { out: split, backend: 'cpu' });
      const half = records(split);
      assert.equal(half.metrics.epochs.length, 1);
      await train(specFile(2), { resume: split, backend: 'cpu' });
      const a = records(straight);
      const b = records(split);
      assert.equal(a.metrics.epochs.length, 2);
      assert.deepEqual(b.metrics.epochs, a.metrics.epochs);
      assert.deepEqual(b.metrics.best, a.metrics.best);
      assert.deepEqual(b.metrics.test, a.metrics.test);
      assert.deepEqual(b.lines, a.lines);
      assert.ok(a.lines.some((l) => (l as { type: string }).type === 'step'), 'diagnostic step lines are written');
      const resumed = JSON.parse(fs.readFileSync(path.join(split, 'metrics.json'), 'utf8')).run.resumed;
      assert.equal(resumed.length, 1);
      assert.equal(resumed[0].afterEpoch, 1);
    });
  }

  it('refuses a finished run and a folder without checkpoints', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-resume-'));
    const f = path.join(tmp, 'spec.yaml');
    fs.writeFileSync(f, TINY_SPEC + 'train: {epochs: 1, batchSize: 4}\n');
    await train(f, { out: path.join(tmp, 'run'), backend: 'cpu' });
    await assert.rejects(train(f, { resume: path.join(tmp, 'run'), backend: 'cpu' }), (e: unknown) => e instanceof MtlError && e.kind === 'config' && /already has 1 epoch/.test(e.message));
    await assert.rejects(train(f, { resume: tmp, backend: 'cpu' }), (e: unknown) => e instanceof MtlError && e.kind === 'checkpoint' && /nothing to resume/.test(e.message));
  });
});
