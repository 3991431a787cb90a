// Temperature task sampling: p_t ∝ n_t^(1/T) against hand-computed values, and the realised draws — of
// the bare inverse-CDF draw over 30,000 seeded draws, and of TaskSampler's batches over 30 epochs —
// within a χ² bound of the declared distribution (and far outside it for the proportional one).
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { disposeBatch, type BatchOptions } from '../../../src/data/batching';
import type { BatchSource } from '../../../src/data/source';
import { TaskSampler } from '../../../src/data/task-sampler';
import { drawTask, temperatureProbabilities } from '../../../src/data/temperature';
import { parse, stringify } from 'yaml';
import { main } from '../../../src/cli/main';
import { train } from '../../../src/train/loop';
import { packageRoot } from '../../../src/util/paths';
import { mixSeed, mulberry32 } from '../../../src/util/random';
import { useBackend } from '../../helpers/backend';

/** Pearson's χ² of observed counts against probabilities p. */
function chiSquare(counts: number[], p: number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  return counts.reduce((s, c, k) => s + (c - n * p[k]) ** 2 / (n * p[k]), 0);
}
/** χ² quantile for 2 degrees of freedom at 1 − 0.001: −2 ln 0.001. */
const CHI2_2DF_999 = -2 * Math.log(0.001);

const close = (a: number[], b: number[]) => a.every((x, i) => Math.abs(x - b[i]) < 1e-12);

/** A source of n one-row batches for one task (batchSize 1). */
function rows(task: string, n: number): BatchSource {
  return {
    kind: 'batch-source',
    size: n,
    targetNames: [task],
    async *batches(o: BatchOptions) {
      for (let i = 0; i < Math.ceil(n / o.batchSize); i++) yield { size: 1, inputs: { x: tf.zeros([1, 1]) }, targets: { [task]: tf.zeros([1], 'int32') }, masks: {} };
    },
  };
}

