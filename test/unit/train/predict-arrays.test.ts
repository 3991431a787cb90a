// `mtl predict RUN INPUT` with idx/npy INPUT, one file per field: a folder of files named after the
// fields, or --input FIELD=PATH. MultiFashion test canvases composed here from the Fashion-MNIST test
// items (uint8, pixel-wise maximum, written as idx and idx.gz) and a `files` run's npy test arrays
// (with and without the label file) predict exactly as the run's test split. Bad files — rows of the
// wrong shape, fields with different row counts, a truncated file, a missing field file — are data
// errors naming the file (exit 3 from the CLI); a field the run does not read is a usage error.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { encodeIdx, writeIdx } from '../../../src/data/formats/idx';
import { encodeNpy } from '../../../src/data/formats/npy';
import { bundledDir, drawPairs, loadSplit } from '../../../src/data/recipes/multifashion';
import { MtlError } from '../../../src/errors';
import { train } from '../../../src/train/loop';
import { predictRun, type PredictionRow } from '../../../src/train/predict';
import { mixSeed } from '../../../src/util/random';
import { packageRoot } from '../../../src/util/paths';
import { useBackend } from '../../helpers/backend';

const FASHION = `name: mf
seed: 7
data: {type: multifashion, trainSize: 64, testSize: 20}
inputs:
  image: {shape: [36, 36, 1]}
backbone:
  - flatten:
  - dense: {units: 8, activation: relu}
tasks:
  left: {type: classification, head: [{dense: {units: 10, activation: softmax}}], loss: sparse-categorical-crossentropy}
  right: {type: classification, head: [{dense: {units: 10, activation: softmax}}], loss: sparse-categorical-crossentropy}
train: {epochs: 1, batchSize: 16, validation: none}
`;

const NPY = `name: arrays
seed: 5
data:
  type: files
  train: {format: npy, files: {x: train-x.npy, y: train-y.npy}}
  test: {format: npy, files: {x: test-x.npy, y: test-y.npy}}
  inputs:
    x: {field: x, shape: [3], normalize: true}
  targets:
    y: {field: y, type: classification, classes: 3}
inputs:
  x: {shape: [3]}
backbone:
  - dense: {units: 4, activation: tanh}
tasks:
  y: {type: classification, head: [{dense: {units: 3, activation: softmax}}], loss: sparse-categorical-crossentropy}
train: {epochs: 2, batchSize: 4, validation: none}
`;

async function collect(run: string, opts: Parameters<typeof predictRun>[1]): Promise<PredictionRow[]> {
  const rows: PredictionRow[] = [];
  await predictRun(run, { backend: 'cpu', ...opts }, (r) => rows.push(r));
  return rows;
}

/** The data error (or usage error) predictRun ends with. */
async function failure(run: string, opts: Parameters<typeof predictRun>[1]): Promise<MtlError> {
  try {
    await collect(run, opts);
  } catch (e) {
    if (e instanceof MtlError) return e;
    throw e;
  }
  assert.fail('expected an error');
}

const npy = (file: string, dtype: 'float32' | 'int32', shape: number[], values: number[]) =>
  fs.writeFileSync(file, encodeNpy({ dtype, shape, data: dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values) }));

