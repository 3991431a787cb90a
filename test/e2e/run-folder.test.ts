// Hostile run folders and checkpoints, table-driven through the CLI entry (in-process main()): each case
// gets its exit code and a message fragment, never a stack trace; a refused resume changes no byte.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import { useBackend } from '../helpers/backend';
import { TINY_SPEC } from '../helpers/tiny';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-runfolder-'));
const spec = (name: string, text: string) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
};
const ONE = spec('one.yaml', TINY_SPEC + 'train: {epochs: 1, batchSize: 4}\n');
const THREE = spec('three.yaml', TINY_SPEC + 'train: {epochs: 3, batchSize: 4}\n');
const TANH = spec('tanh.yaml', TINY_SPEC.replace('activation: relu}\n  - flatten', 'activation: tanh}\n  - flatten') + 'train: {epochs: 3, batchSize: 4}\n');
const SWAPPED = spec('swapped.yaml', TINY_SPEC.replace(/  left:\n([\s\S]*?)  right:\n([\s\S]*)$/, '  right:\n$2  left:\n$1') + 'train: {epochs: 3, batchSize: 4}\n');

async function mtl(args: string[]): Promise<{ code: number; err: string }> {
  const lines: string[] = [];
  const code = await main([...args, '--backend', 'cpu'], { out: () => {}, err: (l) => lines.push(l), isTTY: false });
  return { code, err: lines.join('\n') };
}

/** Every file under dir (relative path → bytes as base64). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      const f = path.join(e.parentPath, e.name);
      out[path.relative(dir, f)] = fs.readFileSync(f).toString('base64');
    }
  }
  return out;
}

let base = '';
let n = 0;
/** A fresh copy of a finished one-epoch run. */
function copyRun(): string {
  const dir = path.join(tmp, `case-${n++}`);
  fs.cpSync(base, dir, { recursive: true });
  return dir;
}

const write = (f: string, text: string | Buffer) => fs.writeFileSync(f, text);
const truncate = (f: string, keep: number) => fs.writeFileSync(f, fs.readFileSync(f).subarray(0, keep));

interface Case {
  name: string;
  /** Damage the run copy; return the command (RUN stands for the copy). */
  prepare: (run: string) => void;
  args: string[];
  code: number;
  message: RegExp;
  /** The run folder must not change by a byte. */
  unchanged?: boolean;
}

