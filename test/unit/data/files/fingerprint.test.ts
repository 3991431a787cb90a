// A run records its data files' size and SHA-256 (data-state.json); eval, predict --split and --resume
// warn when a file differs: test rows drawn by testFraction are a hash of each row's position, so the
// same rows in another order put training rows into the "test split" without a word (seen: penguins.json
// reversed after training, test accuracy 0.968 → 1.000). Expected digests from node:crypto directly.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { predictCommand } from '../../../../src/cli/commands/predict';
import { train } from '../../../../src/train/loop';
import { silentReporter } from '../../../../src/train/events';
import { evaluateRun } from '../../../../src/train/run-eval';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-fingerprint-'));
const csv = path.join(dir, 'd.csv');
const lines = Array.from({ length: 40 }, (_, i) => `${i},${(i * 7) % 10},${i % 2}`);
fs.writeFileSync(csv, ['a,b,k', ...lines].join('\n') + '\n');
fs.writeFileSync(
  path.join(dir, 'spec.yaml'),
  `name: fp
seed: 1
data:
  type: files
  train: {format: csv, path: d.csv}
  testFraction: 0.25
  inputs: {x: {columns: [a, b], normalize: true}}
  targets: {k: {column: k, type: binary}}
inputs:
  x: {shape: [2]}
backbone: [{dense: {units: 4, activation: relu}}]
tasks:
  k: {type: binary, head: [{dense: {units: 1, activation: sigmoid}}], loss: binary-crossentropy, metrics: [accuracy]}
train: {epochs: 1, batchSize: 8}
`,
);

describe('data files changed after training', () => {
  it('the run records each file; eval and predict --split warn once it differs', async () => {
    const run = path.join(dir, 'run');
    await train(path.join(dir, 'spec.yaml'), { out: run, backend: 'cpu', reporter: silentReporter });
    const state = JSON.parse(fs.readFileSync(path.join(run, 'data-state.json'), 'utf8'));
    const bytes = fs.readFileSync(csv);
    assert.deepEqual(state.files, { [csv]: { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') } });

    assert.equal((await evaluateRun(run, { backend: 'cpu' })).record.dataChanged, undefined, 'unchanged: no warning');

    // The same rows, reversed: the 25 % drawn for test are now other rows.
    fs.writeFileSync(csv, ['a,b,k', ...lines.reverse()].join('\n') + '\n');
    const { record } = await evaluateRun(run, { backend: 'cpu' });
    assert.equal(record.dataChanged?.length, 1);
    assert.match(record.dataChanged![0], new RegExp(`^the data file ${csv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has changed since the run trained \\(${bytes.length} bytes, sha256 ${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}… when the run trained; now ${bytes.length} bytes, `));
    assert.match(JSON.parse(fs.readFileSync(path.join(run, 'eval-test.json'), 'utf8')).dataChanged[0], /these numbers can include training rows/);

    const err: string[] = [];
    const opts = { checkpoint: 'best', format: 'jsonl' as const, topK: '1', labels: false, backend: 'cpu' as const };
    await predictCommand(run, undefined, opts, { out: () => undefined, err: (l: string) => err.push(l), isTTY: false });
    assert.match(err[0], /^warning: the data file .*d\.csv has changed since the run trained/);
  });
});
