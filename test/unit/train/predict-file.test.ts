// `mtl predict RUN INPUT` on tiny `files` runs trained here: the preprocessing learnt in training
// (z-scores, learnt class names) applied to a new file, predictions equal to the model's forward pass
// on inputs z-scored by hand, regression values = output · std + mean with the statistics computed by
// hand, Siamese distances equal to the distance of two embeddings computed by hand from the weights,
// bad rows reported as file:line (or exit 3 with --strict and no output file), bounded memory on a
// long file, and --checkpoint PATH for predict and eval.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { formatProblem, MtlError, type Problem } from '../../../src/errors';
import { loadModelFiles } from '../../../src/model/files';
import { train } from '../../../src/train/loop';
import { decodingsOf, predictRun, type PredictionRow } from '../../../src/train/predict';
import { evaluateRun } from '../../../src/train/run-eval';
import { packageRoot } from '../../../src/util/paths';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { useBackend } from '../../helpers/backend';

const SPEC = `name: pf
seed: 5
data:
  type: files
  train: {format: csv, path: train.csv}
  test: {format: csv, path: test.csv}
  inputs:
    features: {columns: [x1, x2], normalize: true}
  targets:
    kind: {column: kind, type: classification, classes: 3, categories: learn}
    price: {column: price, type: regression, normalize: true}
inputs:
  features: {shape: [2]}
backbone:
  - dense: {units: 4, activation: tanh}
tasks:
  kind:
    type: classification
    head: [{dense: {units: 3, activation: softmax}}]
    loss: sparse-categorical-crossentropy
    metrics: [accuracy]
  price:
    type: regression
    head: [{dense: {units: 1}}]
    loss: mse
    metrics: [mae]
train: {epochs: 2, batchSize: 8, validation: test}
`;

// Training rows i = 0..23: x1 = i mod 4 (mean 1.5, population sd √1.25), x2 = 10·(i mod 2) (mean 5,
// sd 5), kind = a, b, c in turn, price = 100·(1 + i mod 4) (mean 250, sd √12500 = 111.80339887).
const trainCsv = ['x1,x2,kind,price', ...Array.from({ length: 24 }, (_, i) => `${i % 4},${10 * (i % 2)},${'abc'[i % 3]},${100 * (1 + (i % 4))}`)].join('\n');
const TEST_ROWS = [
  [0.5, 0, 'a', 120],
  [3, 10, 'c', 390],
  [1, 10, 'b', 250],
  [2.5, 0, 'a', 330],
] as const;
const testCsv = ['x1,x2,kind,price', ...TEST_ROWS.map((r) => r.join(','))].join('\n');
const zX1 = (v: number) => (v - 1.5) / Math.sqrt(1.25);
const zX2 = (v: number) => (v - 5) / 5;
const PRICE_MEAN = 250;
const PRICE_SD = Math.sqrt(12500);

const SIAMESE = `name: sia
seed: 5
data:
  type: files
  train: {format: csv, path: pairs.csv}
  inputs:
    a: {columns: [a1, a2]}
    b: {columns: [b1, b2]}
  targets:
    same: {column: same, type: binary}
inputs:
  a: {shape: [2]}
  b: {shape: [2]}
backbone:
  submodels:
    feature:
      - dense: {units: 3, activation: relu}
  nodes:
    f1: {apply: feature, inputs: [a]}
    f2: {apply: feature, inputs: [b]}
    d: {layer: {distance: {metric: euclidean}}, inputs: [f1, f2]}
  outputs: [d]
tasks:
  same:
    type: binary
    from: d
    head: [{dense: {units: 1, activation: sigmoid}}]
    loss: binary-crossentropy
    metrics: [accuracy]
train: {epochs: 1, batchSize: 8, validation: none}
`;

async function collect(run: string, opts: Parameters<typeof predictRun>[1]): Promise<PredictionRow[]> {
  const rows: PredictionRow[] = [];
  await predictRun(run, { backend: 'cpu', ...opts }, (r) => rows.push(r));
  return rows;
}

