// Every architecture builds from a spec, trains two steps (loss and gradient strategies), saves and
// reloads through a stock tf.loadLayersModel with identical predictions, and groups its layers; plus
// the properties each paper defines: the soft-sharing penalty, cross-stitch at identity, gate sums.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { softSharingPenalty } from '../../../src/architectures/soft';
import { disposeBatch } from '../../../src/data/batching';
import { buildModel, partitionVariables } from '../../../src/model/build';
import { modelToGraph } from '../../../src/plot/graph';
import { writeModelFiles } from '../../../src/model/files';
import { disposeStepResult, trainStep } from '../../../src/train/step';
import { useBackend } from '../../helpers/backend';
import { partsFor, staticOf, sumOfGradients } from '../../helpers/step';
import { tinyBatch, tinySpec } from '../../helpers/tiny';

const flatWeights = (m: tf.LayersModel) => tf.tidy(() => Array.from(tf.concat(m.getWeights().map((w) => w.reshape([-1]))).dataSync()));
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

async function reload(model: tf.LayersModel): Promise<tf.LayersModel> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-arch-'));
  await writeModelFiles(model, dir);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
  fs.rmSync(dir, { recursive: true, force: true });
  // A stock loader: works once mtl's layer classes are registered (importing src/model/build does it).
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }));
}

const CASES: Array<{ arch: string; yaml: string; sharedParams: 'none' | 'some' }> = [
  { arch: 'hard', yaml: 'architecture: hard', sharedParams: 'some' },
  { arch: 'soft', yaml: 'architecture: {type: soft, lambda: 0.1}', sharedParams: 'none' },
  { arch: 'cross-stitch', yaml: 'architecture: {type: cross-stitch, alphaSelf: 0.9}', sharedParams: 'some' },
  { arch: 'mmoe', yaml: 'architecture: {type: mmoe, experts: 2}', sharedParams: 'some' },
  { arch: 'cgc', yaml: 'architecture: {type: cgc, sharedExperts: 1, taskExperts: 1}', sharedParams: 'some' },
  { arch: 'ple', yaml: 'architecture: {type: ple, levels: 2, expert: [flatten, {dense: {units: 6, activation: relu}}], upperExpert: [{dense: {units: 6, activation: relu}}]}', sharedParams: 'some' },
  { arch: 'dselect-k', yaml: 'architecture: {type: dselect-k, experts: 3, k: 2}', sharedParams: 'some' },
  { arch: 'mtan', yaml: 'architecture: mtan', sharedParams: 'some' },
];

