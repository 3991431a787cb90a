// `mtl predict RUN INPUT` with a category the training data never had (an island "Atlantis" for a
// penguin model): the row is predicted from the out-of-vocabulary id, and predict now says how many
// values of INPUT were out of the vocabulary, per embedded input — counting kept rows only (by hand:
// 2 "Atlantis" rows kept; "Mu" and "Lemuria" are on rows left out for a bad number; 2 known islands).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { predictCommand } from '../../../src/cli/commands/predict';
import { silentReporter } from '../../../src/train/events';
import { train } from '../../../src/train/loop';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-predict-oov-'));
const islands = ['Biscoe', 'Dream', 'Torgersen'];
fs.writeFileSync(path.join(dir, 'train.csv'), ['x,island,y', ...Array.from({ length: 24 }, (_, i) => `${i},${islands[i % 3]},${i % 2}`)].join('\n') + '\n');
fs.writeFileSync(path.join(dir, 'new.csv'), 'x,island\n1,Atlantis\n2,Dream\nbad,Mu\nx,Lemuria\n4,Atlantis\n5,Biscoe\n');
fs.writeFileSync(
  path.join(dir, 'spec.yaml'),
  `name: oov
data:
  type: files
  train: {format: csv, path: train.csv}
  inputs: {x: {column: x}, island: {column: island, encoding: embedding, vocabulary: 8}}
  targets: {y: {column: y, type: binary}}
inputs:
  x: {shape: [1]}
  island: {shape: [1], dtype: int32}
features: {island: {embedding: 2}, x: }
backbone: [{dense: {units: 3, activation: relu}}]
tasks:
  y: {type: binary, head: [{dense: {units: 1, activation: sigmoid}}], loss: binary-crossentropy}
train: {epochs: 1, batchSize: 8, validation: none}
`,
);

describe('predict: values outside the training vocabulary', () => {
  it('counts them per embedded input on the kept rows and warns', async () => {
    const run = path.join(dir, 'run');
    await train(path.join(dir, 'spec.yaml'), { out: run, backend: 'cpu', reporter: silentReporter });
    const err: string[] = [];
    let rows = 0;
    const opts = { checkpoint: 'best', format: 'jsonl' as const, topK: '1', labels: false, backend: 'cpu' as const };
    await predictCommand(run, path.join(dir, 'new.csv'), opts, { out: () => rows++, err: (l: string) => err.push(l), isTTY: false });
    assert.equal(rows, 4, err.join('\n'));
    const warn = err.filter((l) => l.startsWith('warning:'));
    assert.deepEqual(warn, ['warning: input island: 2 values of ' + path.join(dir, 'new.csv') + " not in the training vocabulary (each predicted with the out-of-vocabulary id, whose vector training rarely or never saw; mtl data inspect counts them in the run's own splits)"]);
  });
});
