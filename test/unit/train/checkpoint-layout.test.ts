// Checkpoints written before uw's log-variances became one variable per task (issue #9) still resume.
// Old layout (as the previous code wrote it, checked against a real one): one unnamed [T] variable,
// named by tfjs with a number ('2'), whose optimizer slots ('2/m', '2/v') come first in each block of
// optimizer.json, and which gradOrder lists under that number. The old checkpoint is built by hand
// here from a run's own, so a resume from it can be compared with the uninterrupted run.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { MtlError } from '../../../src/errors';
import { migrateGradOrder, splitLegacySlots } from '../../../src/train/checkpoint-layout';
import { train } from '../../../src/train/loop';
import { useBackend } from '../../helpers/backend';
import { TINY_SPEC } from '../../helpers/tiny';

type Slot = { name: string; tensor: tf.Tensor };
const slot = (name: string, values: number[], shape = [values.length]): Slot => ({ name, tensor: tf.tensor(values, shape) });
const show = (slots: Slot[]) => slots.map((s) => [s.name, s.tensor.shape, Array.from(s.tensor.dataSync())]);
const UW = ['uw/logVariance/left', 'uw/logVariance/right'];

describe('old-layout optimizer slots, by hand', () => {
  before(() => useBackend('cpu'));

  it('Adam: each block\'s [T] slot of the unnamed variable becomes T scalar slots at the block\'s end; gradOrder likewise', () => {
    const old = [slot('iter', [4], []), slot('2/m', [0.1, 0.2]), slot('a/kernel/m', [1, 2, 3]), slot('b/m', [4]), slot('2/v', [0.3, 0.4]), slot('a/kernel/v', [5, 6, 7]), slot('b/v', [8])];
    const got = splitLegacySlots(old, '2', UW, 'dir');
    assert.deepEqual(show(got), [
      ['iter', [], [4]],
      ['a/kernel/m', [3], [1, 2, 3]],
      ['b/m', [1], [4]],
      ['uw/logVariance/left/m', [], [Math.fround(0.1)]],
      ['uw/logVariance/right/m', [], [Math.fround(0.2)]],
      ['a/kernel/v', [3], [5, 6, 7]],
      ['b/v', [1], [8]],
      ['uw/logVariance/left/v', [], [Math.fround(0.3)]],
      ['uw/logVariance/right/v', [], [Math.fround(0.4)]],
    ]);
    assert.deepEqual(migrateGradOrder(['a/kernel', 'b', '2'], '2', UW, 'dir'), ['a/kernel', 'b', ...UW]);
  });

  it('momentum (one block); no per-task variables now: the slots are dropped; a vector of the wrong length is a checkpoint error', () => {
    const old = [slot('iter', [1], []), slot('17/momentum', [5, 6]), slot('a/momentum', [1])];
    assert.deepEqual(show(splitLegacySlots(old, '17', UW, 'dir')), [['iter', [], [1]], ['a/momentum', [1], [1]], ['uw/logVariance/left/momentum', [], [5]], ['uw/logVariance/right/momentum', [], [6]]]);
    assert.deepEqual(show(splitLegacySlots(old, '17', [], 'dir')), [['iter', [], [1]], ['a/momentum', [1], [1]]]);
    assert.throws(
      () => splitLegacySlots(old, '17', [...UW, 'uw/logVariance/third'], 'dir'),
      (e: unknown) => e instanceof MtlError && e.kind === 'checkpoint' && /older layout/.test(e.message) && /17\/momentum \[2\]/.test(e.message),
    );
  });
});

const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

