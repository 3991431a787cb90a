// A validation split without any label of a task: a data error (exit 3) that says so, not "non-finite
// validation … lower the learning rate" (what a NaN validation loss was taken for before). A test split
// without them: the metrics table says so instead of printing NaN.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { main } from '../../../src/cli/main';
import { metricsTable } from '../../../src/cli/reporter';
import { packageRoot } from '../../../src/util/paths';

describe('validation rows without a task\'s labels', () => {
  it('csv-example with a val file whose balcony column is empty: exit 3, names the task and the fix', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-val-labels-'));
    const rows = fs.readFileSync(path.join(packageRoot(), 'datasets/examples/apartments-test.csv'), 'utf8').trimEnd().split('\n');
    const col = rows[0].split(',').indexOf('balcony');
    assert.equal(col, rows[0].split(',').length - 1, 'balcony is the last column');
    fs.writeFileSync(path.join(dir, 'val.csv'), [rows[0], ...rows.slice(1).map((r) => r.replace(/,[^,]*$/, ','))].join('\n') + '\n');
    const spec = parse(fs.readFileSync(path.join(packageRoot(), 'configs/csv-example.yaml'), 'utf8'));
    spec.data.train.path = path.join(packageRoot(), 'datasets/examples/apartments.csv');
    delete spec.data.test;
    spec.data.val = { format: 'csv', path: path.join(dir, 'val.csv') };
    spec.train.epochs = 1;
    fs.writeFileSync(path.join(dir, 'spec.yaml'), stringify(spec));
    const err: string[] = [];
    const code = await main(['train', path.join(dir, 'spec.yaml'), '--out', path.join(dir, 'run'), '--backend', 'cpu', '--no-progress'], { out: () => {}, err: (l) => err.push(l), isTTY: false });
    assert.equal(code, 3, err.join('\n'));
    const text = err.join('\n');
    assert.match(text, /the validation rows have no label for task "balcony"/);
    assert.match(text, /train\.validation/);
    assert.doesNotMatch(text, /learningRate|non-finite/);
  });

  it('a split without a task\'s labels: its row reads – and a line says why, instead of NaN', () => {
    const text = metricsTable({ loss: NaN, samples: 4, unlabelled: ['balcony'], tasks: { type: { loss: 0.5, accuracy: 0.75 }, balcony: { loss: NaN, accuracy: NaN } } });
    assert.deepEqual(text.split('\n'), [
      'task       loss  accuracy',
      '-------  ------  --------',
      'type     0.5000    0.7500',
      'balcony       –         –',
      'balcony: no labelled row in this split, so no loss or metrics',
    ]);
  });
});