const CASES: Case[] = [
  { name: 'model.json = null', prepare: (r) => write(path.join(r, 'checkpoints/best/model.json'), 'null'), args: ['eval', 'RUN'], code: 4, message: /best\/model\.json: checksum mismatch/ },
  { name: 'state.json = null', prepare: (r) => write(path.join(r, 'checkpoints/last/state.json'), 'null'), args: ['train', THREE, '--resume', 'RUN'], code: 4, message: /last\/state\.json: damaged checkpoint state: the file must be a JSON object/, unchanged: true },
  { name: 'state.json = {}', prepare: (r) => write(path.join(r, 'checkpoints/last/state.json'), '{}'), args: ['train', THREE, '--resume', 'RUN'], code: 4, message: /state\.json: damaged checkpoint state: epoch must be a whole number/, unchanged: true },
  {
    name: 'state.json with wrong field types',
    prepare: (r) => write(path.join(r, 'checkpoints/last/state.json'), JSON.stringify({ epoch: 1, step: '2', epochLosses: [] })),
    args: ['train', THREE, '--resume', 'RUN'],
    code: 4,
    message: /step must be a whole number \(received "2"/,
    unchanged: true,
  },
  { name: 'unparsable state.json', prepare: (r) => write(path.join(r, 'checkpoints/last/state.json'), '{"epoch": 1,'), args: ['train', THREE, '--resume', 'RUN'], code: 4, message: /unreadable checkpoint file .*state\.json/, unchanged: true },
  { name: 'truncated optimizer.bin', prepare: (r) => truncate(path.join(r, 'checkpoints/last/optimizer.bin'), 10), args: ['train', THREE, '--resume', 'RUN'], code: 4, message: /last\/optimizer\.bin: checksum mismatch/, unchanged: true },
  {
    name: 'weights.bin overwritten with NaN bytes of the same size',
    prepare: (r) => {
      const f = path.join(r, 'checkpoints/best/weights.bin');
      write(f, Buffer.from(new Float32Array(fs.statSync(f).size / 4).fill(NaN).buffer));
    },
    args: ['eval', 'RUN'],
    code: 4,
    message: /best\/weights\.bin: checksum mismatch/,
  },
  {
    name: 'predict with a changed weights.bin',
    prepare: (r) => {
      const f = path.join(r, 'checkpoints/last/weights.bin');
      const b = fs.readFileSync(f);
      b[0] ^= 1;
      write(f, b);
    },
    args: ['predict', 'RUN', '--checkpoint', 'last', '--out', 'RUN/p.jsonl'],
    code: 4,
    message: /last\/weights\.bin: checksum mismatch/,
  },
  { name: 'emptied data-state.json', prepare: (r) => write(path.join(r, 'data-state.json'), ''), args: ['train', THREE, '--resume', 'RUN'], code: 3, message: /data-state\.json: cannot read the run's data state/ },
  { name: 'resume with another activation', prepare: () => {}, args: ['train', TANH, '--resume', 'RUN'], code: 4, message: /backbone\[0\]\.conv2d\.activation: differs from the run being resumed, which has "relu" \(received "tanh"\)[\s\S]*resume refused/, unchanged: true },
  { name: 'resume with the tasks swapped', prepare: () => {}, args: ['train', SWAPPED, '--resume', 'RUN'], code: 4, message: /tasks: differs from the run being resumed, which has \["left","right"\] \(received \["right","left"\]\)/, unchanged: true },
  { name: 'resume of a folder without a run', prepare: (r) => fs.rmSync(path.join(r, 'checkpoints'), { recursive: true }), args: ['train', THREE, '--resume', 'RUN'], code: 4, message: /nothing to resume/, unchanged: true },
  { name: 'resume of a missing folder', prepare: () => {}, args: ['train', THREE, '--resume', 'RUN/nope'], code: 4, message: /nothing to resume: no such run folder/ },
  { name: '--out on an existing run', prepare: () => {}, args: ['train', ONE, '--out', 'RUN'], code: 2, message: /the folder already holds a run \(continue it with --resume .* replace it with --overwrite/, unchanged: true },
  { name: "--out ''", prepare: () => {}, args: ['train', ONE, '--out', ''], code: 2, message: /--out is empty/ },
  { name: '--out an existing file', prepare: () => {}, args: ['train', ONE, '--out', 'RUN/metrics.json'], code: 2, message: /metrics\.json is an existing file, not a folder/, unchanged: true },
  { name: '--out under a file', prepare: () => {}, args: ['train', ONE, '--out', 'RUN/metrics.json/x'], code: 2, message: /cannot write the run folder: a parent of it is a file/, unchanged: true },
  { name: '--out with a name too long', prepare: () => {}, args: ['train', ONE, '--out', 'RUN/' + 'x'.repeat(300)], code: 2, message: /cannot write the run folder: the name is too long/, unchanged: true },
  { name: 'a run folder locked by a live process', prepare: (r) => write(path.join(r, '.lock'), String(process.ppid)), args: ['train', THREE, '--resume', 'RUN'], code: 2, message: /the run folder is in use by process \d+/, unchanged: true },
  { name: '--resume with --overwrite', prepare: () => {}, args: ['train', THREE, '--resume', 'RUN', '--overwrite'], code: 2, message: /choose one/, unchanged: true },
];

describe('hostile run folders and checkpoints (exit code, message, no stack trace)', () => {
  before(async () => {
    await useBackend('cpu');
    base = path.join(tmp, 'base');
    const r = await mtl(['train', ONE, '--out', base]);
    assert.equal(r.code, 0, r.err);
  });

  for (const c of CASES) {
    it(`${c.name} → exit ${c.code}`, async () => {
      const run = copyRun();
      c.prepare(run);
      const before = snapshot(run);
      const r = await mtl(c.args.map((a) => a.replace('RUN', run)));
      assert.equal(r.code, c.code, r.err);
      assert.match(r.err, c.message);
      assert.doesNotMatch(r.err, /internal error|\n\s+at /);
      if (c.unchanged) assert.deepEqual(snapshot(run), before);
    });
  }

  it('eval after a failed resume with another spec evaluates the run as it was trained', async () => {
    const run = copyRun();
    const direct = await mtl(['eval', run, '--split', 'val']);
    assert.equal(direct.code, 0, direct.err);
    const expected = JSON.parse(fs.readFileSync(path.join(run, 'eval-val.json'), 'utf8'));
    assert.equal((await mtl(['train', TANH, '--resume', run])).code, 4);
    const again = await mtl(['eval', run, '--split', 'val']);
    assert.equal(again.code, 0, again.err);
    const got = JSON.parse(fs.readFileSync(path.join(run, 'eval-val.json'), 'utf8'));
    assert.deepEqual(got.tasks, expected.tasks);
  });

  it('a truncated last line of metrics.jsonl, a stale lock and a stale "running" status do not stop a resume', async () => {
    const run = copyRun();
    const jsonl = path.join(run, 'metrics.jsonl');
    fs.appendFileSync(jsonl, '{"type": "step", "epoch": 2, "st');
    write(path.join(run, '.lock'), '999999999');
    const m = JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8'));
    m.run.status = 'running';
    write(path.join(run, 'metrics.json'), JSON.stringify(m));
    const r = await mtl(['train', THREE, '--resume', run]);
    assert.equal(r.code, 0, r.err);
    const lines = fs.readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.filter((l) => l.type === 'epoch').map((l) => l.epoch), [1, 2, 3]);
    assert.equal(JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8')).run.status, 'completed');
    assert.ok(!fs.existsSync(path.join(run, '.lock')), 'the lock is released');
  });

  it('recovery: a commit cut between the renames is finished; an uncommitted staged folder is dropped; stale running → killed', async () => {
    // Kill after commit.json and the rename last → last.old, before last.new → last.
    const run = copyRun();
    const ck = path.join(run, 'checkpoints');
    fs.cpSync(path.join(ck, 'last'), path.join(ck, 'last.new'), { recursive: true });
    const lastState = fs.readFileSync(path.join(ck, 'last/state.json'));
    fs.renameSync(path.join(ck, 'last'), path.join(ck, 'last.old'));
    write(path.join(run, 'commit.json'), JSON.stringify({ epoch: 1, parts: ['checkpoints/last'] }));
    // And a staged best that never got its commit marker… of another run folder state: drop it.
    const m = JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8'));
    m.run.status = 'running';
    write(path.join(run, 'metrics.json'), JSON.stringify(m));
    const r = await mtl(['eval', run, '--checkpoint', 'last', '--split', 'val']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(fs.readdirSync(ck).sort(), ['best', 'last']);
    assert.deepEqual(fs.readFileSync(path.join(ck, 'last/state.json')), lastState);
    assert.ok(!fs.existsSync(path.join(run, 'commit.json')));
    assert.equal(JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8')).run.status, 'killed');

    const run2 = copyRun();
    fs.cpSync(path.join(run2, 'checkpoints/best'), path.join(run2, 'checkpoints/best.new'), { recursive: true });
    write(path.join(run2, 'checkpoints/best.new/weights.bin'), 'half');
    const r2 = await mtl(['train', THREE, '--resume', run2]);
    assert.equal(r2.code, 0, r2.err);
    assert.deepEqual(fs.readdirSync(path.join(run2, 'checkpoints')).sort(), ['best', 'last']);
  });

  it('--overwrite replaces an existing run', async () => {
    const run = copyRun();
    fs.writeFileSync(path.join(run, 'eval-val.json'), '{}');
    const r = await mtl(['train', ONE, '--out', run, '--overwrite']);
    assert.equal(r.code, 0, r.err);
    assert.ok(!fs.existsSync(path.join(run, 'eval-val.json')), 'files of the old run are gone');
    assert.equal(JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8')).epochs.length, 1);
  });
});
