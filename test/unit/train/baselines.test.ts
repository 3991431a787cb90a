// `baselines:` and Δm% per epoch: baseline values read from fixture folders (a single-task baseline, a
// seed group, one folder per task), spec errors at the baselines line before any training, and a tiny
// run whose epochs' deltaM, best epoch and early stop are recomputed here by hand from metrics.json;
// train.seeds: N trains a seed group as --seeds N.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { main } from '../../../src/cli/main';
import { trainReporter, type Output } from '../../../src/cli/reporter';
import { MtlError } from '../../../src/errors';
import { readBaselines } from '../../../src/eval/baselines';
import { validateSpecText } from '../../../src/spec/validate';
import { deltaMCallback } from '../../../src/train/delta-m-epoch';
import type { EpochRecord } from '../../../src/train/events';
import { train } from '../../../src/train/loop';
import { useBackend } from '../../helpers/backend';
import { TINY_SPEC } from '../../helpers/tiny';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-baselines-'));

type Val = Record<string, Record<string, number>>;
/** A run folder whose metrics.json has these validation records and best epoch. */
function writeRun(dir: string, vals: Val[], best: number | null): string {
  fs.mkdirSync(dir, { recursive: true });
  const epochs = vals.map((tasks, i) => ({ epoch: i + 1, train: { loss: 1, tasks }, val: { loss: 1, tasks } }));
  fs.writeFileSync(path.join(dir, 'metrics.json'), JSON.stringify({ version: 1, run: { status: 'completed' }, epochs, best: { epoch: best, value: null, monitor: 'val.loss' } }));
  return dir;
}

// Baseline by hand: left at its best epoch 2 → accuracy 0.5; right at its best epoch 1 (not its last) → 0.25.
const single = path.join(tmp, 'single');
writeRun(path.join(single, 'task-left'), [{ left: { loss: 2, accuracy: 0.3 } }, { left: { loss: 1.5, accuracy: 0.5 } }], 2);
writeRun(path.join(single, 'task-right'), [{ right: { loss: 1, accuracy: 0.25 } }, { right: { loss: 1.2, accuracy: 0.2 } }], 1);
fs.writeFileSync(path.join(single, 'single-task.json'), JSON.stringify({ version: 1, kind: 'single-task', spec: 'x.yaml', tasks: { left: 'task-left', right: 'task-right' } }));
// A seed group of left-only runs: accuracy 0.4 and 0.6 → mean 0.5; loss 1 and 2 → 1.5.
const group = path.join(tmp, 'group');
writeRun(path.join(group, 'seed-1'), [{ left: { loss: 1, accuracy: 0.4 } }], 1);
writeRun(path.join(group, 'seed-2'), [{ left: { loss: 2, accuracy: 0.6 } }], 1);
fs.writeFileSync(path.join(group, 'seeds.json'), JSON.stringify({ version: 1, kind: 'seed-group', spec: 'x.yaml', seeds: [1, 2], runs: ['seed-1', 'seed-2'] }));

const specAt = (name: string, extra: string) => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, TINY_SPEC.replace('trainSize: 8', 'trainSize: 40') + extra);
  return file;
};

