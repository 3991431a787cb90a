// stages: validation (patterns that match nothing, unknown tasks, epochs), what a stage switch freezes
// (values and Adam slots bit-unchanged across a stage under decoupled and coupled weight decay, trained
// again after unfreezing; inactive tasks' heads unchanged), and resume in the middle of a stage — across
// strategy and optimizer switches — equal to the uninterrupted run, as with a weight schedule and param groups.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BackendInfo } from '../../../src/backend/select';
import { MtlError } from '../../../src/errors';
import { runEpoch } from '../../../src/train/epoch';
import { preflight } from '../../../src/train/preflight';
import { silentReporter } from '../../../src/train/events';
import { train } from '../../../src/train/loop';
import { disposeRun, setupRun } from '../../../src/train/setup';
import { stageIndexAt } from '../../../src/train/stages';
import { useBackend } from '../../helpers/backend';
import { parse, stringify } from 'yaml';
import { packageRoot } from '../../../src/util/paths';
import { validateSpecText } from '../../../src/spec/validate';
import { TINY_SPEC, tinySpec } from '../../helpers/tiny';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-stages-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const CPU: BackendInfo = { name: 'cpu', package: '@tensorflow/tfjs', gpu: false, tried: [] };

function configProblems(extra: string): string[] {
  try {
    tinySpec(extra);
  } catch (e) {
    assert.ok(e instanceof MtlError && e.kind === 'config', String(e));
    return e.problems.map((p) => `${p.where.line}:${p.where.col} ${p.where.path} ${p.message} ${p.hint ?? ''}`);
  }
  return [];
}

/** Copies of every model weight and every optimizer slot, by name. */
async function snapshot(run: Awaited<ReturnType<typeof setupRun>>): Promise<{ weights: Map<string, Float32Array>; slots: Map<string, Float32Array> }> {
  const weights = new Map(run.built.model.weights.map((w) => [w.name, (w.read().dataSync() as Float32Array).slice()]));
  const slots = new Map((await run.opt.optimizer.getWeights()).map((w) => [w.name, (w.tensor.dataSync() as Float32Array).slice()]));
  return { weights, slots };
}

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

