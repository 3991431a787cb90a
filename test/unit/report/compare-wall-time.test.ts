// The wall time `mtl compare` gives a resumed run is the time it trained, not the time from its first
// start to its end: the pause between a stop (Ctrl-C, or SIGKILL) and its --resume is left out. The
// stopped session is moved an hour into the past by hand; both sessions of the tiny run take seconds.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../../src/cli/main';
import { train } from '../../../src/train/loop';
import { interruptedRun, markKilled } from '../../helpers/partial-run';

const HOUR = 3600_000;

function readMetrics(run: string) {
  return JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8'));
}

async function compareWall(run: string): Promise<number> {
  const lines: string[] = [];
  assert.equal(await main(['compare', run, '--json'], { out: (l) => lines.push(l), err: () => undefined, isTTY: false }), 0);
  return JSON.parse(lines.join('\n')).rows[0].wallTime.mean;
}

describe('mtl compare: the wall time of a resumed run', () => {
  it('Ctrl-C, an hour, --resume: the hour is recorded as paused and left out', async () => {
    const { spec, run } = await interruptedRun(fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-wall-int-')));
    const m = readMetrics(run);
    const ended = Date.parse(m.run.endedAt) - HOUR;
    m.run.startedAt = new Date(Date.parse(m.run.startedAt) - HOUR).toISOString();
    m.run.endedAt = new Date(ended).toISOString();
    fs.writeFileSync(path.join(run, 'metrics.json'), JSON.stringify(m));

    await train(spec, { resume: run, backend: 'cpu' });
    const done = readMetrics(run);
    const [resumed] = done.run.resumed;
    assert.equal(resumed.stoppedAt, new Date(ended).toISOString(), 'stopped when the first session ended');
    assert.ok(resumed.pausedSeconds >= 3600 && resumed.pausedSeconds < 3600 + 120, `paused ${resumed.pausedSeconds} s`);
    const span = (Date.parse(done.run.endedAt) - Date.parse(done.run.startedAt)) / 1000;
    assert.ok(span > 3600, 'first start to last end spans the pause');
    const wall = await compareWall(run);
    assert.ok(wall > 0 && wall < 120, `wall time ${wall} s (the two sessions), not ${span} s`);
  });

  it('SIGKILL, an hour, --resume: the stop is the last write of metrics.json (recovery sets endedAt)', async () => {
    const { spec, run } = await interruptedRun(fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-wall-kill-')));
    markKilled(run);
    const mf = path.join(run, 'metrics.json');
    const m = readMetrics(run);
    const lastWrite = new Date(Math.floor((Date.now() - HOUR) / 1000) * 1000);
    fs.writeFileSync(mf, JSON.stringify({ ...m, run: { ...m.run, startedAt: new Date(lastWrite.getTime() - 5000).toISOString(), endedAt: null } }));
    fs.utimesSync(mf, lastWrite, lastWrite);

    await train(spec, { resume: run, backend: 'cpu' });
    const [resumed] = readMetrics(run).run.resumed;
    assert.equal(resumed.stoppedAt, lastWrite.toISOString());
    assert.ok(resumed.pausedSeconds >= 3600 && resumed.pausedSeconds < 3600 + 120, `paused ${resumed.pausedSeconds} s`);
    const wall = await compareWall(run);
    assert.ok(wall > 5 && wall < 5 + 120, `wall time ${wall} s: 5 s before the kill, then the resumed session`);
  });
});