function mtl(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [path.join(packageRoot(), 'bin/mtl.js'), ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('predict on a file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-predict-'));
  const run = path.join(dir, 'run');
  const input = path.join(dir, 'new.csv');

  before(async () => {
    await useBackend('cpu');
    fs.writeFileSync(path.join(dir, 'train.csv'), trainCsv);
    fs.writeFileSync(path.join(dir, 'test.csv'), testCsv);
    fs.writeFileSync(path.join(dir, 'spec.yaml'), SPEC);
    await train(path.join(dir, 'spec.yaml'), { out: run, backend: 'cpu' });
    // The same rows as the test split; the second without labels (the columns are optional).
    fs.writeFileSync(input, ['x1,x2,kind,price', ...TEST_ROWS.map((r, i) => (i === 1 ? `${r[0]},${r[1]},,` : r.join(',')))].join('\n'));
  });

  it('learnt statistics are the hand-computed ones', () => {
    const st = JSON.parse(fs.readFileSync(path.join(run, 'data-state.json'), 'utf8')).encoders;
    assert.ok(Math.abs(st['targets.price'].mean[0] - PRICE_MEAN) < 1e-9);
    assert.ok(Math.abs(st['targets.price'].std[0] - PRICE_SD) < 1e-9);
    assert.deepEqual(st['targets.kind'].categories, ['a', 'b', 'c']);
  });

  it('equals the forward pass on inputs z-scored by hand: class names, probabilities, price = output·sd + mean', async () => {
    const rows = await collect(run, { input, topK: 3 });
    assert.deepEqual(rows.map((r) => r.row), [0, 1, 2, 3]);
    const { model } = await loadModelFiles(path.join(run, 'checkpoints', 'best'));
    const x = tf.tensor2d(TEST_ROWS.map((r) => [zX1(r[0]), zX2(r[1])]));
    const [probs, price] = (model.predict(x) as tf.Tensor[]).map((t) => t.arraySync() as number[][]);
    rows.forEach((r, i) => {
      const kind = r.tasks.kind as { class: number; name: string; probability: number; top: Array<{ class: number; name: string; probability: number }>; label?: number | null; labelName?: string };
      const best = probs[i].indexOf(Math.max(...probs[i]));
      assert.equal(kind.class, best);
      assert.equal(kind.name, 'abc'[best]);
      for (const t of kind.top) assert.ok(Math.abs(t.probability - probs[i][t.class]) < 1e-6);
      assert.deepEqual(kind.top.map((t) => t.name), kind.top.map((t) => 'abc'[t.class]));
      const value = (r.tasks.price as { value: number[] }).value[0];
      const byHand = price[i][0] * PRICE_SD + PRICE_MEAN;
      assert.ok(Math.abs(value - byHand) < 1e-3, `${value} vs ${byHand}`);
      if (i === 1) assert.equal(kind.label, null, 'no label in the row');
      else {
        assert.equal(kind.labelName, TEST_ROWS[i][2]);
        assert.deepEqual((r.tasks.price as { label: number[] }).label, [TEST_ROWS[i][3]], 'the label back in its units');
      }
    });
    model.dispose();
    // The same rows as the run's test split: the same predictions as the split mode (eval's rows).
    const split = await collect(run, { split: 'test', topK: 3 });
    for (const i of [0, 2, 3]) assert.deepEqual(rows[i], split[i]);
    assert.deepEqual((rows[1].tasks.kind as { top: unknown }).top, (split[1].tasks.kind as { top: unknown }).top);
  });

  it('bad rows: file:line messages, the rest predicted; --strict: a data error at the first', async () => {
    const bad = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(bad, ['{"x1": 1, "x2": 0}', '{"x1": 1}', '{"x1": [1, 2], "x2": 0}', '{"x1": 1, "x2": 0, "kind": "zzz"}', '{"x1": "abc", "x2": 0}', '{"x1": 2, "x2": 10, "kind": "b", "price": 300}'].join('\n'));
    const problems: Problem[][] = [];
    const stats = { records: 0, skipped: 0, maxRowsHeld: 0 };
    const rows = await collect(run, { input: bad, onProblems: (ps) => problems.push(ps), inputStats: stats });
    assert.deepEqual(rows.map((r) => r.row), [0, 5]);
    assert.deepEqual(stats, { records: 6, skipped: 4, maxRowsHeld: 2 });
    const lines = problems.map((ps) => formatProblem(ps[0]));
    assert.equal(lines.length, 4);
    // Only x2 is empty in that row: the message names it, not every column of the input.
    assert.match(lines[0], new RegExp(`^${bad}:2:1: inputs.features: column "x2" is empty \\(inputs cannot be missing`));
    assert.match(lines[1], new RegExp(`^${bad}:3:1: inputs.features: columns x1, x2 holds 3 values \\(allowed: 2`));
    assert.match(lines[2], new RegExp(`^${bad}:4:1: targets.kind: label "zzz" is not one of the categories learnt in training`));
    assert.match(lines[3], new RegExp(`^${bad}:5:1: inputs.features: non-numeric value .*received "abc"`));
    await assert.rejects(collect(run, { input: bad, strict: true }), (e: unknown) => e instanceof MtlError && e.kind === 'data' && e.problems[0].where.line === 2);
  });

  it('parquet INPUT (only named columns are read): the optional label column is read when present', async () => {
    const file = path.join(dir, 'new.parquet');
    const columnData = [
      { name: 'x1', data: TEST_ROWS.map((r) => r[0]), type: 'DOUBLE' as const },
      { name: 'x2', data: TEST_ROWS.map((r) => r[1]), type: 'DOUBLE' as const },
      { name: 'kind', data: TEST_ROWS.map((r) => r[2]), type: 'STRING' as const },
    ];
    fs.writeFileSync(file, Buffer.from(parquetWriteBuffer({ columnData })));
    const rows = await collect(run, { input: file });
    assert.deepEqual(rows.map((r) => (r.tasks.kind as { labelName?: string }).labelName), TEST_ROWS.map((r) => r[2]));
    assert.deepEqual(rows.map((r) => (r.tasks.price as { label?: unknown }).label), [null, null, null, null], 'no price column: unlabelled');
    const csv = await collect(run, { input });
    assert.deepEqual(rows.map((r) => (r.tasks.kind as { top: unknown }).top), csv.map((r) => (r.tasks.kind as { top: unknown }).top));
  });

  it('a long file streams: at most one batch of rows held', async () => {
    const big = path.join(dir, 'big.csv');
    fs.writeFileSync(big, ['x1,x2', ...Array.from({ length: 1000 }, (_, i) => `${i % 5},${i % 3}`)].join('\n'));
    const stats = { records: 0, skipped: 0, maxRowsHeld: 0 };
    let n = 0;
    await predictRun(run, { input: big, backend: 'cpu', batchSize: 16, inputStats: stats }, () => n++);
    assert.equal(n, 1000);
    assert.equal(stats.records, 1000);
    assert.equal(stats.maxRowsHeld, 16);
  });

  it('--checkpoint PATH: predict and eval read a checkpoint folder; a missing one is a checkpoint error naming it', async () => {
    const last = path.join(run, 'checkpoints', 'last');
    assert.deepEqual(await collect(run, { input, checkpoint: last }), await collect(run, { input, checkpoint: 'last' }));
    const byPath = await evaluateRun(run, { checkpoint: last, backend: 'cpu' });
    const byName = await evaluateRun(run, { checkpoint: 'last', backend: 'cpu' });
    assert.deepEqual(byPath.record.tasks, byName.record.tasks);
    assert.equal(byPath.record.epoch, byName.record.epoch);
    // Each checkpoint its own record: the best one's eval-test.json (what training's final test writes) is left alone.
    assert.equal(byName.file, path.join(run, 'eval-test-last.json'));
    assert.equal(byPath.file, path.join(run, `eval-test-path-${createHash('sha1').update(last).digest('hex').slice(0, 8)}.json`));
    assert.equal(JSON.parse(fs.readFileSync(byName.file, 'utf8')).checkpoint, 'last');
    assert.equal(JSON.parse(fs.readFileSync(byPath.file, 'utf8')).checkpoint, last);
    assert.equal((await evaluateRun(run, { backend: 'cpu' })).file, path.join(run, 'eval-test.json'));
    const bestRecord = fs.readFileSync(path.join(run, 'eval-test.json'), 'utf8');
    await evaluateRun(run, { checkpoint: 'last', backend: 'cpu' });
    assert.equal(fs.readFileSync(path.join(run, 'eval-test.json'), 'utf8'), bestRecord);
    const nowhere = path.join(dir, 'nowhere');
    for (const p of [collect(run, { input, checkpoint: nowhere }), evaluateRun(run, { checkpoint: nowhere, backend: 'cpu' })]) {
      await assert.rejects(p, (e: unknown) => e instanceof MtlError && e.kind === 'checkpoint' && e.message.includes(nowhere));
    }
  });

  it('the CLI: exit 3 and no output file with --strict, file:line lines on stderr without; exit 4 for a bad checkpoint path', () => {
    const bad = path.join(dir, 'bad.jsonl');
    const out = path.join(dir, 'out.jsonl');
    const strict = mtl(['predict', run, bad, '--strict', '--out', out, '--backend', 'cpu'], dir);
    assert.equal(strict.code, 3, strict.stderr);
    assert.match(strict.stderr, /bad\.jsonl:2:1: inputs\.features/);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('out.jsonl')), [], 'nothing half-written');
    const lenient = mtl(['predict', run, bad, '--out', out, '--backend', 'cpu'], dir);
    assert.equal(lenient.code, 0, lenient.stderr);
    assert.equal(lenient.stderr.split('\n').filter((l) => /bad\.jsonl:\d+:1: /.test(l)).length, 4);
    assert.match(lenient.stderr, /2 rows of .*bad\.jsonl.* 4 rows left out/);
    const written = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(written.map((r) => r.row), [0, 5]);
    assert.equal('label' in written[0].tasks.kind, false, 'an unlabelled row shows no label');
    assert.equal(written[1].tasks.kind.labelName, 'b');
    // Only bad rows: not a result — exit 3 and nothing written, with or without --strict.
    const allBad = path.join(dir, 'all-bad.jsonl');
    fs.writeFileSync(allBad, fs.readFileSync(bad, 'utf8').trim().split('\n').slice(1, 5).join('\n') + '\n');
    const none = mtl(['predict', run, allBad, '--out', path.join(dir, 'none.jsonl'), '--backend', 'cpu'], dir);
    assert.equal(none.code, 3, none.stderr);
    assert.match(none.stderr, /all-bad\.jsonl: none of the 4 rows could be read/);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('none.jsonl')), [], 'nothing written');
    const broken = path.join(dir, 'broken');
    fs.cpSync(path.join(run, 'checkpoints', 'last'), broken, { recursive: true });
    fs.writeFileSync(path.join(broken, 'model.json'), '{"not": "a model"');
    for (const args of [['eval', run, '--checkpoint', path.join(dir, 'nowhere')], ['predict', run, input, '--checkpoint', broken]]) {
      const r = mtl([...args, '--backend', 'cpu'], dir);
      assert.equal(r.code, 4, r.stderr);
      assert.ok(r.stderr.includes(args[3]), r.stderr);
    }
    // --out in a folder that does not exist yet: created; under a regular file: a usage error, no stack.
    const nested = path.join(dir, 'new', 'deeper', 'p.jsonl');
    assert.equal(mtl(['predict', run, input, '--out', nested, '--backend', 'cpu'], dir).code, 0);
    assert.ok(fs.statSync(nested).size > 0);
    const underFile = mtl(['predict', run, input, '--out', path.join(out, 'p.jsonl'), '--backend', 'cpu'], dir);
    assert.equal(underFile.code, 2, underFile.stderr);
    assert.match(underFile.stderr, /cannot write the predictions to .*ENOTDIR/);
    assert.doesNotMatch(underFile.stderr, /internal error|\n\s+at /);
  });
});