describe('temperature sampling', () => {
  before(() => useBackend('cpu'));

  it('p_t ∝ n_t^(1/T): hand-computed cases', () => {
    // T = 2 on 100, 400, 1600 rows: √n = 10, 20, 40 of 70.
    assert.ok(close(temperatureProbabilities([100, 400, 1600], 2), [1 / 7, 2 / 7, 4 / 7]));
    // T = 1 is proportional to size; T = 3 on 8, 64, 512: ∛n = 2, 4, 8 of 14.
    assert.ok(close(temperatureProbabilities([100, 400, 1600], 1), [1 / 21, 4 / 21, 16 / 21]));
    assert.ok(close(temperatureProbabilities([8, 64, 512], 3), [1 / 7, 2 / 7, 4 / 7]));
    // A task without rows is never drawn; the inverse CDF.
    assert.deepEqual(temperatureProbabilities([0, 9], 2), [0, 1]);
    assert.deepEqual([0, 0.14, 0.15, 0.42, 0.43, 0.999].map((u) => drawTask([1 / 7, 2 / 7, 4 / 7], u)), [0, 0, 1, 1, 2, 2]);
    assert.equal(drawTask([0.5, 0.5, 0], 0.9999999999999999), 1);
  });

  it('30,000 seeded draws follow the declared distribution (χ² < 13.8, p = 0.001), not the proportional one', () => {
    const p = [1 / 7, 2 / 7, 4 / 7];
    const counts = [0, 0, 0];
    for (let seed = 0; seed < 30; seed++) {
      const rand = mulberry32(mixSeed(17, seed));
      for (let i = 0; i < 1000; i++) counts[drawTask(p, rand())]++;
    }
    assert.ok(chiSquare(counts, p) < CHI2_2DF_999, `counts ${counts}: χ² ${chiSquare(counts, p)}`);
    assert.ok(chiSquare(counts, [1 / 21, 4 / 21, 16 / 21]) > 1000, 'the test tells T = 2 from T = 1');
  });

  it('TaskSampler draws its batches at the temperature, seeded per epoch, restarting exhausted tasks; every batch names its source', async () => {
    const sizes = [4, 16, 64];
    const tasks = ['a', 'b', 'c'];
    const shapes = Object.fromEntries(tasks.map((t) => [t, { shape: [], dtype: 'int32' as const, perToken: false }]));
    const sampler = new TaskSampler(tasks.map((t, k) => ({ task: t, source: rows(t, sizes[k]) })), shapes, { type: 'temperature', T: 2 });
    const before = tf.memory().numTensors;
    const epoch = async (e: number) => {
      const drawn: string[] = [];
      for await (const b of sampler.batches({ batchSize: 1, shuffle: true, seed: 5, epoch: e })) {
        assert.equal(b.sources?.length, 1);
        // The batch labels its own task only.
        for (const t of tasks) assert.equal(b.masks[t]!.dataSync()[0], t === b.sources![0] ? 1 : 0);
        drawn.push(b.sources![0]);
        disposeBatch(b);
      }
      return drawn;
    };
    const counts = [0, 0, 0];
    for (let e = 1; e <= 30; e++) {
      const d = await epoch(e);
      assert.equal(d.length, 84, 'an epoch is Σ ⌈n_t / batchSize⌉ = 84 draws');
      for (const t of d) counts[tasks.indexOf(t)]++;
    }
    // √4 : √16 : √64 = 2 : 4 : 8. Task a (4 rows) is drawn ~12 times an epoch: it restarts.
    assert.ok(chiSquare(counts, [1 / 7, 2 / 7, 4 / 7]) < CHI2_2DF_999, `counts ${counts}`);
    assert.ok(counts[0] / 30 > 4, 'the small task is drawn more often than it has rows');
    assert.deepEqual(await epoch(7), await epoch(7), 'seeded by seed and epoch');
    assert.notDeepEqual(await epoch(7), await epoch(8));
    assert.equal(tf.memory().numTensors, before);
  });

  describe('metrics.json records the realised counts per task (epochs[].taskBatches)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-sampling-'));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, 'a.csv'), 'x,y\n' + Array.from({ length: 10 }, (_, i) => `${i},${i % 2}`).join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'b.csv'), 'x,y\n' + Array.from({ length: 4 }, (_, i) => `${100 + i},${i * 1.5}`).join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'b6.csv'), 'x,y\n' + Array.from({ length: 6 }, (_, i) => `${100 + i},${i * 1.5}`).join('\n') + '\n');
    const spec = (sampling: string, b = 'b.csv') => `name: sampling
seed: 1
data:
  type: files
  inputs: {x: {column: x}}
  tasks:
    a: {target: {column: y, type: classification, classes: 2}, train: {format: csv, path: a.csv}}
    b: {target: {column: y, type: regression}, train: {format: csv, path: ${b}}}
  sampling: ${sampling}
inputs: {x: {shape: [1]}}
backbone: [{dense: {units: 4, activation: relu}}]
tasks:
  a: {type: classification, head: [{dense: {units: 2, activation: softmax}}], loss: sparse-categorical-crossentropy}
  b: {type: regression, head: [{dense: {units: 1}}], loss: mse}
train: {epochs: 2, batchSize: 4, validation: none, evaluateTest: false}
`;
    async function counts(name: string, sampling: string, b?: string): Promise<Array<Record<string, number>>> {
      const file = path.join(dir, `${name}.yaml`);
      fs.writeFileSync(file, spec(sampling, b));
      const r = await train(file, { out: path.join(dir, name), backend: 'cpu' });
      const m = JSON.parse(fs.readFileSync(path.join(r.runDir, 'metrics.json'), 'utf8'));
      return m.epochs.map((e: { taskBatches: Record<string, number>; train: { samples: number } }) => ({ ...e.taskBatches, samples: e.train.samples }));
    }

    it('round-robin, proportional: hand-counted; temperature: one task a step, as many steps as proportional', async () => {
      // 10 and 4 rows in batches of 4: round-robin's epoch is ⌈2·10 / 4⌉ = 5 steps, a b a b a.
      assert.deepEqual(await counts('rr', 'round-robin'), [{ a: 3, b: 2, samples: 18 }, { a: 3, b: 2, samples: 18 }]);
      // Proportional: every row once, ⌈10 / 4⌉ + ⌈4 / 4⌉ = 4 steps: a's 3 batches and b's 1.
      assert.deepEqual(await counts('prop', 'proportional'), [{ a: 3, b: 1, samples: 14 }, { a: 3, b: 1, samples: 14 }]);
      // 10 and 6 rows: ⌈10 / 4⌉ + ⌈6 / 4⌉ = 5 batches, every row once (⌈16 / 4⌉ = 4 would leave a batch out).
      assert.deepEqual(await counts('prop6', 'proportional', 'b6.csv'), [{ a: 3, b: 2, samples: 16 }, { a: 3, b: 2, samples: 16 }]);
      const t = await counts('temp', '{type: temperature, T: 2}');
      for (const e of t) assert.equal(e.a + e.b, 4);
      assert.deepEqual(await counts('all', 'all'), [{ a: 3, b: 3, samples: 22 }, { a: 3, b: 3, samples: 22 }], 'all: every task in each of the ⌈10 / 4⌉ steps (a: 4 + 4 + 2 rows, b: 3 × 4)');
    });

    it('configs/temperature-sampling.yaml trains two steps and records its draws', async () => {
      const spec = parse(fs.readFileSync(path.join(packageRoot(), 'configs', 'temperature-sampling.yaml'), 'utf8'));
      for (const t of Object.values(spec.data.tasks) as Array<{ train: { path: string } }>) t.train.path = path.resolve(packageRoot(), 'configs', t.train.path);
      spec.train = { ...spec.train, epochs: 1, stepsPerEpoch: 2 };
      const file = path.join(dir, 'temperature-sampling.yaml');
      fs.writeFileSync(file, stringify(spec));
      const r = await train(file, { out: path.join(dir, 'temperature-sampling'), backend: 'cpu' });
      assert.equal(r.epochs[0].steps, 2);
      const c = r.epochs[0].taskBatches!;
      assert.deepEqual(Object.keys(c), ['type', 'price']);
      assert.equal(c.type + c.price, 2);
    });

    it('an epoch without a task\'s batch: its loss is "–" (named) on the epoch line and null in metrics.json, and DWA counts its ratio as 1 — training goes on', async () => {
      // One step an epoch: every epoch trains one task, the other has no batch. Before, the missing task's
      // epoch loss was NaN, the line printed "loss NaN", and DWA's weights all became NaN at epoch 3: the
      // run stopped as "non-finite training … lower the learning rate".
      const spec = parse(fs.readFileSync(path.join(packageRoot(), 'configs', 'temperature-sampling.yaml'), 'utf8'));
      for (const t of Object.values(spec.data.tasks) as Array<{ train: { path: string } }>) t.train.path = path.resolve(packageRoot(), 'configs', t.train.path);
      spec.train = { ...spec.train, epochs: 4, stepsPerEpoch: 1 };
      spec.weighting = { method: 'dwa' };
      const file = path.join(dir, 'temperature-dwa.yaml');
      fs.writeFileSync(file, stringify(spec));
      const out = path.join(dir, 'temperature-dwa');
      const lines: string[] = [];
      const code = await main(['train', file, '--out', out, '--backend', 'cpu', '--no-progress'], { out: () => {}, err: (l) => lines.push(l), isTTY: false });
      assert.equal(code, 0, lines.join('\n'));
      const m = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
      assert.equal(m.epochs.length, 4);
      for (const e of m.epochs) {
        const missing = ['type', 'price'].filter((t) => !e.taskBatches[t]);
        assert.equal(missing.length, 1, JSON.stringify(e.taskBatches));
        assert.equal(e.train.tasks[missing[0]].loss, null);
        assert.deepEqual(e.train.unlabelled, missing);
        assert.ok(Object.values(e.weights as Record<string, number>).every(Number.isFinite), JSON.stringify(e.weights));
        const line = lines.find((l) => l.startsWith(`epoch ${e.epoch}/4 `));
        assert.ok(line?.includes(`loss – (no labelled ${missing[0]} batch this epoch)`), line);
      }
    });
  });
});
