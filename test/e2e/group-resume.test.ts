// A run of a group interrupted (Ctrl-C) resumes with the command the interrupt message names,
// `mtl train SPEC --resume PARENT/seed-<n>` (or task-<t>): the member was trained on a variant of SPEC
// (its seed; its task alone), which resume refused as "the spec changes the model, the data or the
// task set" (exit 4), and the run's own config.resolved.yaml could not find the data either. The
// resumed member equals the uninterrupted one and joins the group's index; until then compare says
// the group lacks a planned seed.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import { MtlError } from '../../src/errors';
import { compareRuns } from '../../src/report/compare';
import { compareNotes } from '../../src/report/compare-table';
import { readRunGroup } from '../../src/report/runs';
import { silentReporter } from '../../src/train/events';
import { trainSeeds, trainSingleTask } from '../../src/train/groups';
import { TINY_SPEC } from '../helpers/tiny';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-group-resume-'));
const spec = path.join(dir, 'tiny.yaml');
fs.writeFileSync(spec, `${TINY_SPEC}train: {epochs: 2, batchSize: 2, stepsPerEpoch: 2, optimizer: adam}\n`);
const quiet = { out: () => {}, err: () => {}, isTTY: false };
const json = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const noTimes = (m: { epochs: Array<Record<string, unknown>>; test: unknown }) => ({ epochs: m.epochs.map(({ wallTime, samplesPerSecond, ...e }) => e), test: m.test });

/** A reporter that aborts after the `n`-th committed epoch of the whole group (as Ctrl-C would). */
function stopAfter(n: number) {
  const stop = new AbortController();
  let seen = 0;
  return { signal: stop.signal, reporter: { ...silentReporter, epochEnd: () => (++seen === n ? stop.abort() : undefined) } };
}

describe('resuming a member of a group', () => {
  it('a seed group: seed-4 interrupted, resumed with the message\'s command, equals the straight run and joins seeds.json', async () => {
    const straight = path.join(dir, 'seeds-straight');
    await trainSeeds(spec, { seeds: 2, out: straight, backend: 'cpu' });
    const cut = path.join(dir, 'seeds-cut');
    // Seed 3's two epochs, then seed 4's first: interrupted there.
    const stop = stopAfter(3);
    await assert.rejects(trainSeeds(spec, { seeds: 2, out: cut, backend: 'cpu', ...stop }), (e: unknown) => e instanceof MtlError && e.kind === 'interrupted' && e.message.includes(`--resume ${path.join(cut, 'seed-4')}`));
    assert.deepEqual(json(path.join(cut, 'seeds.json')).seeds, [3]);
    const notes = compareNotes(compareRuns([readRunGroup(cut)]));
    assert.ok(notes.some((n) => n.startsWith('seeds-cut: 1 of the 2 planned seeds; seed 4 did not finish and is not in the means')), notes.join('\n'));
    assert.equal(await main(['train', spec, '--resume', path.join(cut, 'seed-4'), '--backend', 'cpu', '--no-progress'], quiet), 0);
    assert.deepEqual(json(path.join(cut, 'seeds.json')).seeds, [3, 4]);
    assert.deepEqual(noTimes(json(path.join(cut, 'seed-4', 'metrics.json'))), noTimes(json(path.join(straight, 'seed-4', 'metrics.json'))));
  });

  it('a single-task baseline: task-right interrupted, resumed alone, joins single-task.json', async () => {
    const straight = path.join(dir, 'single-straight');
    await trainSingleTask(spec, { seeds: 1, out: straight, backend: 'cpu' });
    const cut = path.join(dir, 'single-cut');
    const stop = stopAfter(3);
    await assert.rejects(trainSingleTask(spec, { seeds: 1, out: cut, backend: 'cpu', ...stop }), (e: unknown) => e instanceof MtlError && e.kind === 'interrupted');
    assert.deepEqual(Object.keys(json(path.join(cut, 'single-task.json')).tasks), ['left']);
    assert.equal(await main(['train', spec, '--resume', path.join(cut, 'task-right'), '--backend', 'cpu', '--no-progress'], quiet), 0);
    assert.deepEqual(json(path.join(cut, 'single-task.json')).tasks, { left: 'task-left', right: 'task-right' });
    assert.deepEqual(noTimes(json(path.join(cut, 'task-right', 'metrics.json'))), noTimes(json(path.join(straight, 'task-right', 'metrics.json'))));
  });
});
