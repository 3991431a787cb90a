// `mtl data inspect` on a z-scored regression target and a binary target, with values worked out by
// hand: the z-scores' mean is 0 (float32 rounding makes it −7.45e-9, which must print as 0.0000, not
// −0.0000), a binary task's labels are counted per value like classes, not shown as a range, and a
// multilabel task's per label (the rows that have it), a classification task with a categories list by
// the list's names (it printed class indices: nothing is learnt, so no names were saved).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { dataInspectCommand, inspectData } from '../../../../src/cli/commands/data';
import { fmt } from '../../../../src/cli/reporter';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-inspect-labels-'));
// y = 1, 1, 2, 6: mean 2.5, population std √4.25 = 2.0616 → z = −0.7276, −0.7276, −0.2425, 1.6977.
// b = 1, 0, 1, 1 → one 0 and three 1s; val b = 1, 1 → no 0 (shown as 0:0).
// Multilabel columns hot, cold, wet: (1,0,0) (1,1,0) (0,1,0) (1,0,0) → hot 3, cold 2, wet 0.
const hot = [[1, 0, 0], [1, 1, 0], [0, 1, 0], [1, 0, 0]];
// s (a list [F, M]): F, M, M, null → F 1, M 2 (one missing); val M, F → F 1, M 1.
const sex = ['F', 'M', 'M', null];
const rows = (ys: number[], bs: number[]) => ys.map((y, i) => JSON.stringify({ x: i, y, b: bs[i], hot: hot[i][0], cold: hot[i][1], wet: hot[i][2], s: bs.length === 2 ? ['M', 'F'][i] : sex[i] })).join('\n') + '\n';
fs.writeFileSync(path.join(dir, 'train.jsonl'), rows([1, 1, 2, 6], [1, 0, 1, 1]));
fs.writeFileSync(path.join(dir, 'val.jsonl'), rows([2.5, 2.5], [1, 1]));
fs.writeFileSync(
  path.join(dir, 'spec.yaml'),
  `name: inspect-labels
data:
  type: files
  inputs:
    x: {field: x}
  targets:
    y: {field: y, type: regression, normalize: true}
    b: {field: b, type: binary}
    m: {columns: [hot, cold, wet], type: multilabel}
    s: {field: s, type: classification, classes: 2, categories: [F, M]}
  train: {format: jsonl, path: train.jsonl}
  val: {format: jsonl, path: val.jsonl}
inputs:
  x: {shape: [1]}
backbone: [{dense: {units: 2}}]
tasks:
  y: {type: regression, head: [{dense: {units: 1}}], loss: mse}
  b: {type: binary, head: [{dense: {units: 1, activation: sigmoid}}], loss: binary-crossentropy}
  m: {type: multilabel, head: [{dense: {units: 3, activation: sigmoid}}], loss: binary-crossentropy}
  s: {type: classification, head: [{dense: {units: 2, activation: softmax}}], loss: sparse-categorical-crossentropy}
`,
);

describe('data inspect: z-scored and binary targets', () => {
  it('prints mean 0.0000 for z-scores and counts a binary task per label', async () => {
    const rep = await inspectData(path.join(dir, 'spec.yaml'));
    const train = rep.splits.train.targets;
    assert.deepEqual(train.b.distribution, { '0': 1, '1': 3 });
    assert.equal(train.b.range, undefined);
    assert.deepEqual(rep.splits.val.targets.b.distribution, { '0': 0, '1': 2 });
    assert.deepEqual(train.m.distribution, { hot: 3, cold: 2, wet: 0 });
    assert.deepEqual(rep.splits.val.targets.m.distribution, { hot: 2, cold: 1, wet: 0 }); // val: (1,0,0) (1,1,0)
    assert.equal(train.m.range, undefined);
    assert.deepEqual(train.s.distribution, { F: 1, M: 2 });
    assert.deepEqual(rep.splits.val.targets.s.distribution, { F: 1, M: 1 });
    assert.ok(Math.abs(train.y.range!.min - -1.5 / Math.sqrt(4.25)) < 1e-6);
    assert.ok(Math.abs(train.y.range!.max - 3.5 / Math.sqrt(4.25)) < 1e-6);
    const lines: string[] = [];
    await dataInspectCommand(path.join(dir, 'spec.yaml'), {}, { out: (l: string) => lines.push(l), err: () => undefined } as never);
    const row = (task: string) => lines.find((l) => l.startsWith(`${task} `))!;
    assert.match(row('y'), /-0\.7276\.\.1\.6977 \(mean 0\.0000\)$/, lines.join('\n'));
    assert.match(row('b'), /binary .* 0:1 1:3$/, lines.join('\n'));
    assert.match(row('m'), /multilabel .* hot:3 cold:2 wet:0$/, lines.join('\n'));
  });

  it('fmt never prints a negative zero', () => {
    assert.equal(fmt(-7.45e-9), '0.0000');
    assert.equal(fmt(-0), '0.0000');
    assert.equal(fmt(-0.00004), '0.0000');
    assert.equal(fmt(-0.00006), '-0.0001');
    assert.equal(fmt(-0.4, 1), '-0.4');
    assert.equal(fmt(-0.04, 1), '0.0');
    assert.equal(fmt(-1500.2), '-1500');
    assert.equal(fmt(-0.4), '-0.4000');
  });
});
