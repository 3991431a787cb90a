// `mtl train` shows the preflight warnings (train/preflight.ts) — the lines `mtl validate` prints — on
// stderr before training, and records them in metrics.json (run.warnings).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../../src/util/paths';

const root = packageRoot();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-warnings-'));

const mtl = (args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/mtl.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });

fs.writeFileSync(path.join(dir, 'd.csv'), 'a,b,k,j\n' + Array.from({ length: 8 }, (_, i) => `${i / 8},${(i % 3) / 2},${i % 3},${i % 2}`).join('\n') + '\n');

function spec(weight: number): string {
  const file = path.join(dir, `w${weight}.yaml`);
  fs.writeFileSync(
    file,
    `name: w${weight}
seed: 1
data:
  type: files
  train: {format: csv, path: d.csv}
  test: {format: csv, path: d.csv}
  inputs: {x: {columns: [a, b]}}
  targets:
    k: {column: k, type: classification, classes: 3}
    j: {column: j, type: classification, classes: 2}
inputs: {x: {shape: [2]}}
backbone: [{dense: {units: 4, activation: tanh}}]
tasks:
  k: {type: classification, head: [{dense: {units: 3, activation: softmax}}], loss: sparse-categorical-crossentropy, weight: ${weight}}
  j: {type: classification, head: [{dense: {units: 2, activation: softmax}}], loss: sparse-categorical-crossentropy}
weighting: {method: equal}
train: {epochs: 1, batchSize: 8, validation: none, evaluateTest: false}
`,
  );
  return file;
}

const EXPECTED = 'tasks.k.weight is ignored by weighting method "equal" (only static and stch read task weights)';

describe('mtl train shows and records the preflight warnings', () => {
  it('prints the warning validate prints, before training, and writes it to metrics.json', () => {
    const file = spec(3);
    const validate = mtl(['validate', file]);
    assert.ok(validate.stderr.includes(EXPECTED), validate.stderr);
    const out = path.join(dir, 'run');
    const r = mtl(['train', file, '--out', out, '--backend', 'cpu', '--no-progress']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stderr.split('\n');
    const at = lines.indexOf(`warning: ${EXPECTED}`);
    assert.ok(at >= 0, r.stderr);
    assert.ok(at < lines.findIndex((l) => l.startsWith('epoch 1/1')), 'the warning comes before training');
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')).run.warnings, [EXPECTED]);
  });

  it('a spec without anything to warn about: no warning line, run.warnings empty', () => {
    const out = path.join(dir, 'run-clean');
    const r = mtl(['train', spec(1), '--out', out, '--backend', 'cpu', '--no-progress']);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /^warning:/m);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')).run.warnings, []);
  });
});
