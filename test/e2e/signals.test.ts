// Ctrl-C and SIGTERM in every phase of `mtl train`, in spawned processes: a second signal exits at once
// with 130 during start-up, data loading and the final test evaluation (MTL_TEST_SLOW_PHASE holds a
// phase busy without checking for Ctrl-C, as a slow reader would); one signal during data loading stops
// before the run folder is written; one during the final test evaluation stops it (exit 130, status
// interrupted, no eval-test.json) and --resume then finishes it. Every wait has a timeout, so a hang
// fails the test instead of blocking the suite.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { TINY_SPEC } from '../helpers/tiny';

const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'bin/mtl.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-signals-'));
const SPEC = path.join(tmp, 'tiny.yaml');
fs.writeFileSync(SPEC, TINY_SPEC + 'train: {epochs: 1, batchSize: 4}\n');

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Milliseconds from the last signal sent to the exit. */
  afterSignal: number;
}

/**
 * `mtl train SPEC --out run` with `phase` held busy for `holdMs`; once the phase announces itself, send
 * `signals` 300 ms apart. SIGKILL after `limitMs` (the test then fails on the exit code).
 */
function trainWithSignals(run: string, phase: string, holdMs: number, signals: NodeJS.Signals[], limitMs = 60_000): Promise<Ended> {
  const child = spawn(process.execPath, [bin, 'train', SPEC, '--out', run, '--backend', 'cpu', '--no-progress'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MTL_TEST_SLOW_PHASE: `${phase}:${holdMs}` },
  });
  let stderr = '';
  let sentAt = 0;
  let started = false;
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  child.stderr.on('data', async (d) => {
    stderr += d;
    if (started || !stderr.includes(`test hook: phase ${phase}`)) return;
    started = true;
    for (const [i, s] of signals.entries()) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill(s);
      sentAt = Date.now();
    }
  });
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stderr, afterSignal: sentAt ? Date.now() - sentAt : -1 });
    }),
  );
}

const read = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));

describe('signals in every phase of mtl train', () => {
  for (const [phase, signal] of [['startup', 'SIGINT'], ['data', 'SIGINT'], ['data', 'SIGTERM'], ['test-eval', 'SIGINT']] as const) {
    it(`a second ${signal} during ${phase} exits at once with 130`, async () => {
      // The phase is held for 60 s: only the second signal can end the process in time.
      const r = await trainWithSignals(path.join(tmp, `twice-${phase}-${signal}`), phase, 60_000, [signal, signal]);
      assert.equal(r.code, 130, `code ${r.code} signal ${r.signal}\n${r.stderr}`);
      assert.ok(r.afterSignal >= 0 && r.afterSignal < 5_000, `exited ${r.afterSignal} ms after the second signal`);
      assert.match(r.stderr, new RegExp(`${signal === 'SIGTERM' ? 'SIGTERM' : 'interrupt'}: finishing the current step`));
      assert.match(r.stderr, /again: exiting now/);
    });
  }

  it('one SIGINT during data loading stops before the run folder is written', async () => {
    const run = path.join(tmp, 'once-data');
    const r = await trainWithSignals(run, 'data', 1_500, ['SIGINT']);
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /interrupted during start-up; nothing was written/);
    assert.equal(fs.existsSync(run), false);
  });

  it('one SIGINT during the final test evaluation stops it; --resume then finishes the run', async () => {
    const run = path.join(tmp, 'once-test');
    const r = await trainWithSignals(run, 'test-eval', 1_500, ['SIGINT']);
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /interrupted during the final test evaluation; training is complete .*mtl eval .*--split test.*--resume/);
    const m = read(path.join(run, 'metrics.json'));
    assert.equal(m.run.status, 'interrupted');
    assert.equal(m.epochs.length, 1);
    assert.equal(m.test, undefined);
    assert.equal(fs.existsSync(path.join(run, 'eval-test.json')), false);
    const again = spawnSync(process.execPath, [bin, 'train', SPEC, '--resume', run, '--backend', 'cpu', '--no-progress'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    assert.equal(again.status, 0, again.stderr);
    const done = read(path.join(run, 'metrics.json'));
    assert.equal(done.run.status, 'completed');
    assert.equal(done.epochs.length, 1);
    // The test metrics are those of checkpoints/best, as `mtl eval` computes them independently.
    const ev = spawnSync(process.execPath, [bin, 'eval', run, '--split', 'test', '--backend', 'cpu', '--json'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    assert.equal(ev.status, 0, ev.stderr);
    assert.deepEqual(JSON.parse(ev.stdout).tasks, done.test.tasks);
  });
});
