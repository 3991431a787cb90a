// The fused recurrent ops with dropout and recurrentDropout inside whole training runs: two runs
// with the same seed give identical records, two epochs straight equal one epoch then a resumed
// second (the masks come from the checkpointed generator), and the masks change what is trained; on
// cpu (the JS path) and on wasm (the SIMD kernels).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { train } from '../../../src/train/loop';
import { useBackend } from '../../helpers/backend';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-fused-rnn-'));

const spec = (epochs: number) => `name: fused-dropout
seed: 5
data: {type: intent-slots, trainSize: 24, testSize: 8, maxLength: 8}
inputs:
  tokens: {shape: [8], dtype: int32}
backbone:
  - embedding: {inputDim: 189, outputDim: 6, maskZero: true}
  - bidirectional: {layer: {gru: {units: 4, returnSequences: true, dropout: 0.3, recurrentDropout: 0.4}}}
  - lstm: {units: 4, returnSequences: true, dropout: 0.2, recurrentDropout: 0.5}
tasks:
  slots:
    type: classification
    head: [{dense: {units: 27, activation: softmax}}]
    loss: sparse-categorical-crossentropy
    metrics: [accuracy]
weighting: {method: static}
train: {epochs: ${epochs}, batchSize: 8, optimizer: {type: adam, learningRate: 0.02}}
`;

const TIMING = new Set(['wallTime', 'samplesPerSecond', 'startedAt', 'endedAt', 'evaluatedAt', 'at', 'runDir', 'spec', 'resumed']);
const strip = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(strip) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => !TIMING.has(k)).map(([k, x]) => [k, strip(x)])) : v;
const metrics = (run: string) => strip(JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8'))) as { epochs: Array<Record<string, unknown>>; test: unknown };

function specFile(epochs: number): string {
  const f = path.join(dir, `spec-${epochs}.yaml`);
  fs.writeFileSync(f, spec(epochs));
  return f;
}

after(() => fs.rmSync(dir, { recursive: true, force: true }));

// cpu runs the fused ops' JS path, wasm their SIMD kernels.
for (const backend of ['cpu', 'wasm'] as const) {
  describe(`fused recurrent dropout in training runs on ${backend}`, () => {
    before(() => useBackend(backend));

    it('is repeatable, resumes exactly, and changes the training losses', async () => {
      const [a, b, split] = ['a', 'b', 'split'].map((n) => path.join(dir, `${backend}-${n}`));
      await train(specFile(2), { out: a, backend });
      await train(specFile(2), { out: b, backend });
      assert.deepEqual(metrics(b), metrics(a), 'same seed, same records');
      await train(specFile(1), { out: split, backend });
      await train(specFile(2), { resume: split, backend });
      assert.deepEqual(metrics(split).epochs, metrics(a).epochs, 'resumed epochs');
      assert.deepEqual(metrics(split).test, metrics(a).test, 'resumed test metrics');
      // Without dropout the same seed trains differently: the masks were applied.
      const plain = path.join(dir, `${backend}-plain`);
      const f = path.join(dir, `${backend}-plain.yaml`);
      fs.writeFileSync(f, spec(2).replace(/, dropout: [0-9.]+, recurrentDropout: [0-9.]+/g, ''));
      await train(f, { out: plain, backend });
      assert.notDeepEqual(metrics(plain).epochs, metrics(a).epochs);
    });
  });
}