describe('predict INPUT in idx/npy: one file per field', () => {
  before(() => useBackend('cpu'));

  it('MultiFashion canvases as a uint8 idx (folder, --input, gzip) predict as the test split; bad files name themselves', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-predict-idx-'));
    fs.writeFileSync(path.join(dir, 'spec.yaml'), FASHION);
    const run = path.join(dir, 'run');
    await train(path.join(dir, 'spec.yaml'), { out: run, backend: 'cpu' });
    // The test pairs as the recipe draws them; each canvas composed here: item 1 at (0, 0), item 2 at
    // (8, 8), overlapping pixels the larger value, 0–255 as in the Fashion-MNIST files.
    const test = loadSplit(bundledDir(), 'test');
    const pairs = drawPairs(20, test.size, mixSeed(7, 2));
    const canvases = new Uint8Array(20 * 36 * 36);
    for (let k = 0; k < 20; k++) {
      for (const [item, off] of [[pairs[2 * k], 0], [pairs[2 * k + 1], 8]]) {
        for (let r = 0; r < 28; r++) {
          for (let c = 0; c < 28; c++) {
            const at = k * 1296 + (r + off) * 36 + c + off;
            canvases[at] = Math.max(canvases[at], test.images[item * 784 + r * 28 + c]);
          }
        }
      }
    }
    const folder = path.join(dir, 'new');
    fs.mkdirSync(folder);
    writeIdx(path.join(folder, 'image.idx'), { dtype: 'uint8', dims: [20, 36, 36], data: canvases });
    const split = await collect(run, { split: 'test', labels: false });
    assert.equal(split.length, 20);
    assert.deepEqual(await collect(run, { input: folder }), split);
    const gz = path.join(dir, 'canvases.idx.gz');
    writeIdx(gz, { dtype: 'uint8', dims: [20, 36, 36], data: canvases }, { gzip: true });
    assert.deepEqual(await collect(run, { inputFields: { image: gz } }), split);
    // The model reads one field: one idx file is enough.
    assert.deepEqual(await collect(run, { input: gz }), split);

    // Rows of 28×28: every row is wrong, so the file is.
    const small = path.join(dir, 'small.idx');
    writeIdx(small, { dtype: 'uint8', dims: [3, 28, 28], data: new Uint8Array(3 * 784) });
    const wrong = await failure(run, { inputFields: { image: small } });
    assert.equal(wrong.kind, 'data');
    assert.deepEqual(wrong.problems[0].where, { file: small });
    assert.match(wrong.problems[0].message, /each row of "image" is \[28, 28\] \(784 values\)/);
    assert.match(String(wrong.problems[0].allowed), /^1296 values per row \(shape \[36, 36, 1\]\)/);
    // Truncated: the header declares 20 canvases, the file holds 19.5.
    const cut = path.join(dir, 'cut.idx');
    fs.writeFileSync(cut, encodeIdx({ dtype: 'uint8', dims: [20, 36, 36], data: canvases }).subarray(0, 16 + 19.5 * 1296));
    const truncated = await failure(run, { inputFields: { image: cut } });
    assert.equal(truncated.kind, 'data');
    assert.deepEqual(truncated.problems[0].where, { file: cut });
    assert.match(truncated.problems[0].message, /^truncated file/);
    // A folder without a file for the model input: the did-you-mean names the near miss.
    const typo = path.join(dir, 'typo');
    fs.mkdirSync(typo);
    fs.copyFileSync(path.join(folder, 'image.idx'), path.join(typo, 'images.idx'));
    const missing = await failure(run, { input: typo });
    assert.equal(missing.kind, 'data');
    assert.match(missing.problems[0].message, /no file for field "image"/);
    assert.match(String(missing.problems[0].hint), /images/);
    const unknown = await failure(run, { inputFields: { image: gz, imgae: gz } });
    assert.equal(unknown.kind, 'usage');
  });

  it('a files run\'s npy test arrays (folder with and without labels) predict as its test split; mismatched and misshapen files are exit 3 naming the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-predict-npy-'));
    const xs = (n: number, from: number) => Array.from({ length: n * 3 }, (_, i) => ((i * 7 + from) % 11) / 3);
    const ys = (n: number, from: number) => Array.from({ length: n }, (_, i) => (i + from) % 3);
    npy(path.join(dir, 'train-x.npy'), 'float32', [24, 3], xs(24, 0));
    npy(path.join(dir, 'train-y.npy'), 'int32', [24], ys(24, 0));
    npy(path.join(dir, 'test-x.npy'), 'float32', [6, 3], xs(6, 5));
    npy(path.join(dir, 'test-y.npy'), 'int32', [6], ys(6, 1));
    fs.writeFileSync(path.join(dir, 'spec.yaml'), NPY);
    const run = path.join(dir, 'run');
    await train(path.join(dir, 'spec.yaml'), { out: run, backend: 'cpu' });
    const labelled = path.join(dir, 'labelled');
    const bare = path.join(dir, 'bare');
    for (const d of [labelled, bare]) fs.mkdirSync(d);
    fs.copyFileSync(path.join(dir, 'test-x.npy'), path.join(labelled, 'x.npy'));
    fs.copyFileSync(path.join(dir, 'test-y.npy'), path.join(labelled, 'y.npy'));
    fs.copyFileSync(path.join(dir, 'test-x.npy'), path.join(bare, 'x.npy'));
    const split = await collect(run, { split: 'test' });
    assert.equal(split.length, 6);
    const withLabels = await collect(run, { input: labelled });
    assert.deepEqual(withLabels, split);
    assert.deepEqual(withLabels.map((r) => (r.tasks.y as { label: number }).label), [1, 2, 0, 1, 2, 0]);
    const unlabelled = await collect(run, { split: 'test', labels: false });
    assert.deepEqual(await collect(run, { input: bare, labels: false }), unlabelled);
    assert.deepEqual(await collect(run, { input: path.join(bare, 'x.npy'), labels: false }), unlabelled, 'one npy file: the one input field');

    // Labels for 5 rows against 6 inputs; inputs of 4 values where the run reads 3.
    npy(path.join(bare, 'y.npy'), 'int32', [5], ys(5, 1));
    const count = await failure(run, { input: bare });
    assert.equal(count.kind, 'data');
    assert.deepEqual(count.problems[0].where, { file: path.join(bare, 'y.npy') });
    assert.match(count.problems[0].message, /^5 rows, but x\.npy has 6/);
    const wide = path.join(dir, 'wide.npy');
    npy(wide, 'float32', [2, 4], [1, 2, 3, 4, 5, 6, 7, 8]);
    const shape = await failure(run, { inputFields: { x: wide } });
    assert.deepEqual(shape.problems[0].where, { file: wide });
    assert.match(shape.problems[0].message, /inputs\.x: each row of "x" is \[4\] \(4 values\)/);
    // The CLI: exit 3 with the file named, no output file; --input and a bad pair.
    const cli = (args: string[]) => spawnSync(process.execPath, [path.join(packageRoot(), 'bin/mtl.js'), 'predict', run, ...args, '--backend', 'cpu'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    const out = path.join(dir, 'p.jsonl');
    const bad = cli(['--input', `x=${wide}`, '--out', out]);
    assert.equal(bad.status, 3, bad.stderr);
    assert.match(bad.stderr, new RegExp(`${wide.replace(/[.]/g, '\\.')}: inputs\\.x: each row of "x" is \\[4\\]`));
    assert.equal(fs.existsSync(out), false);
    const ok = cli(['--input', `x=${path.join(labelled, 'x.npy')}`, '--input', `y=${path.join(labelled, 'y.npy')}`, '--out', out]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l)), JSON.parse(JSON.stringify(split)));
    assert.equal(cli(['--input', 'x']).status, 2);
    assert.equal(cli([labelled, '--input', `x=${wide}`]).status, 2);
  });
});
