// data.testFraction on the files type: the test split drawn row by row from the training file
// (disjoint from the validation hold-out and from train, fixed by the seed), the same rows when the
// file is streamed, and a test source given as well refused.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeFiles, loadFiles } from '../../../../src/data/files';
import { MtlError } from '../../../../src/errors';
import { mixSeed } from '../../../../src/util/random';
import { useBackend } from '../../../helpers/backend';

before(() => useBackend('cpu'));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-testfraction-'));
fs.writeFileSync(path.join(dir, 'rows.csv'), 'x,y\n' + Array.from({ length: 200 }, (_, i) => `${i},${i % 3}`).join('\n') + '\n');
const cfg = (extra: Record<string, unknown> = {}) => ({
  type: 'files',
  inputs: { x: { column: 'x' } },
  targets: { y: { column: 'y', type: 'regression' } },
  train: { format: 'csv', path: 'rows.csv' },
  testFraction: 0.25,
  ...extra,
});

describe('files: testFraction', () => {
  it('test rows are the rows whose test draw is below the fraction; val is drawn from the rest, as before', async () => {
    const b = await loadFiles(cfg(), { seed: 7, specDir: dir, validation: 0.2 });
    // The row draws, computed here from the seed hash: test first (salt 0x7e5), then val (salt 0x7a1).
    const u = (salt: number, i: number) => mixSeed(7, salt, i) / 4294967296;
    const all = Array.from({ length: 200 }, (_, i) => i);
    const test = all.filter((i) => u(0x7e5, i) < 0.25);
    const val = all.filter((i) => !test.includes(i) && u(0x7a1, i) < 0.2);
    const train = all.filter((i) => !test.includes(i) && !val.includes(i));
    assert.deepEqual([...b.test!.inputs.x.data], test);
    assert.deepEqual([...b.val!.inputs.x.data], val);
    assert.deepEqual([...b.train.inputs.x.data], train);
    assert.ok(test.length > 30 && test.length < 70, `${test.length} test rows of 200`);
  });

  it('a streamed file gives the same split sizes', async () => {
    const a = await loadFiles(cfg(), { seed: 7, specDir: dir, validation: 0.2 });
    const s = await loadFiles(cfg({ train: { format: 'csv', path: 'rows.csv', streaming: true } }), { seed: 7, specDir: dir, validation: 0.2 });
    assert.deepEqual([s.sources!.train.size, s.sources!.val!.size, s.sources!.test!.size], [a.train.size, a.val!.size, a.test!.size]);
  });

  it('describe() lists the test split; a test source as well is a config error', async () => {
    assert.deepEqual(describeFiles(cfg()).splits, ['train', 'test']);
    await assert.rejects(loadFiles(cfg({ test: { format: 'csv', path: 'rows.csv' } }), { seed: 7, specDir: dir }), (e: unknown) => e instanceof MtlError && e.kind === 'config' && /testFraction draws the test split from the training file, but a test source is given too/.test(e.problems[0].message));
  });
});