describe('baselines and Δm% per epoch', () => {
  before(() => useBackend('cpu'));

  it('reads a single-task baseline at each run\'s best epoch, a seed group as the mean, and one folder per task', () => {
    assert.deepEqual(readBaselines(single, ['left', 'right']), { values: { left: { loss: 1.5, accuracy: 0.5 }, right: { loss: 1, accuracy: 0.25 } }, problems: [] });
    assert.deepEqual(readBaselines(group, ['left']).values, { left: { loss: 1.5, accuracy: 0.5 } });
    const mixed = readBaselines({ left: group, right: path.join(single, 'task-right') }, ['left', 'right']);
    assert.deepEqual(mixed, { values: { left: { loss: 1.5, accuracy: 0.5 }, right: { loss: 1, accuracy: 0.25 } }, problems: [] });
  });

  it('a missing folder, a task the baseline lacks, or a map entry that is no task is a spec error at its line', () => {
    const fails = (extra: string, pattern: RegExp) => {
      const file = specAt('bad.yaml', extra);
      assert.throws(() => validateSpecText(fs.readFileSync(file, 'utf8'), file), (e: unknown) => e instanceof MtlError && e.kind === 'config' && pattern.test(e.message), extra);
    };
    // The key added after TINY_SPEC is on its last line + 1.
    const line = TINY_SPEC.split('\n').length;
    fails('baselines: ./nothere\n', new RegExp(`bad\\.yaml:${line}:\\d+ baselines: no such folder: .*nothere`));
    fails(`baselines: ${group}\n`, new RegExp(`bad\\.yaml:${line}:\\d+ baselines: the baseline .*group has no task "right" \\(.*it has: left`));
    fails(`baselines: {left: ${group}, right: ${group}, middle: ${group}}\n`, /baselines\.right: the baseline .* has no task "right"[\s\S]*baselines\.middle: "middle" is not a main task/);
    fails('checkpoint: {monitor: delta-m}\n', /checkpoint\.monitor: "delta-m" needs `baselines:`/);
    // A relative folder resolves against the spec's folder; the resolved spec holds it absolute.
    const ok = validateSpecText(TINY_SPEC + 'baselines: single\n', path.join(tmp, 'ok.yaml'));
    assert.equal(ok.resolved.baselines, single);
  });

  it('training measures against the values validation read (a baseline changed in between is not read again)', () => {
    const copy = path.join(tmp, 'single-copy');
    fs.cpSync(single, copy, { recursive: true });
    const spec = validateSpecText(TINY_SPEC + 'baselines: single-copy\n', path.join(tmp, 'copy.yaml'));
    // After validation the left baseline's best accuracy becomes 0.25 (it was 0.5), and right's folder goes.
    writeRun(path.join(copy, 'task-left'), [{ left: { loss: 2, accuracy: 0.3 } }, { left: { loss: 1.5, accuracy: 0.25 } }], 2);
    fs.rmSync(path.join(copy, 'task-right'), { recursive: true });
    const rec = { epoch: 1, val: { loss: 1, tasks: { left: { loss: 1, accuracy: 0.75 }, right: { loss: 1, accuracy: 0.5 } } } } as unknown as EpochRecord;
    deltaMCallback(spec.resolved)!.epochEnd(rec);
    // By hand against the validated baselines (left 0.5, right 0.25): mean of +50 % and +100 %.
    assert.ok(Math.abs((rec.deltaM as { value: number }).value - 75) < 1e-9, JSON.stringify(rec.deltaM));
  });

  it('each epoch\'s deltaM, the best epoch and the early stop by monitor delta-m equal the hand computation', async () => {
    const file = specAt('run.yaml', `baselines: single\ntrain: {epochs: 6, batchSize: 4, validation: 0.5, optimizer: {type: adam, learningRate: 0.01}, earlyStopping: {monitor: delta-m, patience: 2}}\ncheckpoint: {monitor: delta-m}\n`);
    const run = path.join(tmp, 'run');
    await train(file, { out: run, backend: 'cpu' });
    const m = JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8'));
    let best = -Infinity;
    let bestEpoch = 0;
    let since = 0;
    let stopAt = 6;
    for (const e of m.epochs) {
      const l = e.val.tasks.left.accuracy;
      const r = e.val.tasks.right.accuracy;
      // Δm = 100 · mean over tasks of (M − B)/|B|; accuracy: higher is better; the loss is left out (each task has a metric).
      const want = { value: (100 * ((l - 0.5) / 0.5 + (r - 0.25) / 0.25)) / 2, tasks: { left: (100 * (l - 0.5)) / 0.5, right: (100 * (r - 0.25)) / 0.25 } };
      assert.ok(Math.abs(e.deltaM.value - want.value) < 1e-9 && Math.abs(e.deltaM.tasks.left - want.tasks.left) < 1e-9 && Math.abs(e.deltaM.tasks.right - want.tasks.right) < 1e-9, `epoch ${e.epoch}: ${JSON.stringify(e.deltaM)} ≠ ${JSON.stringify(want)}`);
      if (want.value > best) [best, bestEpoch, since] = [want.value, e.epoch, 0];
      else if (++since >= 2) {
        stopAt = e.epoch;
        break;
      }
    }
    assert.equal(m.epochs.length, stopAt, 'early stopping by delta-m, patience 2');
    assert.equal(m.run.status, stopAt < 6 ? 'early-stopped' : 'completed');
    assert.deepEqual([m.best.epoch, m.best.monitor], [bestEpoch, 'delta-m']);
    assert.equal(JSON.parse(fs.readFileSync(path.join(run, 'checkpoints/best/state.json'), 'utf8')).epoch, bestEpoch);
    assert.equal(m.baselines, single);
    // The epoch line shows it: "Δm +12.50%".
    const lines: string[] = [];
    const reporter = trainReporter({ out: () => {}, err: (l) => lines.push(l), isTTY: false }, { progress: false, quiet: false, summary: false });
    reporter.start({ runDir: run, backend: 'cpu', epochs: 6, stepsPerEpoch: 5, taskNames: ['left', 'right'], samples: { train: 20, val: 20, test: 4 } });
    reporter.epochEnd(m.epochs[0]);
    const v = m.epochs[0].deltaM.value;
    assert.ok(lines[lines.length - 1].includes(`| Δm ${v >= 0 ? '+' : ''}${v.toFixed(2)}% |`), lines[lines.length - 1]);
  });

  it('train.seeds: 2 trains a seed group as --seeds 2 does (the spec file validated once)', async () => {
    const file = specAt('seeds.yaml', 'train: {epochs: 1, batchSize: 4, seeds: 2}\n');
    const out = path.join(tmp, 'seeds');
    const o: Output = { out: () => {}, err: () => {}, isTTY: false };
    // Counted through the module object, as the compiled callers reach it.
    const validate = require('../../../src/spec/validate') as { validateSpecFile: (f: string) => unknown };
    const original = validate.validateSpecFile;
    const files: string[] = [];
    validate.validateSpecFile = (f: string) => (files.push(f), original(f));
    try {
      assert.equal(await main(['train', file, '--out', out, '--backend', 'cpu', '--no-progress'], o), 0);
    } finally {
      validate.validateSpecFile = original;
    }
    assert.deepEqual(files, [file], 'read train.seeds and trained the group from one validation');
    const index = JSON.parse(fs.readFileSync(path.join(out, 'seeds.json'), 'utf8'));
    assert.deepEqual(index.seeds, [3, 4], 'the spec seed (3) and the next');
    assert.deepEqual(index.runs.map((r: string) => JSON.parse(fs.readFileSync(path.join(out, r, 'metrics.json'), 'utf8')).run.seed), [3, 4]);
  });
});