const NER = `name: ner
seed: 3
data:
  type: files
  train: {format: conll, path: train.conll, columns: [token, tag]}
  inputs:
    tokens: {field: token, encoding: tokens, length: 6, vocabulary: 30}
  targets:
    tags: {field: tag, type: classification, classes: 3, categories: learn, length: 6}
inputs:
  tokens: {shape: [6], dtype: int32}
backbone:
  - embedding: {inputDim: 30, outputDim: 4}
tasks:
  tags:
    type: classification
    head: [{crf: {numTags: 3}}]
    loss: crf-nll
    metrics: [{type: entity-f1, tags: learn}]
train: {epochs: 1, batchSize: 8, validation: none}
`;

describe('predict: tagging with learnt tags', () => {
  before(() => useBackend('cpu'));

  it('names the learnt tags (tags: learn needs them without the training data), gives each entity its words, reports a bad tag at its own line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-predict-ner-'));
    const sentence = (n: string, c: string) => `${n}\tB-PER\nlives\tO\nin\tO\n${c}\tB-LOC\n`;
    fs.writeFileSync(path.join(dir, 'train.conll'), Array.from({ length: 16 }, (_, i) => sentence(['john', 'mary'][i % 2], ['paris', 'rome'][i % 2])).join('\n'));
    fs.writeFileSync(path.join(dir, 'spec.yaml'), NER);
    const run = path.join(dir, 'run');
    await train(path.join(dir, 'spec.yaml'), { out: run, backend: 'cpu' });
    fs.writeFileSync(path.join(dir, 'new.jsonl'), '{"token": "anna lives in rome"}\n{"token": ["mary", "in", "lima"]}\n');
    const rows = await collect(run, { input: path.join(dir, 'new.jsonl') });
    const words = [['anna', 'lives', 'in', 'rome'], ['mary', 'in', 'lima']];
    rows.forEach((r, i) => {
      const p = r.tasks.tags as { classes: number[]; tags: string[]; entities?: Array<{ start: number; end: number; text: string }> };
      assert.equal(p.classes.length, words[i].length, 'one tag per word, padding cut');
      // Learnt categories in code-point order: B-LOC, B-PER, O.
      assert.deepEqual(p.tags, p.classes.map((c) => ['B-LOC', 'B-PER', 'O'][c]));
      for (const e of p.entities ?? []) assert.equal(e.text, words[i].slice(e.start, e.end).join(' '));
    });
    const bad = path.join(dir, 'new.conll');
    fs.writeFileSync(bad, `${sentence('john', 'paris')}\nbob\tB-PER\nlives\tO\nin\tO\nparis\tX-LOC\n`);
    const problems: Problem[] = [];
    const ok = await collect(run, { input: bad, onProblems: (ps) => problems.push(...ps) });
    assert.equal(ok.length, 1);
    assert.equal(formatProblem(problems[0]).startsWith(`${bad}:9:1: targets.tags: label "X-LOC"`), true, formatProblem(problems[0]));
  });

  it('a split of the run\'s data (token ids only) shows each entity\'s words from the learnt vocabulary, <unk> for an unknown word', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-predict-ner-split-'));
    const sentence = (n: string, c: string) => `${n}\tB-PER\nlives\tO\nin\tO\n${c}\tB-LOC\n`;
    fs.writeFileSync(path.join(dir, 'train.conll'), Array.from({ length: 16 }, (_, i) => sentence(['john', 'mary'][i % 2], ['paris', 'rome'][i % 2])).join('\n'));
    // Training words: john, mary, lives, in, paris, rome; bob and lima are not among them.
    const test = [['mary', 'lives', 'in', 'paris'], ['bob', 'lives', 'in', 'lima'], ['john', 'lives', 'in', 'lima']];
    fs.writeFileSync(path.join(dir, 'test.conll'), test.map((w) => sentence(w[0], w[3]).replace(/^lives/m, w[1])).join('\n'));
    const spec = NER.replace('columns: [token, tag]}', 'columns: [token, tag]}\n  test: {format: conll, path: test.conll, columns: [token, tag]}').replace('train: {epochs: 1, batchSize: 8, validation: none}', 'train: {epochs: 25, batchSize: 8, validation: none, optimizer: {type: adam, learningRate: 0.05}}');
    fs.writeFileSync(path.join(dir, 'spec.yaml'), spec);
    const run = path.join(dir, 'run');
    await train(path.join(dir, 'spec.yaml'), { out: run, backend: 'cpu' });
    const rows = await collect(run, { split: 'test' });
    const known = new Set(['john', 'mary', 'lives', 'in', 'paris', 'rome']);
    const shown = test.map((ws) => ws.map((w) => (known.has(w) ? w : '<unk>')));
    let entities = 0;
    rows.forEach((r, i) => {
      const p = r.tasks.tags as { entities?: Array<{ start: number; end: number; text: string }> };
      for (const e of p.entities ?? []) {
        entities++;
        assert.equal(e.text, shown[i].slice(e.start, e.end).join(' '));
      }
    });
    assert.ok(entities >= 3, `the trained tagger finds entities (${entities})`);
    // The sentence with two unknown words: its entities name them <unk>, where INPUT's words would be bob and lima.
    assert.ok((rows[1].tasks.tags as { entities?: Array<{ text: string }> }).entities?.some((e) => e.text === '<unk>'));
  });
});