describe('architectures', () => {
  before(() => useBackend('cpu'));

  for (const c of CASES) {
    it(`${c.arch}: builds, trains two steps with loss and gradient strategies, reloads with identical predictions`, async () => {
      const spec = tinySpec(c.yaml + '\n').resolved;
      assert.equal(spec.architecture?.type, c.arch);
      const built = buildModel(spec);
      assert.deepEqual(built.model.outputNames, ['left', 'right']);
      const vars = partitionVariables(built);
      const total = vars.shared.length + Object.values(vars.heads).flat().length;
      assert.equal(total, built.model.trainableWeights.length, 'every trainable weight is in exactly one part');
      if (c.sharedParams === 'none') assert.equal(vars.shared.length, 0);
      else assert.ok(vars.shared.length > 0);
      for (const t of built.taskNames) assert.ok(vars.heads[t].length > 0, `task ${t} has its own parameters`);

      const batch = tinyBatch(4, 3);
      for (const strategy of [staticOf(spec), sumOfGradients()]) {
        const p = partsFor(built, spec, strategy, {}, 'adam');
        const before = flatWeights(built.model);
        const counts: number[] = [];
        for (let step = 0; step < 3; step++) {
          const r = trainStep(p, batch, { step, epoch: 1, learningRate: 0.01, epochLosses: [] });
          assert.ok(Array.from(r.taskLosses.dataSync()).every(Number.isFinite), `${c.arch}: finite losses`);
          disposeStepResult(r);
          counts.push(tf.memory().numTensors);
        }
        assert.equal(counts[2], counts[1], `${c.arch} (${strategy.needs}): no tensors leak between steps: ${counts}`);
        assert.ok(maxAbsDiff(before, flatWeights(built.model)) > 0, `${c.arch}: the steps changed the weights`);
        p.opt.optimizer.dispose();
      }

      const stock = await reload(built.model);
      const a = built.model.predict(batch.inputs.image) as tf.Tensor[];
      const b = stock.predict(batch.inputs.image) as tf.Tensor[];
      for (let i = 0; i < 2; i++) assert.deepEqual(Array.from(b[i].dataSync()), Array.from(a[i].dataSync()), `${c.arch}: output ${i} after reload`);
      tf.dispose([...a, ...b]);
      stock.dispose();

      // Plot groups: every layer is input, shared or a task; both tasks own layers.
      const graph = modelToGraph(built.model, built.groups);
      const groups = new Set(graph.nodes.map((n) => n.group));
      for (const g of groups) assert.ok(['input', 'shared', 'left', 'right'].includes(g), `unexpected group ${g}`);
      assert.ok(groups.has('left') && groups.has('right'));
      const sharedWithParams = graph.nodes.filter((n) => n.group === 'shared' && n.params > 0);
      if (c.arch === 'soft') assert.equal(sharedWithParams.length, 0, 'soft sharing: every copy belongs to its task');
      else assert.ok(sharedWithParams.length > 0);
      disposeBatch(batch);
      built.model.dispose();
    });
  }

  it('soft: with nothing shared, steps between recomputations (updateEvery 2) work for loss and gradient strategies', () => {
    const spec = tinySpec('architecture: soft\n').resolved;
    const built = buildModel(spec);
    const batch = tinyBatch(4, 8);
    for (const strategy of [staticOf(spec), sumOfGradients()]) {
      const p = { ...partsFor(built, spec, strategy, {}, 'adam'), updateEvery: 2 };
      const recomputed: boolean[] = [];
      for (let step = 0; step < 3; step++) {
        const before = flatWeights(built.model);
        const r = trainStep(p, batch, { step, epoch: 1, learningRate: 0.01, epochLosses: [] });
        recomputed.push(r.recomputed);
        assert.ok(maxAbsDiff(before, flatWeights(built.model)) > 0, `step ${step} updates the weights`);
        disposeStepResult(r);
      }
      assert.deepEqual(recomputed, [true, false, true]);
      p.opt.optimizer.dispose();
    }
    disposeBatch(batch);
    built.model.dispose();
  });

  it('soft: the penalty is λ·Σ_{i<j} Σ_p ‖θ_i,p − θ_j,p‖², on known tensors and inside the model', () => {
    // Three copies of a two-element parameter: pairs give 5, 4 and 1.
    const copies = [[tf.tensor1d([1, 2])], [tf.tensor1d([0, 0])], [tf.tensor1d([1, 0])]];
    assert.equal(softSharingPenalty(copies, 2).dataSync()[0], 2 * ((1 + 4) + (0 + 4) + (1 + 0)));

    const spec = tinySpec('architecture: {type: soft, lambda: 0.5}\n').resolved;
    const built = buildModel(spec);
    const byTask = (t: string) => built.model.layers.filter((l) => l.name.startsWith(`${t}_bb_`)).flatMap((l) => l.trainableWeights.map((w) => w.read().dataSync()));
    const left = byTask('left');
    const right = byTask('right');
    assert.equal(left.length, 4, 'conv2d, dense: kernel and bias each');
    let expected = 0;
    left.forEach((w, k) => w.forEach((v, i) => (expected += (v - right[k][i]) ** 2)));
    const losses = built.model.calculateLosses();
    assert.equal(losses.length, 1, 'the penalty enters calculateLosses() once');
    const got = losses[0].dataSync()[0];
    assert.ok(Math.abs(got - 0.5 * expected) < 1e-4 * Math.max(1, expected), `${got} vs ${0.5 * expected}`);
    assert.ok(expected > 0);
    built.model.dispose();
  });

  it('cross-stitch: at exact identity (alphaSelf 1) it equals independent columns; at 0.9 it does not', () => {
    const batch = tinyBatch(3, 4);
    const independent = buildModel(tinySpec('architecture: {type: soft, lambda: 0}\n').resolved);
    const outs: Record<string, number[]> = {};
    for (const alphaSelf of [1, 0.9]) {
      const cs = buildModel(tinySpec(`architecture: {type: cross-stitch, alphaSelf: ${alphaSelf}}\n`).resolved);
      const alpha = cs.model.getLayer('cross_stitch_1').getWeights()[0];
      assert.deepEqual(Array.from(alpha.dataSync()).map((v) => +v.toFixed(6)), [alphaSelf, 1 - alphaSelf, 1 - alphaSelf, alphaSelf].map((v) => +v.toFixed(6)));
      // Give the independent columns the same weights: <task>_col_<i>_<type> ↔ <task>_bb_<i>_<type>.
      for (const l of cs.model.layers) {
        const m = /^(left|right)_col_(.*)$/.exec(l.name);
        if (m) independent.model.getLayer(`${m[1]}_bb_${m[2]}`).setWeights(l.getWeights());
        else if (l.name === 'left' || l.name === 'right') independent.model.getLayer(l.name).setWeights(l.getWeights());
      }
      const a = cs.model.predict(batch.inputs.image) as tf.Tensor[];
      const b = independent.model.predict(batch.inputs.image) as tf.Tensor[];
      outs[alphaSelf] = [maxAbsDiff(a[0].dataSync(), b[0].dataSync()), maxAbsDiff(a[1].dataSync(), b[1].dataSync())];
      tf.dispose([...a, ...b]);
      cs.model.dispose();
    }
    assert.ok(Math.max(...outs[1]) < 1e-6, `identity: ${outs[1]}`);
    assert.ok(Math.max(...outs[0.9]) > 1e-4, `mixing changes the outputs: ${outs[0.9]}`);
    independent.model.dispose();
    disposeBatch(batch);
  });

  for (const [arch, yaml, experts] of [
    ['mmoe', 'architecture: {type: mmoe, experts: 3}', 3],
    ['dselect-k', 'architecture: {type: dselect-k, experts: 3, k: 2}', 3],
    ['dselect-k', 'architecture: {type: dselect-k, experts: 4, k: 1, gamma: 0.5}', 4],
  ] as const) {
    it(`${arch} (${experts} experts): each task's gate gives non-negative expert weights summing to 1`, () => {
      const built = buildModel(tinySpec(yaml + '\n').resolved);
      const batch = tinyBatch(5, 6);
      for (const t of built.taskNames) {
        const gate = tf.model({ inputs: built.model.inputs, outputs: built.model.getLayer(`${t}_gate`).output as tf.SymbolicTensor });
        const g = gate.predict(batch.inputs.image) as tf.Tensor2D;
        assert.deepEqual(g.shape, [5, experts]);
        const rows = g.arraySync() as number[][];
        for (const r of rows) {
          assert.ok(r.every((v) => v >= 0), `${r}`);
          assert.ok(Math.abs(r.reduce((a, b) => a + b, 0) - 1) < 1e-5, `${r}`);
        }
        g.dispose();
      }
      disposeBatch(batch);
      built.model.dispose();
    });
  }

  it('architectures that need a layer list reject a graph backbone at the backbone line', async () => {
    const { validateSpecText } = await import('../../../src/spec/validate');
    const { TINY_SPEC } = await import('../../helpers/tiny');
    const text = TINY_SPEC.replace(/backbone:\n(  - .*\n)+/, 'backbone:\n  nodes:\n    f: {layers: [flatten], inputs: [image]}\n  outputs: [f]\n') + 'architecture: mmoe\n';
    assert.throws(() => validateSpecText(text, 'g.yaml'), (e: Error & { problems?: Array<{ message: string; where: { line?: number } }> }) => {
      const p = e.problems?.[0];
      assert.match(p?.message ?? '', /architecture "mmoe" needs the backbone as a layer list/);
      assert.equal(p?.where.line, text.split('\n').indexOf('  nodes:') + 1);
      return true;
    });
  });
});

describe('ple on a convolutional expert without upperExpert', () => {
  before(() => useBackend('cpu'));

  it('levels 2 and up get one dense ReLU expert as wide as the level-1 expert output', () => {
    const spec = tinySpec('architecture: {type: ple, levels: 2, expert: [{conv2d: {filters: 2, kernelSize: 3}}, flatten, {dense: {units: 4}}]}\n').resolved;
    const built = buildModel(spec);
    const upper = built.model.layers.filter((l) => l.name.startsWith('l2_shared1'));
    assert.deepEqual(upper.map((l) => l.getClassName()), ['Dense']);
    assert.equal((upper[0].getConfig() as { units: number }).units, 4);
    built.model.dispose();
  });
});
