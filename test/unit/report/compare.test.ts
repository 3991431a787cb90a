// mtl compare on run folders written by the test: exact table cells, mean ± sample std, Δm%.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../../src/cli/main';
import type { Output } from '../../../src/cli/reporter';
import { compareRuns, stat } from '../../../src/report/compare';
import { readRunGroup } from '../../../src/report/runs';
import { writeFixtures, writeRun } from '../../helpers/run-folders';

function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), isTTY: false };
}

const close = (a: number | null | undefined, b: number) => assert.ok(a !== null && a !== undefined && Math.abs(a - b) < 1e-9, `${a} ≠ ${b}`);

describe('compare', () => {
  const f = writeFixtures();

  it('stat: mean and sample standard deviation (n − 1)', () => {
    const s = stat([2, 4, 4, 4, 5, 5, 7, 9]);
    close(s.mean, 5);
    close(s.std, Math.sqrt(32 / 7));
    assert.equal(stat([3]).std, null);
  });

  it('a seed group gives mean ± sample std of every final metric; Δm% against the baseline', () => {
    const c = compareRuns([readRunGroup(f.group)], { baseline: readRunGroup(f.single) });
    assert.equal(c.split, 'test');
    const [base, group] = c.rows;
    assert.equal(base.baseline, true);
    assert.deepEqual(group.seeds, [11, 12, 13]);
    close(group.tasks.left.accuracy.mean, 0.8);
    close(group.tasks.left.accuracy.std, 0.1);
    close(group.tasks.right.rmse.mean, 1.5);
    close(group.tasks.right.rmse.std, 0.5);
    close(group.epochs.mean, 2);
    close(group.epochs.std, 1);
    close(group.deltaM!.value, 12.5);
    close(base.deltaM!.value, 0);
    // samples/s: 100 + 100 train samples over 2 + 3 s of epochs = 40; wall time from startedAt/endedAt = 10 s
    close(base.samplesPerSecond.mean, 40);
    close(base.wallTime.mean, 10);
  });

  it('the CLI table has the exact cells, and --markdown / --json agree', async () => {
    const o = capture();
    assert.equal(await main(['compare', f.group, '--baseline', f.single], o), 0, o.errors.join('\n'));
    const [header, , baseLine, groupLine] = o.lines.join('\n').split('\n');
    assert.deepEqual(header.split(/\s{2,}/), ['run', 'left loss', 'left accuracy', 'right loss', 'right rmse', 'Δm%', 'epochs', 'wall s', 'samples/s', 'backend']);
    assert.deepEqual(baseLine.trim().split(/\s{2,}/), ['single [baseline]', '0.5000', '0.8000', '1.0000', '2.0000', '0.00', '2', '10.0', '40', 'cpu']);
    // samples/s of the seeds: 100/2 = 50, 200/5 = 40, 300/9 = 33.3 → mean 41.1, sample std 8.4
    assert.deepEqual(groupLine.trim().split(/\s{2,}/), ['group (3 seeds)', '0.5000 ± 0.1000', '0.8000 ± 0.1000', '1.0000 ± 0.0000', '1.5000 ± 0.5000', '+12.50', '2.0 ± 1.0', '10.0 ± 0.0', '41 ± 8', 'cpu']);
    assert.match(o.lines.join('\n'), /sample std \(n − 1\)/);

    const md = capture();
    assert.equal(await main(['compare', f.single, f.group, '--markdown'], md), 0);
    assert.match(md.lines[0], /^\| run \| left loss \| left accuracy \|/);
    assert.match(md.lines.join('\n'), /\| group \(3 seeds\) \| 0\.5000 ± 0\.1000 \| 0\.8000 ± 0\.1000 \|/);

    const js = capture();
    assert.equal(await main(['compare', f.group, '--baseline', f.single, '--json'], js), 0);
    const parsed = JSON.parse(js.lines.join('\n'));
    close(parsed.rows[1].deltaM.value, 12.5);
    close(parsed.rows[1].tasks.left.accuracy.std, 0.1);
  });

  it("a run without some of the baseline's tasks: its Δm% is marked and said to be over fewer tasks, once per task", async () => {
    // leftOnly has task left alone (accuracy 0.88): Δm% = (0.88 − 0.8)/0.8 = +10 over left only, where a
    // run of both tasks averages over two. Before, the cell read "+10.00" like any other, with a
    // "right rmse left out (missing in run)" line among the notes.
    const dir = writeRun(path.join(f.root, 'left-only'), { acc: 0.88, leftLoss: 0.5, rmse: 2, rightLoss: 1, epochs: 1 });
    const file = path.join(dir, 'metrics.json');
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    delete m.test.tasks.right;
    fs.writeFileSync(file, JSON.stringify(m));
    const o = capture();
    assert.equal(await main(['compare', dir, f.group, '--baseline', f.single], o), 0);
    const text = o.lines.join('\n');
    const row = (name: string) => text.split('\n').find((l) => l.startsWith(name))!.trim().split(/\s{2,}/);
    assert.equal(row('left-only')[5], '+10.00*');
    assert.equal(row('group (3 seeds)')[5], '+12.50');
    assert.match(text, /Δm% of left-only \(\*\) is over left alone: the run has no metric of the baseline's right, so it is not comparable with a Δm% over all the baseline's tasks/);
    assert.doesNotMatch(text, /Δm% of left-only: right rmse left out/);
  });

  it('--split val takes the best epoch\'s validation metrics', async () => {
    const c = compareRuns([readRunGroup(f.single)], { split: 'val' });
    // best epoch 2 of 2: f = 1 → val left accuracy 0.4, right rmse 2.3
    close(c.rows[0].tasks.left.accuracy.mean, 0.4);
    close(c.rows[0].tasks.right.rmse.mean, 2.3);
  });

  it('a folder that is not a run is a usage error (exit 2)', async () => {
    const o = capture();
    assert.equal(await main(['compare', f.root], o), 2);
    assert.match(o.errors.join('\n'), /not a run folder: it has no metrics.json/);
  });
});
