// The files data type end to end: missing labels through the train step and the evaluator, data
// errors before anything is written, data-state.json reused by eval, and `mtl data inspect`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { evaluateRun } from '../../src/train/run-eval';
import { MtlError } from '../../src/errors';
import { train } from '../../src/train/loop';
import { packageRoot } from '../../src/util/paths';

const root = packageRoot();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-files-e2e-'));

function mtl(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/mtl.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** 24 rows; the label of task k is a class index, present on even rows only when `half` is set. */
function table(rows: number[], half: boolean): string {
  return 'a,b,k\n' + rows.map((i) => `${(i % 5) / 4},${(i % 3) / 2},${half && i % 2 ? '' : (i % 5) % 3}`).join('\n') + '\n';
}

function spec(name: string, trainFile: string, testFile: string, extra = ''): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    `name: ${name}
seed: 5
data:
  type: files
  train: {format: csv, path: ${trainFile}}
  test: {format: csv, path: ${testFile}}
  inputs:
    x: {columns: [a, b]}
  targets:
    k: {column: k, type: classification, classes: 3}
inputs:
  x: {shape: [2]}
backbone:
  - dense: {units: 8, activation: tanh}
tasks:
  k:
    type: classification
    head: [{dense: {units: 3, activation: softmax}}]
    loss: sparse-categorical-crossentropy
    metrics: [accuracy]
train:
  epochs: 3
  batchSize: 64
  shuffle: false
  validation: none
  optimizer: {type: sgd, learningRate: 0.5}
${extra}`,
  );
  return file;
}

const all = Array.from({ length: 24 }, (_, i) => i);
fs.writeFileSync(path.join(dir, 'half.csv'), table(all, true));
fs.writeFileSync(path.join(dir, 'labelled.csv'), table(all.filter((i) => i % 2 === 0), false));

describe('missing labels end to end', () => {
  it('a task with half its labels missing trains exactly like the labelled half', async () => {
    const a = await train(spec('half', 'half.csv', 'half.csv'), { out: path.join(dir, 'run-half'), backend: 'cpu' });
    const b = await train(spec('labelled', 'labelled.csv', 'labelled.csv'), { out: path.join(dir, 'run-labelled'), backend: 'cpu' });
    // One full batch per epoch: the masked mean over 24 rows is the mean over the 12 labelled ones,
    // so every step has the same gradient and the same loss.
    a.epochs.forEach((e, i) => assert.ok(Math.abs(e.train.tasks.k.loss - b.epochs[i].train.tasks.k.loss) < 1e-6, `epoch ${i + 1}: ${e.train.tasks.k.loss} vs ${b.epochs[i].train.tasks.k.loss}`));
    assert.notEqual(a.epochs[0].train.tasks.k.loss, a.epochs[2].train.tasks.k.loss, 'the model did train');
    // The evaluator drops the unlabelled rows from the loss and the metrics.
    assert.ok(Math.abs(a.test!.tasks.k.loss - b.test!.tasks.k.loss) < 1e-6);
    assert.equal(a.test!.tasks.k.accuracy, b.test!.tasks.k.accuracy);
    assert.equal(a.test!.samples, 24);
  });
});

describe('data errors and data state', () => {
  it('a bad row is a data error naming file and line, and no run folder is created', async () => {
    fs.writeFileSync(path.join(dir, 'bad.csv'), table(all, false).replace('\n0.25,', '\n0.25x,'));
    const out = path.join(dir, 'run-bad');
    await assert.rejects(train(spec('bad', 'bad.csv', 'half.csv'), { out, backend: 'cpu' }), (e: unknown) => {
      assert.ok(e instanceof MtlError && e.kind === 'data');
      assert.deepEqual(e.problems[0].where, { file: path.join(dir, 'bad.csv'), line: 3 });
      return true;
    });
    assert.equal(fs.existsSync(out), false);
    const cli = mtl(['train', path.join(dir, 'bad.yaml'), '--out', out, '--backend', 'cpu', '--no-progress']);
    assert.equal(cli.code, 3, cli.stderr);
    assert.match(cli.stderr, /bad\.csv:3:1: inputs\.x: non-numeric value in columns a, b \(received "0\.25x"/);
    assert.doesNotMatch(cli.stderr, /at .*\.js:\d+/, 'no stack trace');
    assert.equal(fs.existsSync(out), false);
  });

  it('writes data-state.json and eval encodes with it', async () => {
    fs.writeFileSync(path.join(dir, 'named.csv'), 'a,b,k\n' + all.map((i) => `${i % 5},${i % 3},${['cat', 'dog', 'eel'][(i % 5) % 3]}`).join('\n') + '\n');
    const s = fs.readFileSync(spec('named', 'named.csv', 'named.csv'), 'utf8').replace('classes: 3}', 'classes: 3, categories: learn}').replace('x: {columns: [a, b]}', 'x: {columns: [a, b], normalize: true}');
    fs.writeFileSync(path.join(dir, 'named.yaml'), s);
    const out = path.join(dir, 'run-named');
    const res = await train(path.join(dir, 'named.yaml'), { out, backend: 'cpu' });
    const state = JSON.parse(fs.readFileSync(path.join(out, 'data-state.json'), 'utf8'));
    assert.deepEqual(state.encoders['targets.k'].categories, ['cat', 'dog', 'eel']);
    assert.equal(state.encoders['inputs.x'].count, 24);
    // Eval of the same checkpoint on the same split reproduces the training run's test metrics.
    const ev = await evaluateRun(out, { backend: 'cpu', checkpoint: 'best' });
    assert.ok(Math.abs(ev.record.tasks.k.loss - res.test!.tasks.k.loss) < 1e-6);
  });
});

describe('mtl data inspect', () => {
  it('reports rows, shapes, label distributions, missing rates and vocabularies as JSON', () => {
    const r = mtl(['data', 'inspect', path.join(dir, 'half.yaml'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout);
    assert.equal(rep.data, 'files');
    assert.equal(rep.splits.train.rows, 24);
    assert.deepEqual(rep.splits.train.inputs.x, { shape: [2], dtype: 'float32' });
    const k = rep.splits.train.targets.k;
    assert.deepEqual([k.labelled, k.missing, k.missingRate], [12, 12, 0.5]);
    // Even rows i carry (i % 5) % 3: i = 0..22 step 2.
    const want: Record<string, number> = {};
    for (let i = 0; i < 24; i += 2) want[String((i % 5) % 3)] = (want[String((i % 5) % 3)] ?? 0) + 1;
    assert.deepEqual(k.distribution, want);
    assert.equal(rep.splits.val, undefined);
    assert.equal(rep.splits.test.rows, 24);
  });

  it('reports learnt vocabularies and prints a table', () => {
    const spec = path.join(root, 'configs/csv-example.yaml');
    const j = JSON.parse(mtl(['data', 'inspect', spec, '--json']).stdout);
    assert.equal(j.vocabularies['targets.type'], 3);
    assert.ok(j.splits.train.targets.balcony.missingRate > 0 && j.splits.train.targets.balcony.missingRate < 1);
    assert.equal(j.splits.train.rows + j.splits.val.rows, 160);
    const t = mtl(['data', 'inspect', spec]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^type\s+classification\s+\d+\s+0\.0%\s+flat:\d+ house:\d+ studio:\d+$/m);
  });
});
