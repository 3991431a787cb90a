// End to end through bin/mtl.js, as a user runs it: train a tiny spec, then eval and plot the run.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../../src/util/paths';

const root = packageRoot();
const TINY = path.join(root, 'test/fixtures/specs/tiny.yaml');

function mtl(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/mtl.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('mtl CLI end to end', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-e2e-')), 'run');

  it('train writes a complete run folder and prints JSON', () => {
    const r = mtl(['train', TINY, '--out', out, '--backend', 'wasm', '--no-progress', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout);
    assert.equal(res.runDir, out);
    assert.equal(res.backend, 'wasm');
    assert.equal(res.status, 'completed');
    // Plain progress lines on a non-TTY: one per epoch.
    assert.equal(r.stderr.split('\n').filter((l) => /^epoch \d\/2 /.test(l)).length, 2, r.stderr);

    for (const f of ['config.resolved.yaml', 'metrics.json', 'metrics.jsonl', 'eval-test.json']) assert.ok(fs.existsSync(path.join(out, f)), f);
    for (const c of ['last', 'best']) {
      for (const f of ['model.json', 'weights.bin', 'optimizer.json', 'optimizer.bin', 'state.json']) assert.ok(fs.existsSync(path.join(out, 'checkpoints', c, f)), `${c}/${f}`);
    }
    const m = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    assert.equal(m.version, 1);
    assert.equal(m.run.status, 'completed');
    assert.equal(m.run.backend.name, 'wasm');
    assert.equal(m.run.backend.gpu, false);
    assert.equal(m.run.seed, 7);
    assert.ok(Date.parse(m.run.endedAt) >= Date.parse(m.run.startedAt));
    assert.equal(m.epochs.length, 2);
    const e = m.epochs[1];
    assert.equal(e.steps, 2);
    for (const t of ['left', 'right']) {
      assert.ok(Number.isFinite(e.train.tasks[t].loss) && Number.isFinite(e.val.tasks[t].loss));
      assert.ok(e.val.tasks[t].accuracy >= 0 && e.val.tasks[t].accuracy <= 1);
    }
    assert.ok(e.val.tasks.right['top-3-accuracy'] >= e.val.tasks.right.accuracy);
    // The combined loss is Σ weight·loss with the spec's weights (right: 0.5).
    assert.ok(Math.abs(e.val.loss - (e.val.tasks.left.loss + 0.5 * e.val.tasks.right.loss)) < 1e-5);
    assert.deepEqual(e.weights, { left: 1, right: 0.5 });
    assert.ok(e.samplesPerSecond > 0 && e.wallTime > 0);
    assert.equal(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 2);
    assert.match(fs.readFileSync(path.join(out, 'config.resolved.yaml'), 'utf8'), /learningRate: 0.001/);
  });

  it('eval reloads a checkpoint and writes eval-<split>.json', () => {
    const r = mtl(['eval', out, '--split', 'val', '--checkpoint', 'last', '--backend', 'cpu', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rec = JSON.parse(r.stdout);
    assert.equal(rec.split, 'val');
    assert.equal(rec.checkpoint, 'last');
    assert.equal(rec.epoch, 2);
    // The same weights on the same split give the loss the trainer logged for that epoch.
    const m = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    assert.ok(Math.abs(rec.tasks.left.loss - m.epochs[1].val.tasks.left.loss) < 1e-4, `${rec.tasks.left.loss} vs ${m.epochs[1].val.tasks.left.loss}`);
    // A checkpoint other than best writes a record of its own: eval-val.json stays the best checkpoint's.
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'eval-val-last.json'), 'utf8')).tasks, rec.tasks);

    const table = mtl(['eval', out, '--backend', 'cpu']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /task\s+loss\s+accuracy/);
    assert.match(table.stdout, /^left\s/m);
  });

  it('eval of a folder that is not a run is a usage error; of a missing checkpoint, a checkpoint error', () => {
    assert.equal(mtl(['eval', os.tmpdir(), '--backend', 'cpu']).code, 2);
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-e2e-copy-'));
    fs.copyFileSync(path.join(out, 'config.resolved.yaml'), path.join(copy, 'config.resolved.yaml'));
    const r = mtl(['eval', copy, '--backend', 'cpu']);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /no checkpoint "best"/);
  });

  it('plot-model draws the run and the spec as SVG and DOT', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-plot-'));
    const svg = path.join(dir, 'm.svg');
    const r = mtl(['plot-model', out, '-o', svg]);
    assert.equal(r.code, 0, r.stderr);
    const text = fs.readFileSync(svg, 'utf8');
    assert.match(text, /<svg[\s\S]*<\/svg>\s*$/);
    for (const name of ['shared_1_conv2d', 'left', 'right']) assert.ok(text.includes(name), name);
    const dot = path.join(dir, 'm.dot');
    assert.equal(mtl(['plot-model', TINY, '-o', dot]).code, 0);
    assert.match(fs.readFileSync(dot, 'utf8'), /^digraph/);
    assert.equal(mtl(['plot-model', TINY, '-o', path.join(dir, 'm.gif')]).code, 2);
  });

  it('Ctrl-C (SIGINT) finishes the step, writes checkpoints/last, marks the run interrupted and exits 130', async () => {
    const spec = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-int-')), 'long.yaml');
    fs.writeFileSync(spec, fs.readFileSync(TINY, 'utf8').replace('epochs: 2', 'epochs: 1000'));
    const run = path.join(path.dirname(spec), 'run');
    const child = spawn(process.execPath, [path.join(root, 'bin/mtl.js'), 'train', spec, '--out', run, '--backend', 'cpu', '--no-progress'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (d) => {
        stderr += d;
        if (/epoch 2\/1000/.test(stderr)) resolve();
      }),
    );
    child.kill('SIGINT');
    // If the interrupt is ignored, do not train 1000 epochs: fail after a while instead.
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(guard);
    assert.equal(code, 130, stderr);
    assert.match(stderr, /interrupted during epoch \d+/);
    const m = JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8'));
    assert.equal(m.run.status, 'interrupted');
    assert.ok(m.epochs.length >= 2 && m.epochs.length < 1000, String(m.epochs.length));
    const state = JSON.parse(fs.readFileSync(path.join(run, 'checkpoints/last/state.json'), 'utf8'));
    assert.equal(state.epoch, m.epochs.length);
  });

  it('a reader that closes stdout early (mtl list | head -1) ends mtl quietly with exit 0', async () => {
    const child = spawn(process.execPath, [path.join(root, 'bin/mtl.js'), 'list'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.destroy(); // the reader is gone before mtl writes a byte: every write fails with EPIPE
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE/);
  });

  it('validate: ok for a good spec; exit 2 and every problem for a bad one; never a stack trace', () => {
    const ok = mtl(['validate', TINY]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^ok: /);
    const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-bad-')), 'bad.yaml');
    fs.writeFileSync(bad, fs.readFileSync(TINY, 'utf8').replace('kernelSize: 5', 'kernelSize: 5, filtrs: 2').replace('optimizer: adam', 'optimizer: adamm'));
    for (const cmd of ['validate', 'train']) {
      const r = mtl([cmd, bad, '--backend', 'cpu'].slice(0, cmd === 'validate' ? 2 : 4));
      assert.equal(r.code, 2, `${cmd}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.ok(lines.some((l) => /bad\.yaml:9:\d+ backbone\[0\]\.conv2d\.filtrs: unknown key "filtrs".*did you mean "filters"\?/.test(l)), r.stderr);
      assert.ok(lines.some((l) => /bad\.yaml:\d+:\d+ train\.optimizer\.type: .*did you mean "adam"\?/.test(l)), r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    // --json: the problems as JSON on stdout (as the ok result is), the same lines on stderr, exit 2.
    const j = mtl(['validate', bad, '--json']);
    assert.equal(j.code, 2, j.stderr);
    const res = JSON.parse(j.stdout);
    assert.equal(res.ok, false);
    assert.equal(res.file, bad);
    const filtrs = res.problems.find((p: { path?: string }) => p.path === 'backbone[0].conv2d.filtrs');
    assert.ok(filtrs, j.stdout);
    assert.equal(filtrs.line, 9);
    assert.equal(filtrs.message, 'unknown key "filtrs"');
    assert.ok(res.problems.some((p: { path?: string }) => p.path === 'train.optimizer.type'), j.stdout);
    assert.ok(j.stderr.split('\n').includes(filtrs.text), j.stderr);
    assert.equal(JSON.parse(mtl(['validate', 'no/such/file.yaml', '--json']).stdout).problems[0].message, 'spec file not found: no/such/file.yaml');
    assert.equal(mtl(['validate', 'no/such/file.yaml']).code, 2);
    assert.equal(mtl(['frobnicate']).code, 2);
  });
});
