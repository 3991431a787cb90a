// Issue 17 end to end: `unseen: other` through train, eval and predict (an unseen test label lands in the
// extra class and counts as wrong), and the learnt label order identical under LC_ALL=C and a UTF-8
// locale (spawned processes, since the locale is read at start-up).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../../src/util/paths';

const root = packageRoot();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-traps-e2e-'));

function mtl(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/mtl.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Sentences "w" labelled by their single word's intent. */
const conll = (labels: string[]) => labels.map((l) => `# label = ${l}\n${l.replace(/[^a-z]/gi, '') || 'x'}\tO\n`).join('\n');

function spec(name: string, classes: number, unseen: string): string {
  fs.writeFileSync(
    path.join(dir, `${name}.yaml`),
    `name: ${name}
seed: 3
data:
  type: files
  train: {format: conll, path: ${name}-train.conll}
  test: {format: conll, path: ${name}-test.conll}
  inputs:
    tokens: {field: token, encoding: tokens, length: 1, vocabulary: 20}
  targets:
    intent: {field: label, type: classification, classes: ${classes}, categories: learn, unseen: ${unseen}}
inputs:
  tokens: {shape: [1], dtype: int32}
backbone:
  - embedding: {inputDim: 20, outputDim: 4}
  - flatten:
tasks:
  intent:
    type: classification
    head: [{dense: {units: ${classes}, activation: softmax}}]
    loss: sparse-categorical-crossentropy
    metrics: [accuracy]
train: {epochs: 30, batchSize: 8, validation: none, optimizer: {type: adam, learningRate: 0.1}}
`,
  );
  return `${name}.yaml`;
}

describe('files traps end to end (issue 17)', () => {
  it('unseen: other trains, and eval counts the unseen test label as wrong', () => {
    // Train: two words, one intent each — learnt perfectly. Test: both words right, plus one unseen intent.
    fs.writeFileSync(path.join(dir, 'o-train.conll'), conll(['go', 'stop', 'go', 'stop']));
    fs.writeFileSync(path.join(dir, 'o-test.conll'), conll(['go', 'stop', 'wait']));
    const s = spec('o', 3, 'other');
    const t = mtl(['train', s, '--out', 'run-o', '--backend', 'cpu', '--no-progress']);
    assert.equal(t.code, 0, t.stderr);
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'run-o/data-state.json'), 'utf8'));
    assert.deepEqual(state.encoders['targets.intent'], { categories: ['go', 'stop'], other: '<other>' });
    const e = mtl(['eval', 'run-o', '--split', 'test', '--backend', 'cpu', '--json']);
    assert.equal(e.code, 0, e.stderr);
    const acc = JSON.parse(fs.readFileSync(path.join(dir, 'run-o/eval-test.json'), 'utf8'));
    // "wait" is a word never trained (out of vocabulary) labelled <other>: the model, never taught
    // <other>, cannot be right on it; go and stop are right → 2 of 3.
    assert.equal(acc.tasks.intent.accuracy, 2 / 3);
    // predict: the unseen row's label is the extra class 2 (<other>), and no prediction names it.
    const p = mtl(['predict', 'run-o', '--split', 'test', '--backend', 'cpu']);
    assert.equal(p.code, 0, p.stderr);
    const rows = p.stdout.trim().split('\n').map((l) => JSON.parse(l).tasks.intent);
    assert.deepEqual(rows.map((r) => r.label), [0, 1, 2]);
    assert.deepEqual(rows.slice(0, 2).map((r) => r.class), [0, 1]);
    assert.notEqual(rows[2].class, 2);
  });

  it('unseen: error names the label, its count and what to set', () => {
    fs.writeFileSync(path.join(dir, 'e-train.conll'), conll(['go', 'stop']));
    fs.writeFileSync(path.join(dir, 'e-test.conll'), conll(['go', 'wait', 'wait']));
    const r = mtl(['data', 'inspect', spec('e', 2, 'error')]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /1 label of test is not in the training data: "wait" ×2 \(first at line 4\).*set unseen: missing/);
  });

  it('learnt labels are in code-point order under LC_ALL=C and C.UTF-8', () => {
    const labels = ['b', 'B', 'a_b', 'a#b', 'A'];
    fs.writeFileSync(path.join(dir, 'l-train.conll'), conll(labels));
    fs.writeFileSync(path.join(dir, 'l-test.conll'), conll(labels));
    const s = spec('l', 5, 'error');
    const orders = ['C', 'C.UTF-8'].map((loc) => {
      const r = mtl(['data', 'inspect', s, '--json'], { LC_ALL: loc, LANG: loc });
      assert.equal(r.code, 0, r.stderr);
      return Object.keys(JSON.parse(r.stdout).splits.train.targets.intent.distribution);
    });
    // A 65 < B 66 < a 97; "a#b" < "a_b" (# 35 < _ 95) < b 98.
    assert.deepEqual(orders[0], ['A', 'B', 'a#b', 'a_b', 'b']);
    assert.deepEqual(orders[1], orders[0]);
  });
});