describe('stages', () => {
  before(() => useBackend('cpu'));

  it('the stage of an epoch', () => {
    const st = [{ epochs: 2 }, { epochs: 1 }, { epochs: 3 }];
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((e) => stageIndexAt(st, e)), [0, 0, 1, 2, 2, 2, 2]);
  });

  it('fills train.epochs with the stages\' sum; a different train.epochs is an error', () => {
    const s = tinySpec('stages:\n  - {name: a, epochs: 2, tasks: [left]}\n  - {name: b, epochs: 3}\n');
    assert.equal(s.resolved.train.epochs, 5);
    const p = configProblems('train: {epochs: 4}\nstages:\n  - {name: a, epochs: 2}\n  - {name: b, epochs: 3}\n');
    assert.equal(p.length, 1);
    assert.match(p[0], /^21:\d+ train\.epochs the stages make 5 epochs \(a 2 \+ b 3\), but train\.epochs is 4/);
  });

  it('a pattern that matches nothing, an unknown task or head, a reused name and a stage with nothing to train are spec errors with line:col and did-you-mean', () => {
    const p = configProblems(`stages:
  - {name: a, epochs: 1, tasks: [lefft]}
  - {name: b, epochs: 1, freeze: [heads.rihgt]}
  - {name: b, epochs: 1}
`);
    assert.equal(p.length, 3, p.join('\n'));
    assert.match(p[0], /^22:\d+ stages\[0\]\.tasks\[0\] unknown task "lefft" did you mean "left"\?/);
    assert.match(p[1], /^23:\d+ stages\[1\]\.freeze\[0\] "heads\.rihgt" names no task did you mean "right"\?/);
    assert.match(p[2], /^24:\d+ stages\[2\]\.name stage name "b" is used twice/);
    // Against the built model (checked once the rest is valid).
    const q = configProblems(`stages:
  - {name: a, epochs: 1, freeze: [shared_3_dens*]}
  - {name: b, epochs: 1, freeze: [shared_9_dense]}
  - {name: c, epochs: 1, tasks: [left], freeze: [backbone, heads.left]}
`);
    assert.equal(q.length, 2, q.join('\n'));
    assert.match(q[0], /^23:\d+ stages\[1\]\.freeze\[0\] "shared_9_dense" matches no variable of the model did you mean "shared_3_dense"\?/);
    assert.match(q[1], /^24:\d+ stages\[2\] stage "c" leaves no variable to train for its tasks \(left\)/);
  });

  it('a stage\'s weighting is preflighted too: gradSpace representation without one shared representation names the stage', () => {
    const spec = tinySpec('architecture: {type: mmoe, experts: 2}\nstages:\n  - {name: a, epochs: 1}\n  - {name: b, epochs: 1, weighting: {method: mgda, gradSpace: representation}}\n');
    assert.throws(() => preflight(spec), (e: unknown) => e instanceof MtlError && e.kind === 'config' && /stages\[1\]\.weighting\.gradSpace/.test(e.message));
  });

  for (const optimizer of ['{type: adamw, learningRate: 0.01, weightDecay: 0.1}', '{type: adam, learningRate: 0.01, weightDecay: 0.1}']) {
    it(`a stage switch freezes exactly the listed variables and the inactive heads, and unfreezing trains them again (${optimizer})`, async () => {
      // With batch norm: a frozen batch-norm layer keeps its moving statistics too.
      const spec = validateSpecText(`${TINY_SPEC.replace('  - flatten:\n', '  - batchNormalization:\n  - flatten:\n')}train: {batchSize: 2, stepsPerEpoch: 2, validation: none, optimizer: ${optimizer}}
stages:
  - {name: a, epochs: 1, tasks: [left]}
  - {name: b, epochs: 1, tasks: [right], freeze: [backbone]}
  - {name: c, epochs: 1, unfreeze: ['shared_4_dense']}
`);
      const run = await setupRun(spec, CPU, { out: path.join(tmp, `freeze-${optimizer.slice(7, 12)}`) });
      try {
        const names = run.built.model.weights.filter((w) => w.trainable).map((w) => w.name);
        const layerOf = (n: string) => run.built.model.layers.find((l) => l.weights.some((w) => w.name === n))!.name;
        const heads = { left: names.filter((n) => layerOf(n) === 'left'), right: names.filter((n) => layerOf(n) === 'right') };
        const backbone = names.filter((n) => layerOf(n).startsWith('shared_'));
        const dense = backbone.filter((n) => layerOf(n) === 'shared_4_dense');
        const stats = run.built.model.getLayer('shared_2_batchNormalization').nonTrainableWeights.map((w) => w.name);
        assert.equal(stats.length, 2);
        assert.equal(heads.left.length + heads.right.length + backbone.length, names.length);
        const expectFrozen = [new Set(heads.right), new Set([...backbone, ...heads.left]), new Set(backbone.filter((n) => !dense.includes(n)))];
        for (let epoch = 1; epoch <= 3; epoch++) {
          const before = await snapshot(run);
          await runEpoch(run, epoch, { reporter: silentReporter, callbacks: [] });
          const afterEpoch = await snapshot(run);
          // The moving mean and variance move while the backbone trains (stage a) only.
          for (const n of stats) assert.equal(same(before.weights.get(n)!, afterEpoch.weights.get(n)!), epoch > 1, `epoch ${epoch}: ${n}`);
          for (const n of names) {
            const kept = same(before.weights.get(n)!, afterEpoch.weights.get(n)!);
            assert.equal(kept, expectFrozen[epoch - 1].has(n), `epoch ${epoch}: ${n} ${kept ? 'unchanged' : 'changed'}`);
            // Adam's moments of a frozen variable do not drift either.
            for (const slot of ['m', 'v']) {
              const a = before.slots.get(`${n}/${slot}`);
              if (a && expectFrozen[epoch - 1].has(n)) assert.ok(same(a, afterEpoch.slots.get(`${n}/${slot}`)!), `epoch ${epoch}: slot ${n}/${slot} moved`);
            }
          }
        }
      } finally {
        disposeRun(run);
      }
    });
  }

  const records = (dir: string) => {
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
    const strip = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(strip) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => !['wallTime', 'samplesPerSecond'].includes(k)).map(([k, x]) => [k, strip(x)])) : v;
    return { epochs: strip(m.epochs) as Array<Record<string, unknown>>, best: m.best, test: m.test };
  };
  const weightsOf = (dir: string) => fs.readFileSync(path.join(dir, 'checkpoints', 'last', 'weights.bin'));

  /**
   * Train `spec` straight; train it again, interrupted (as Ctrl-C) right after epoch `cut` is committed,
   * then resume: the same records and the same final weights, bit for bit.
   */
  async function resumeEqualsStraight(name: string, spec: string, cut: number): Promise<Array<Record<string, unknown>>> {
    const file = path.join(tmp, `${name}.yaml`);
    fs.writeFileSync(file, spec);
    const straight = path.join(tmp, `${name}-straight`);
    const split = path.join(tmp, `${name}-split`);
    await train(file, { out: straight, backend: 'cpu' });
    const stop = new AbortController();
    const reporter = { ...silentReporter, epochEnd: (rec: { epoch: number }) => (rec.epoch === cut ? stop.abort() : undefined) };
    await assert.rejects(train(file, { out: split, backend: 'cpu', signal: stop.signal, reporter }), (e: unknown) => e instanceof MtlError && e.kind === 'interrupted');
    assert.equal(records(split).epochs.length, cut);
    await train(file, { resume: split, backend: 'cpu' });
    const a = records(straight);
    const b = records(split);
    assert.deepEqual(b.epochs, a.epochs);
    assert.deepEqual(b.best, a.best);
    assert.deepEqual(b.test, a.test);
    assert.ok(weightsOf(straight).equals(weightsOf(split)), 'checkpoints/last weights differ');
    return a.epochs;
  }

  it('resume in the middle of stage 2 (a new strategy with variables) and across the switch to stage 3 (a new optimizer and rate) equals the uninterrupted run', async () => {
    const base = 'train: {batchSize: 2, stepsPerEpoch: 3, optimizer: {type: adam, learningRate: 0.01, weightDecay: 0.01}}\n';
    const a = '  - {name: a, epochs: 1, tasks: [left]}\n';
    const b = '  - {name: b, epochs: 2, tasks: [right], freeze: [backbone], weighting: uw}\n';
    const c = '  - {name: c, epochs: 1, unfreeze: [backbone], optimizer: {type: sgd, momentum: 0.9}, learningRate: 0.05}\n';
    const epochs = await resumeEqualsStraight('mid', `${TINY_SPEC}${base}stages:\n${a}${b}${c}`, 2);
    assert.deepEqual(epochs.map((e) => e.stage), ['a', 'b', 'b', 'c']);
    assert.deepEqual(epochs.map((e) => e.learningRate), [0.01, 0.01, 0.01, 0.05]);
    // Inactive tasks have weight 0: left in stage b, right in stage a.
    assert.equal((epochs[0].weights as Record<string, number>).right, 0);
    assert.equal((epochs[1].weights as Record<string, number>).left, 0);
  });

  it('resume with a loss-weight schedule equals the uninterrupted run', async () => {
    const w = (epochs: number) => `train: {epochs: ${epochs}, batchSize: 2, stepsPerEpoch: 3, optimizer: {type: adam, learningRate: 0.01}}\n`;
    const patch = (t: string) => t.replace('    loss: {type: sparse-categorical-crossentropy, fromLogits: true}\n', '    loss: {type: sparse-categorical-crossentropy, fromLogits: true}\n    weight: {type: linear, from: 0, to: 1, startEpoch: 1, endEpoch: 3}\n');
    const epochs = await resumeEqualsStraight('schedule', patch(TINY_SPEC) + w(3), 1);
    assert.deepEqual(epochs.map((e) => (e.weights as Record<string, number>).right), [0, 0.5, 1]);
  });

  it('resume with parameter groups equals the uninterrupted run', async () => {
    const g = (epochs: number) =>
      `train: {epochs: ${epochs}, batchSize: 2, stepsPerEpoch: 3, optimizer: {type: adam, learningRate: 0.01, weightDecay: 0.01}, paramGroups: [{match: heads.left, lrMultiplier: 10, weightDecay: 0}, {match: backbone, lrMultiplier: 0.5}]}\n`;
    await resumeEqualsStraight('groups', TINY_SPEC + g(2), 1);
  });

  it('configs/stages.yaml trains (small data, one step an epoch): stages per epoch; the frozen stage leaves task left\'s outputs unchanged', async () => {
    const spec = parse(fs.readFileSync(path.join(packageRoot(), 'configs', 'stages.yaml'), 'utf8'));
    Object.assign(spec.data, { trainSize: 40, testSize: 16 });
    spec.train = { ...spec.train, stepsPerEpoch: 1, batchSize: 8 };
    const file = path.join(tmp, 'stages-config.yaml');
    fs.writeFileSync(file, stringify(spec));
    const r = await train(file, { out: path.join(tmp, 'stages-config'), backend: 'cpu' });
    assert.equal(r.status, 'completed');
    assert.deepEqual(r.epochs.map((e) => e.stage), ['left', 'left', 'right', 'joint']);
    // Stage right freezes the backbone and leaves task left out (its head frozen): left's validation is bit-identical.
    assert.equal(r.epochs[2].val!.tasks.left.loss, r.epochs[1].val!.tasks.left.loss);
    assert.notEqual(r.epochs[2].val!.tasks.right.loss, r.epochs[1].val!.tasks.right.loss);
    assert.deepEqual(r.epochs.map((e) => e.learningRate), [0.002, 0.002, 0.002, 0.0005]);
  });
});
