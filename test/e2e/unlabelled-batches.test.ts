// A batch in which no task is labelled is not a step (docs/weighting.md, partial labels): a run whose
// data holds such a batch trains exactly like the run without it — the step cap (train.stepsPerEpoch),
// the learning-rate schedule and the epoch averages see the same steps — and metrics.json counts it.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { silentReporter, type StepProgress } from '../../src/train/events';
import { train } from '../../src/train/loop';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-unlabelled-'));

/** Rows 0..n-1; tasks k and j; `blank` rows have neither label. */
function table(rows: number[], blank: Set<number>): string {
  const line = (i: number) => `${(i % 5) / 4},${(i % 3) / 2},${blank.has(i) ? '' : (i % 5) % 3},${blank.has(i) ? '' : i % 2}`;
  return 'a,b,k,j\n' + rows.map(line).join('\n') + '\n';
}

function spec(name: string, file: string): string {
  const out = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    out,
    `name: ${name}
seed: 5
data:
  type: files
  train: {format: csv, path: ${file}}
  test: {format: csv, path: labelled.csv}
  inputs:
    x: {columns: [a, b]}
  targets:
    k: {column: k, type: classification, classes: 3}
    j: {column: j, type: classification, classes: 2}
inputs:
  x: {shape: [2]}
backbone:
  - dense: {units: 6, activation: tanh}
tasks:
  k:
    type: classification
    head: [{dense: {units: 3, activation: softmax}}]
    loss: sparse-categorical-crossentropy
  j:
    type: classification
    head: [{dense: {units: 2, activation: softmax}}]
    loss: sparse-categorical-crossentropy
weighting: {method: equal}
train:
  epochs: 2
  batchSize: 4
  stepsPerEpoch: 3
  shuffle: false
  validation: none
  optimizer: {type: adam, learningRate: 0.05}
  schedule: {type: step, stepEpochs: 1, gamma: 0.5}
`,
  );
  return out;
}

const rows = Array.from({ length: 24 }, (_, i) => i);
const blank = new Set([4, 5, 6, 7]); // the second batch of 4 (shuffle off)
fs.writeFileSync(path.join(dir, 'with-blank.csv'), table(rows, blank));
fs.writeFileSync(path.join(dir, 'labelled.csv'), table(rows.filter((i) => !blank.has(i)), new Set()));

describe('a batch without any labelled task is not a step', () => {
  it('trains exactly like the data without that batch: step cap, averages, counter', async () => {
    const seen: Record<string, StepProgress[]> = { a: [], b: [] };
    const reporter = (k: string) => ({ ...silentReporter, step: (p: StepProgress) => void seen[k].push(p) });
    const a = await train(spec('with-blank', 'with-blank.csv'), { out: path.join(dir, 'run-a'), backend: 'cpu', reporter: reporter('a') });
    const b = await train(spec('labelled', 'labelled.csv'), { out: path.join(dir, 'run-b'), backend: 'cpu', reporter: reporter('b') });
    // The progress lines: the same steps, numbered the same, with the same running means.
    assert.deepEqual(seen.a.map((p) => [p.epoch, p.step, p.steps, p.losses]), seen.b.map((p) => [p.epoch, p.step, p.steps, p.losses]));
    assert.equal(seen.a.length, 6);
    // Before: the blank batch counted toward stepsPerEpoch (run a trained 2 batches an epoch, b 3) and
    // entered the progress and weight averages as a step with loss 0.
    a.epochs.forEach((e, i) => {
      const o = b.epochs[i];
      assert.equal(e.steps, 3);
      assert.equal(o.steps, 3);
      for (const t of ['k', 'j']) assert.equal(e.train.tasks[t].loss, o.train.tasks[t].loss, `epoch ${i + 1} task ${t}`);
      assert.deepEqual(e.weights, { k: 0.5, j: 0.5 });
      assert.equal(e.diagnostics?.skippedBatches, 1);
      assert.equal(o.diagnostics?.skippedBatches, 0);
    });
    assert.deepEqual(
      fs.readFileSync(path.join(dir, 'run-a', 'checkpoints', 'last', 'weights.bin')),
      fs.readFileSync(path.join(dir, 'run-b', 'checkpoints', 'last', 'weights.bin')),
      'final weights differ',
    );
  });

  it("an epoch's task weight is the mean over the steps where the task was present, not a mean with the absent steps' 0", async () => {
    // j is labelled in batches 1, 4, 5, 6 only (rows 4..11 lack it; shuffle off): 4 of 6 steps.
    const onlyK = new Set([4, 5, 6, 7, 8, 9, 10, 11]);
    const line = (i: number) => `${(i % 5) / 4},${(i % 3) / 2},${(i % 5) % 3},${onlyK.has(i) ? '' : i % 2}`;
    fs.writeFileSync(path.join(dir, 'sparse-j.csv'), 'a,b,k,j\n' + rows.map(line).join('\n') + '\n');
    const file = spec('sparse-j', 'sparse-j.csv');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('stepsPerEpoch: 3', 'stepsPerEpoch: 6').replace('{method: equal}', '{method: static, weights: {k: 1, j: 2}}'));
    const m = await train(file, { out: path.join(dir, 'run-sparse'), backend: 'cpu', reporter: silentReporter });
    for (const e of m.epochs) {
      assert.deepEqual(e.diagnostics?.presentSteps, { k: 6, j: 4 });
      // By hand: static gives j weight 2 in each of its 4 steps (before: 2·4/6 = 1.333…).
      assert.deepEqual(e.weights, { k: 1, j: 2 });
    }
  });
});
