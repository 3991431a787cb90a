// checkpoint.perTask and checkpoint.keep: two tasks made to peak in different epochs (task weights
// switched over by a schedule) → each checkpoints/best-<task> holds the epoch computed here from
// metrics.json, byte for byte the same weights as that epoch's checkpoints/epoch-<n>; a resumed run
// keeps the same per-task bests; keep: 2 leaves the two most recent epoch checkpoints.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { MtlError } from '../../../src/errors';
import { train } from '../../../src/train/loop';
import { evaluateRun } from '../../../src/train/run-eval';
import { useBackend } from '../../helpers/backend';
import { TINY_SPEC } from '../../helpers/tiny';

// No metrics: each task's own monitor is then its validation loss. Left is trained in epochs 1–2 only,
// right from epoch 3 on, so left's loss should bottom out early and right's late.
const SPEC = (epochs: number, keep: number) =>
  TINY_SPEC.replace(/ {4}metrics: \[accuracy\]\n/g, '')
    .replace('trainSize: 8', 'trainSize: 96')
    .replace('loss: sparse-categorical-crossentropy\n', 'loss: sparse-categorical-crossentropy\n    weight: {type: steps, initial: 1, steps: [{epoch: 3, value: 0}]}\n')
    .replace('loss: {type: sparse-categorical-crossentropy, fromLogits: true}\n', 'loss: {type: sparse-categorical-crossentropy, fromLogits: true}\n    weight: {type: steps, initial: 0, steps: [{epoch: 3, value: 1}]}\n') +
  `train: {epochs: ${epochs}, batchSize: 8, validation: 0.25, optimizer: {type: adam, learningRate: 0.01}}\ncheckpoint: {perTask: true, keep: ${keep}}\n`;

const read = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));
const bytes = (f: string) => fs.readFileSync(f).toString('base64');

/** The first epoch with the lowest validation loss of `task`, from metrics.json's records. */
function lowest(metrics: { epochs: Array<{ epoch: number; val: { tasks: Record<string, { loss: number }> } }> }, task: string): number {
  let best = metrics.epochs[0];
  for (const e of metrics.epochs) if (e.val.tasks[task].loss < best.val.tasks[task].loss) best = e;
  return best.epoch;
}

describe('checkpoint.perTask and checkpoint.keep', () => {
  before(() => useBackend('cpu'));

  it('best-<task> holds each task\'s own best epoch; keep leaves the K most recent epochs; resume keeps both', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-pertask-'));
    const spec = (epochs: number, keep: number) => {
      const f = path.join(tmp, `spec-${epochs}-${keep}.yaml`);
      fs.writeFileSync(f, SPEC(epochs, keep));
      return f;
    };
    const run = path.join(tmp, 'all');
    await train(spec(6, 6), { out: run, backend: 'cpu' });
    const m = read(path.join(run, 'metrics.json'));
    const left = lowest(m, 'left');
    const right = lowest(m, 'right');
    assert.notEqual(left, right, `the fixture must make the tasks peak apart (left ${left}, right ${right})`);
    for (const [task, epoch] of [['left', left], ['right', right]] as const) {
      const dir = path.join(run, 'checkpoints', `best-${task}`);
      assert.equal(read(path.join(dir, 'state.json')).epoch, epoch, task);
      assert.equal(bytes(path.join(dir, 'weights.bin')), bytes(path.join(run, 'checkpoints', `epoch-${epoch}`, 'weights.bin')), task);
      assert.deepEqual(m.bestPerTask[task], { epoch, value: m.epochs[epoch - 1].val.tasks[task].loss, monitor: `val.${task}.loss` });
    }
    // mtl eval --checkpoint best-left: the validation loss of left recorded for that epoch.
    const ev = await evaluateRun(run, { checkpoint: 'best-left', split: 'val', backend: 'cpu' });
    assert.equal(ev.record.epoch, left);
    assert.ok(Math.abs(ev.record.tasks.left.loss - m.epochs[left - 1].val.tasks.left.loss) < 1e-5, `${ev.record.tasks.left.loss}`);
    await assert.rejects(evaluateRun(run, { checkpoint: 'best-nothere', split: 'val', backend: 'cpu' }), (e: unknown) => e instanceof MtlError && e.kind === 'checkpoint' && /allowed: best, best-left, best-right, epoch-1/.test(e.message));
    assert.deepEqual(fs.readdirSync(path.join(run, 'checkpoints')).sort(), ['best', 'best-left', 'best-right', 'epoch-1', 'epoch-2', 'epoch-3', 'epoch-4', 'epoch-5', 'epoch-6', 'last']);

    // 3 epochs, then resumed to 6 with keep: 2.
    const split = path.join(tmp, 'split');
    await train(spec(3, 2), { out: split, backend: 'cpu' });
    assert.deepEqual(fs.readdirSync(path.join(split, 'checkpoints')).filter((n) => n.startsWith('epoch-')).sort(), ['epoch-2', 'epoch-3']);
    await train(spec(6, 2), { resume: split, backend: 'cpu' });
    assert.deepEqual(fs.readdirSync(path.join(split, 'checkpoints')).filter((n) => n.startsWith('epoch-')).sort(), ['epoch-5', 'epoch-6']);
    for (const name of ['best-left', 'best-right', 'epoch-5', 'epoch-6', 'last']) {
      assert.equal(bytes(path.join(split, 'checkpoints', name, 'weights.bin')), bytes(path.join(run, 'checkpoints', name, 'weights.bin')), name);
    }
    assert.deepEqual(read(path.join(split, 'metrics.json')).bestPerTask, m.bestPerTask);
  });
});
