// SIGKILL at moments spread over a run, then resume (or start over when nothing was committed): the
// final records, checkpoints and test metrics equal an uninterrupted run's bit for bit (same backend,
// dropout, Adam and uw, a weighting method with learned state; per-task bests, kept epochs and
// mid-epoch checkpoints every 5 steps, so a resume may start inside an epoch).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runOutcome, stripTiming } from '../helpers/run-outcome';
import { resumeSpecFile, TIMING } from '../helpers/tiny';

const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'bin/mtl.js');
const { tmp, spec: SPEC } = resumeSpecFile(
  'kill',
  64,
  'weighting: {method: uw, diagnostics: {every: 5}}\ntrain: {epochs: 6, batchSize: 4, optimizer: {type: adam, learningRate: 0.01}}\ncheckpoint: {perTask: true, keep: 2, everySteps: 5}\n',
);

/** What must be equal: epochs, best, test, every metrics.jsonl line, every checkpoint's weights and optimizer bytes (per task, the kept epochs), eval-test.json. */
function outcome(run: string) {
  return { ...runOutcome(run, TIMING), evalTest: stripTiming(JSON.parse(fs.readFileSync(path.join(run, 'eval-test.json'), 'utf8')).tasks, TIMING) };
}

const mtl = (args: string[]) => spawnSync(process.execPath, [bin, ...args, '--backend', 'wasm', '--no-progress'], { cwd: root, encoding: 'utf8' });

/** Train into `run`; SIGKILL `ms` after the run starts training (its "run folder:" line), or after spawn when `fromSpawn`. */
function killAfter(run: string, ms: number, fromSpawn = false): Promise<void> {
  const child = spawn(process.execPath, [bin, 'train', SPEC, '--out', run, '--backend', 'wasm', '--no-progress'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let timer: NodeJS.Timeout | undefined;
  const arm = () => (timer ??= setTimeout(() => child.kill('SIGKILL'), ms));
  if (fromSpawn) arm();
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
    if (/run folder:/.test(err)) arm();
  });
  return new Promise((resolve) =>
    child.on('close', () => {
      clearTimeout(timer);
      resolve();
    }),
  );
}

/** Milliseconds from the "run folder:" line to the end of an uninterrupted run, and the whole run. */
function timedRun(run: string): Promise<{ training: number; wall: number }> {
  const t0 = Date.now();
  let started = 0;
  const child = spawn(process.execPath, [bin, 'train', SPEC, '--out', run, '--backend', 'wasm', '--no-progress'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
    if (!started && /run folder:/.test(err)) started = Date.now();
  });
  return new Promise((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve({ training: Date.now() - started, wall: Date.now() - t0 }) : reject(new Error(err)))),
  );
}

describe('SIGKILL at any moment, then resume', () => {
  it('ends bit-identical to the uninterrupted run', async () => {
    const ref = path.join(tmp, 'ref');
    const { training, wall } = await timedRun(ref);
    const expected = outcome(ref);
    // One moment during start-up, three spread over training, validation, commits and the test evaluation.
    const moments = [
      { ms: Math.round(Math.random() * (wall - training)), fromSpawn: true },
      ...[0.2, 0.5, 0.8].map((f) => ({ ms: Math.round(training * (f + (Math.random() - 0.5) * 0.2)), fromSpawn: false })),
    ];
    const log: string[] = [];
    for (const [i, { ms, fromSpawn }] of moments.entries()) {
      const run = path.join(tmp, `killed-${i}`);
      await killAfter(run, ms, fromSpawn);
      const committed = fs.existsSync(path.join(run, 'checkpoints/last/state.json'));
      const last = committed ? JSON.parse(fs.readFileSync(path.join(run, 'checkpoints/last/state.json'), 'utf8')) : { epoch: 0 };
      const epoch = last.partial ? `${last.epoch} + ${last.partial.steps} steps of epoch ${last.partial.epoch}` : last.epoch;
      const status = fs.existsSync(path.join(run, 'metrics.json')) ? JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8')).run.status : 'none';
      const what = `kill ${ms} ms after ${fromSpawn ? 'spawn' : 'training started'} (run ${wall} ms, training ${training} ms): status ${status}, last checkpoint epoch ${epoch}`;
      if (status === 'completed') log.push(`${what}; it had finished`);
      else {
        // Nothing committed yet: start over (--overwrite when the folder was already created).
        const next = committed ? mtl(['train', SPEC, '--resume', run]) : mtl(['train', SPEC, '--out', run, ...(fs.existsSync(run) ? ['--overwrite'] : [])]);
        log.push(`${what}; ${committed ? 'resume' : 'start over'} → exit ${next.status}`);
        assert.equal(next.status, 0, `${log.join('\n')}\n${next.stderr}`);
      }
      assert.deepEqual(outcome(run), expected, log.join('\n'));
    }
    console.log(log.join('\n'));
  });
});

describe('SIGTERM', () => {
  it('behaves as Ctrl-C: finishes the step, checkpoints, exits 130 and says how to resume; the resume completes', async () => {
    const run = path.join(tmp, 'term');
    const long = path.join(tmp, 'long.yaml');
    fs.writeFileSync(long, fs.readFileSync(SPEC, 'utf8').replace('epochs: 6', 'epochs: 200'));
    const child = spawn(process.execPath, [bin, 'train', long, '--out', run, '--backend', 'wasm', '--no-progress'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (d) => {
        stderr += d;
        if (/epoch 2\/200/.test(stderr)) resolve();
      }),
    );
    child.kill('SIGTERM');
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(guard);
    assert.equal(code, 130, stderr);
    assert.match(stderr, /SIGTERM: finishing the current step/);
    assert.match(stderr, new RegExp(`continue with: mtl train .*long\\.yaml --resume .*term`));
    const m = JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8'));
    assert.equal(m.run.status, 'interrupted');
    const epoch = JSON.parse(fs.readFileSync(path.join(run, 'checkpoints/last/state.json'), 'utf8')).epoch;
    assert.equal(epoch, m.epochs.length);
    fs.writeFileSync(long, fs.readFileSync(SPEC, 'utf8').replace('epochs: 6', `epochs: ${epoch + 1}`));
    const r = mtl(['train', long, '--resume', run]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8')).epochs.length, epoch + 1);
  });
});
