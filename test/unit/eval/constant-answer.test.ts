// An accuracy that answering one label for every row matches is said under the table: flights-200k's
// "late" task (delay > 15 min) read accuracy 0.7864 after training, exactly the 15,719 on-time flights of
// 19,988, with nothing said. Expected shares counted by hand from the labels.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { metricsTable } from '../../../src/cli/reporter';
import { noBetterThanConstant } from '../../../src/eval/constant-answer';
import { Accumulator, type TaskRuntime } from '../../../src/eval/evaluate';
import { losses } from '../../../src/losses/index';
import { metrics } from '../../../src/metrics/index';
import type { TaskType } from '../../../src/tasks';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { useBackend } from '../../helpers/backend';
import { writeRun, writeSeedGroup } from '../../helpers/run-folders';

before(() => useBackend('cpu'));

describe('noBetterThanConstant', () => {
  it('the most frequent label and its share, when the accuracy is no higher; nothing when it is', () => {
    // Labels 0, 0, 2, 0, 1: label 0 is 3 of 5 rows.
    assert.deepEqual(noBetterThanConstant([0, 0, 2, 0, 1], 5, 3, 0.6, ['Europe', 'Japan', 'USA']), { label: 0, name: 'Europe', accuracy: 0.6, modelAccuracy: 0.6, rows: 5 });
    assert.deepEqual(noBetterThanConstant([0, 0, 2, 0, 1], 5, 3, 0.4), { label: 0, accuracy: 0.6, modelAccuracy: 0.4, rows: 5 });
    assert.equal(noBetterThanConstant([0, 0, 2, 0, 1], 5, 3, 0.8), undefined, '4 of 5 right beats 3 of 5');
    // A tie (two 1s, two 0s) names the lower label; binary labels as floats.
    assert.deepEqual(noBetterThanConstant(Float32Array.from([1, 0, 1, 0]), 4, 1, 0.5), { label: 0, accuracy: 0.5, modelAccuracy: 0.5, rows: 4 });
    assert.equal(noBetterThanConstant([], 0, 1, NaN), undefined, 'no labelled row');
    // unseen: other's <other> (class 2, 3 of 5 rows) scores nothing answered: the constant is class 0 (2 of 5).
    assert.deepEqual(noBetterThanConstant([2, 2, 0, 2, 0], 5, 3, 0.4, ['a', 'b', '<other>']), { label: 0, name: 'a', accuracy: 0.4, modelAccuracy: 0.4, rows: 5 });
  });
});

function task(name: string, type: TaskType, classNames?: string[]): TaskRuntime {
  const loss = type === 'binary' ? 'binary-crossentropy' : 'sparse-categorical-crossentropy';
  return {
    name,
    type,
    lossFn: losses.get(loss).create({}, { taskType: type, outputDim: 1 }),
    fromLogits: false,
    weight: 1,
    ...(classNames ? { classNames } : {}),
    metrics: [{ key: 'accuracy', fn: metrics.get('accuracy').create({ threshold: 0.5 }, { taskType: type, classNames }), higherIsBetter: true }],
  };
}

describe('Accumulator and the metrics table', () => {
  it('a binary task that answers 0 everywhere and a 3-class task that answers "USA" everywhere are named; a task beating its constant is not; masked rows do not count', () => {
    const acc = new Accumulator([task('late', 'binary'), task('origin', 'classification', ['Europe', 'Japan', 'USA']), task('good', 'binary')]);
    tf.tidy(() => {
      // late: 5 rows, the last masked out; labels 0, 0, 1, 0 (+ a masked 1); every probability 0.2 → answers 0: 3 of 4 right = 0.75 = the share of 0.
      acc.add(0, 0.3, tf.fill([5, 1], 0.2), tf.tensor2d([[0], [0], [1], [0], [1]]), tf.tensor1d([1, 1, 1, 1, 0]));
      // origin: labels USA, USA, Japan, USA, Europe; always USA: 3 of 5 = 0.6 = USA's share.
      const usa = tf.tensor2d([[0.1, 0.2, 0.7]]).tile([5, 1]);
      acc.add(1, 0.9, usa, tf.tensor1d([2, 2, 1, 2, 0], 'int32'));
      // good: labels 0, 0, 1, 0, 1 predicted right every time: 1.0 beats 0.6.
      acc.add(2, 0.1, tf.tensor2d([[0.1], [0.1], [0.9], [0.1], [0.9]]), tf.tensor2d([[0], [0], [1], [0], [1]]));
    });
    acc.samples += 5;
    const r = acc.result();
    assert.equal(r.tasks.late.accuracy, 0.75);
    assert.equal(r.tasks.origin.accuracy, 0.6);
    assert.deepEqual(r.noBetterThanConstant, {
      late: { label: 0, accuracy: 0.75, modelAccuracy: 0.75, rows: 4 },
      origin: { label: 2, name: 'USA', accuracy: 0.6, modelAccuracy: 0.6, rows: 5 },
    });
    const text = metricsTable(r);
    assert.match(text, /\nlate: accuracy 0\.7500 is no better than answering 0 for every row, which scores 0\.7500 \(the most frequent label of these 4 labelled rows\)/);
    assert.match(text, /\norigin: accuracy 0\.6000 is no better than answering "USA" for every row, which scores 0\.6000 \(the most frequent label of these 5 labelled rows\)/);
    assert.doesNotMatch(text, /good: accuracy/);
  });
});

describe('compare', () => {
  it('names a run whose final record says a task is no better than a constant; a seed group only when every seed says so', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-constant-'));
    const fixture = { epochs: 1, leftLoss: 0.5, rightLoss: 1, acc: 0.75, rmse: 2 };
    const flag = (run: string, on: boolean) => {
      const f = path.join(run, 'metrics.json');
      const m = JSON.parse(fs.readFileSync(f, 'utf8'));
      if (on) m.test.noBetterThanConstant = { left: { label: 3, name: 'shirt', accuracy: 0.75, modelAccuracy: 0.75, rows: 8 } };
      fs.writeFileSync(f, JSON.stringify(m));
    };
    const one = writeRun(path.join(dir, 'one'), fixture);
    flag(one, true);
    const group = writeSeedGroup(path.join(dir, 'group'), [fixture, { ...fixture, seed: 2 }]);
    flag(path.join(group, 'seed-1'), true);
    const lines: string[] = [];
    const o = { out: (l: string) => lines.push(l), err: () => undefined, isTTY: false };
    assert.equal(await main(['compare', one, group], o), 0);
    const text = lines.join('\n');
    assert.match(text, /\none: left accuracy is no better than answering "shirt" for every row \(which scores 0\.7500\)/);
    assert.doesNotMatch(text, /group: left accuracy is no better/, 'seed 2 beats its constant');
    flag(path.join(group, 'seed-2'), true);
    lines.length = 0;
    assert.equal(await main(['compare', group], o), 0);
    assert.match(lines.join('\n'), /group: left accuracy is no better than answering "shirt" for every row in every seed/);
  });
});
