// `mtl compare` says when runs were measured on other rows of the split: a `files` run draws its test
// (testFraction) and validation rows from the training file by the spec seed, so runs of other seeds —
// or on other data files — are scored on different rows. By hand, per case below: which rows differ.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { compareRuns } from '../../../src/report/compare';
import { compareNotes } from '../../../src/report/compare-table';
import { readRunGroup, type RunGroup } from '../../../src/report/runs';
import { writeRun, writeSeedGroup } from '../../helpers/run-folders';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-split-rows-'));
const FIX = { acc: 0.8, leftLoss: 0.5, rmse: 2, rightLoss: 1, epochs: 2 };

/** A files run: spec seed, a test file or testFraction, and the data files' digests (data-state.json). */
function filesRun(dir: string, o: { seed: number; testFile?: boolean; sha?: string; noFiles?: boolean }): string {
  writeRun(dir, FIX);
  const test = o.testFile ? '  test: {format: csv, path: t.csv}\n' : '  testFraction: 0.2\n';
  fs.writeFileSync(path.join(dir, 'config.resolved.yaml'), `name: f\nseed: ${o.seed}\ndata:\n  type: files\n  train: {format: csv, path: d.csv}\n${test}train: {validation: 0.1}\ntasks:\n  left: {type: classification, metrics: [accuracy]}\n  right: {type: regression, metrics: [rmse]}\n`);
  fs.writeFileSync(path.join(dir, 'data-state.json'), JSON.stringify({ version: 1, encoders: {}, ...(o.noFiles ? {} : { files: { '/d/d.csv': { bytes: 9, sha256: o.sha ?? 'aa' } } }) }));
  return dir;
}

const note = (groups: RunGroup[], split: 'test' | 'val' | 'auto' = 'auto') => compareNotes(compareRuns(groups, { split })).find((n) => n.includes('measured on other'));

describe('compare: runs measured on other rows', () => {
  const a = readRunGroup(filesRun(path.join(root, 'a'), { seed: 3 }));
  const same = readRunGroup(filesRun(path.join(root, 'same'), { seed: 3 }));
  const seed4 = readRunGroup(filesRun(path.join(root, 'seed4'), { seed: 4 }));
  const otherFile = readRunGroup(filesRun(path.join(root, 'other-file'), { seed: 3, sha: 'bb' }));

  it('same seed and files: nothing; another seed or another file: named', () => {
    assert.equal(note([a, same]), undefined);
    assert.equal(note([a, seed4, same, otherFile]), 'seed4, other-file were measured on other test rows than a (another seed draws other rows from the training file by testFraction / train.validation, or the data files differ): their differences are partly the data\'s');
    assert.match(JSON.stringify(compareRuns([a, seed4])), /"differentRows":"seed4 was measured on other test rows than a/);
  });

  it('a given test file: the same test rows whatever the seed, but validation is still drawn by seed', () => {
    const t3 = readRunGroup(filesRun(path.join(root, 't3'), { seed: 3, testFile: true }));
    const t4 = readRunGroup(filesRun(path.join(root, 't4'), { seed: 4, testFile: true }));
    assert.equal(note([t3, t4], 'test'), undefined);
    assert.match(note([t3, t4], 'val') ?? '', /^t4 was measured on other val rows than t3/);
  });

  it('seed groups compare seed list to seed list; runs without recorded files are not judged', () => {
    const g1 = path.join(root, 'g1');
    const g2 = path.join(root, 'g2');
    writeSeedGroup(g1, [{ ...FIX, seed: 3 }, { ...FIX, seed: 4 }]);
    writeSeedGroup(g2, [{ ...FIX, seed: 3 }, { ...FIX, seed: 4 }]);
    for (const g of [g1, g2]) for (const s of [3, 4]) filesRun(path.join(g, `seed-${s}`), { seed: s });
    assert.equal(note([readRunGroup(g1), readRunGroup(g2)]), undefined, 'seeds 3, 4 against seeds 3, 4');
    assert.match(note([a, readRunGroup(g1)]) ?? '', /^g1 was measured on other test rows than a/);
    const old = readRunGroup(filesRun(path.join(root, 'old'), { seed: 9, noFiles: true }));
    assert.equal(note([a, old]), undefined);
  });

  it('a single-task baseline of the same seed was measured on the same rows (its task runs share them)', () => {
    // Before: the baseline's key list held one key per task run ([k, k]) against the run's [k], and the
    // note said a multi-task run of the same seed and file was measured on other rows.
    const single = path.join(root, 'single');
    for (const t of ['left', 'right']) filesRun(path.join(single, `task-${t}`), { seed: 3 });
    fs.writeFileSync(path.join(single, 'single-task.json'), JSON.stringify({ version: 1, kind: 'single-task', spec: 'f.yaml', tasks: { left: 'task-left', right: 'task-right' } }));
    assert.equal(note([readRunGroup(single), a]), undefined);
    assert.match(note([readRunGroup(single), seed4]) ?? '', /^seed4 was measured on other test rows than single/);
  });
});