/** Rewrites checkpoint `dir` (current layout) into the old one, the unnamed variable called `id`; `extra` more entries in its vector. */
async function toOldLayout(dir: string, id: string, extra: number[] = []): Promise<void> {
  const optFile = path.join(dir, 'optimizer.json');
  const json = JSON.parse(fs.readFileSync(optFile, 'utf8'));
  const specs = json.weightsManifest[0].weights as tf.io.WeightsManifestEntry[];
  const bin = fs.readFileSync(path.join(dir, 'optimizer.bin'));
  const decoded = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), specs);
  const named = specs.map((s) => ({ name: s.name, tensor: decoded[s.name] }));
  const [iter, ...rest] = named;
  const kinds = [...new Set(rest.filter((s) => s.name.startsWith('uw/')).map((s) => s.name.slice(s.name.lastIndexOf('/'))))];
  // Per kind: the vector of the T scalar slots first, then the model's slots in their order.
  const blocks = kinds.map((kind) => {
    const own = rest.filter((s) => s.name.endsWith(kind));
    const uw = UW.map((n) => own.find((s) => s.name === n + kind)!.tensor.dataSync()[0]);
    return [{ name: id + kind, tensor: tf.tensor1d([...uw, ...extra]) }, ...own.filter((s) => !s.name.startsWith('uw/'))];
  });
  const { data, specs: oldSpecs } = await tf.io.encodeWeights([iter, ...blocks.flat()]);
  fs.writeFileSync(path.join(dir, 'optimizer.bin'), Buffer.from(data));
  json.weightsManifest[0].weights = oldSpecs;
  fs.writeFileSync(optFile, JSON.stringify(json));
  const stateFile = path.join(dir, 'state.json');
  const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  state.gradOrder = [...state.gradOrder.filter((n: string) => !n.startsWith('uw/')), id];
  state.files['optimizer.json'] = sha(optFile);
  state.files['optimizer.bin'] = sha(path.join(dir, 'optimizer.bin'));
  fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));
}

const strip = (dir: string) => {
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
  return m.epochs.map((e: Record<string, unknown>) => ({ train: e.train, val: e.val, weights: e.weights }));
};

describe('resume from an old-layout uw checkpoint', () => {
  before(() => useBackend('cpu'));

  it('is migrated: the resumed run equals the uninterrupted one (records, weights, optimizer files)', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-layout-'));
    const specFile = (epochs: number) => {
      const f = path.join(tmp, `spec-${epochs}.yaml`);
      fs.writeFileSync(f, TINY_SPEC + `weighting: {method: uw}\ntrain: {epochs: ${epochs}, batchSize: 4, optimizer: {type: adam, learningRate: 0.01}}\n`);
      return f;
    };
    const straight = path.join(tmp, 'straight');
    const split = path.join(tmp, 'split');
    await train(specFile(2), { out: straight, backend: 'cpu' });
    await train(specFile(1), { out: split, backend: 'cpu' });
    const last = path.join(split, 'checkpoints', 'last');
    await toOldLayout(last, '2');
    assert.ok(JSON.parse(fs.readFileSync(path.join(last, 'optimizer.json'), 'utf8')).weightsManifest[0].weights.some((w: { name: string }) => w.name === '2/m'), 'the checkpoint is in the old layout');
    await train(specFile(2), { resume: split, backend: 'cpu' });
    assert.deepEqual(strip(split), strip(straight));
    for (const f of ['weights.bin', 'optimizer.bin', 'optimizer.json']) {
      assert.ok(fs.readFileSync(path.join(split, 'checkpoints', 'last', f)).equals(fs.readFileSync(path.join(straight, 'checkpoints', 'last', f))), `checkpoints/last/${f} differs`);
    }
  });

  it('whose variable does not fit the tasks is refused with a checkpoint error (exit 4) naming the layout', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-layout-'));
    const f = path.join(tmp, 'spec.yaml');
    fs.writeFileSync(f, TINY_SPEC + 'weighting: {method: uw}\ntrain: {epochs: 1, batchSize: 4, optimizer: {type: adam, learningRate: 0.01}}\n');
    const run = path.join(tmp, 'run');
    await train(f, { out: run, backend: 'cpu' });
    await toOldLayout(path.join(run, 'checkpoints', 'last'), '5', [0.5]);
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('epochs: 1', 'epochs: 2'));
    await assert.rejects(train(f, { resume: run, backend: 'cpu' }), (e: unknown) => e instanceof MtlError && e.kind === 'checkpoint' && /older layout \(one weighting variable for all tasks\)/.test(e.message) && /5\/m \[3\]/.test(e.message));
  });
});