describe('predict: Siamese distances', () => {
  before(() => useBackend('cpu'));

  it('equal the euclidean distance of the two embeddings computed by hand from the shared weights', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-predict-sia-'));
    const pairs = ['a1,a2,b1,b2,same', ...Array.from({ length: 16 }, (_, i) => `${i % 3},${i % 2},${i % 3},${(i + 1) % 2},${i % 2}`)].join('\n');
    fs.writeFileSync(path.join(dir, 'pairs.csv'), pairs);
    fs.writeFileSync(path.join(dir, 'spec.yaml'), SIAMESE);
    const run = path.join(dir, 'run');
    await train(path.join(dir, 'spec.yaml'), { out: run, backend: 'cpu' });
    const rowsIn = [[1, 2, -1, 0.5], [0.3, 0.3, 0.3, 0.3], [2, -1, 0, 4]];
    fs.writeFileSync(path.join(dir, 'new.jsonl'), rowsIn.map(([a1, a2, b1, b2]) => JSON.stringify({ a1, a2, b1, b2 })).join('\n'));
    const rows = await collect(run, { input: path.join(dir, 'new.jsonl'), checkpoint: 'last' });
    const { model } = await loadModelFiles(path.join(run, 'checkpoints', 'last'));
    const [w, b] = model.getLayer('shared_feature_1_dense').getWeights().map((t) => t.arraySync()) as [number[][], number[]];
    model.dispose();
    const embed = (x: number[]) => b.map((bj, j) => Math.max(0, x[0] * w[0][j] + x[1] * w[1][j] + bj));
    rows.forEach((r, i) => {
      const [e1, e2] = [embed(rowsIn[i].slice(0, 2)), embed(rowsIn[i].slice(2))];
      const d = Math.sqrt(Math.max(e1.reduce((s, v, j) => s + (v - e2[j]) ** 2, 0), 1e-7));
      assert.ok(Math.abs(r.distances!.d - d) < 1e-5, `${r.distances!.d} vs ${d}`);
    });
    assert.ok(rows[1].distances!.d < 1e-3, 'identical inputs: distance ~0 (the floor √1e-7)');
    // The binary task's 0/1: its probability above accuracy's default threshold 0.5.
    for (const r of rows) {
      const same = r.tasks.same as { probabilities: number[]; predicted: number[] };
      assert.deepEqual(same.predicted, [same.probabilities[0] > 0.5 ? 1 : 0]);
    }
  });

  it("a binary task's 0/1 is decided at its accuracy metric's threshold when the spec sets one", () => {
    const tasks = {
      set: { type: 'binary', metrics: [{ type: 'auc' }, { type: 'accuracy', threshold: 0.7 }] },
      unset: { type: 'binary', metrics: [{ type: 'accuracy' }] },
    };
    const d = decodingsOf({ tasks } as unknown as Parameters<typeof decodingsOf>[0], {}, {}, true);
    assert.equal(d.set.threshold, 0.7);
    assert.equal(d.unset.threshold, undefined, 'none: decodeTask uses 0.5');
  });
});
