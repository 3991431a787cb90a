// Checkpoints: a stock tf.loadLayersModel reads what the trainer writes and predicts the same;
// optimizer state survives a round trip under stable names; damage is a checkpoint error.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { disposeBatch } from '../../../src/data/batching';
import { MtlError } from '../../../src/errors';
import { buildModel } from '../../../src/model/build';
import { loadModelFiles } from '../../../src/model/files';
import { readCheckpointState, restoreOptimizer, saveCheckpoint, variableNames, writeOptimizerFiles } from '../../../src/train/checkpoint';
import { useBackend } from '../../helpers/backend';
import { tinyBatch, tinySpec } from '../../helpers/tiny';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-ckpt-'));

describe('checkpoints', () => {
  before(() => useBackend('cpu'));

  it('round-trips through stock tf.loadLayersModel with identical predictions, and restores optimizer slots', async () => {
    const spec = tinySpec().resolved;
    const built = buildModel(spec);
    const opt = tf.train.adam(0.01);
    const vars = built.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const batch = tinyBatch(5, 9);
    // One real update so that Adam has slots to save.
    opt.minimize(() => tf.sum((built.model.apply(batch.inputs.image) as tf.Tensor[])[0]) as tf.Scalar, false, vars);
    const dir = path.join(tmp(), 'last');
    const state = { epoch: 3, step: 30, best: { monitor: 'val.loss', value: 1.5, epoch: 2 }, strategy: { w: [1, 2] }, epochLosses: [[1, 2]] };
    await saveCheckpoint(dir, { model: built.model, optimizer: opt, names: variableNames(built.model), state, metadata: { mtl: { tasks: ['left', 'right'] } } });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['model.json', 'optimizer.bin', 'optimizer.json', 'state.json', 'weights.bin']);

    // A stock loader, as a user would call it, on the files as written.
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    assert.equal(json.format, 'layers-model');
    assert.deepEqual(json.weightsManifest[0].paths, ['weights.bin']);
    const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
    const stock = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }),
    );
    const a = built.model.predict(batch.inputs.image) as tf.Tensor[];
    const b = stock.predict(batch.inputs.image) as tf.Tensor[];
    assert.equal(b.length, 2);
    assert.deepEqual(stock.outputNames, ['left', 'right']);
    for (let i = 0; i < 2; i++) assert.deepEqual(Array.from(b[i].dataSync()), Array.from(a[i].dataSync()));

    const { model: ours, metadata } = await loadModelFiles(dir);
    assert.deepEqual((metadata as { mtl: { tasks: string[] } }).mtl.tasks, ['left', 'right']);
    assert.deepEqual(Array.from((ours.predict(batch.inputs.image) as tf.Tensor[])[1].dataSync()), Array.from(a[1].dataSync()));
    // state.json adds each file's sha256 (checked on load).
    const sha = (f: string) => createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex');
    const files = Object.fromEntries(['model.json', 'weights.bin', 'optimizer.json', 'optimizer.bin'].map((f) => [f, sha(f)]));
    assert.deepEqual(readCheckpointState(dir), { ...state, files });

    // Optimizer slots restore into a second model built in the same process (its variables get new names).
    const built2 = buildModel(spec);
    const opt2 = tf.train.adam(0.01);
    await restoreOptimizer(opt2, dir, variableNames(built2.model));
    const w1 = await opt.getWeights();
    const w2 = await opt2.getWeights();
    assert.equal(w2.length, w1.length);
    const names2 = new Set(built2.model.weights.map((w) => w.name));
    for (const w of w2.slice(1)) assert.ok(names2.has(w.name.replace(/\/[mv]$/, '')), `slot ${w.name} not mapped to the new model`);
    assert.deepEqual(Array.from(w2[1].tensor.dataSync()), Array.from(w1[1].tensor.dataSync()));

    disposeBatch(batch);
    [built.model, built2.model, stock, ours].forEach((m) => m.dispose());
  });

  it("Adam restored from its files continues bit-identically (its accumulated β powers are saved, not recomputed as pow(β, t+1))", async () => {
    const g = tf.tensor1d([0.1, -0.2, 0.3, 1e-3]);
    const v1 = tf.variable(tf.ones([4]));
    const opt1 = tf.train.adam(0.01);
    for (let i = 0; i < 57; i++) opt1.applyGradients([{ name: v1.name, tensor: g }]);
    const dir = tmp();
    await writeOptimizerFiles(opt1, dir, { toStable: new Map([[v1.name, 'w']]), fromStable: new Map() });
    const v2 = tf.variable(v1.clone());
    const opt2 = tf.train.adam(0.01);
    await restoreOptimizer(opt2, dir, { toStable: new Map(), fromStable: new Map([['w', v2.name]]) });
    for (let i = 0; i < 20; i++) {
      opt1.applyGradients([{ name: v1.name, tensor: g }]);
      opt2.applyGradients([{ name: v2.name, tensor: g }]);
    }
    assert.deepEqual(Array.from(v2.dataSync()), Array.from(v1.dataSync()));
    tf.dispose([g, v1, v2]);
    opt1.dispose();
    opt2.dispose();
  });

  it('reports a truncated weights file and a missing folder as checkpoint errors', async () => {
    const spec = tinySpec().resolved;
    const built = buildModel(spec);
    const dir = path.join(tmp(), 'best');
    await saveCheckpoint(dir, { model: built.model, optimizer: tf.train.sgd(0.1), names: variableNames(built.model), state: { epoch: 1, step: 1, best: { monitor: 'val.loss', value: null, epoch: null }, strategy: null, epochLosses: [] }, metadata: {} });
    const wb = path.join(dir, 'weights.bin');
    fs.writeFileSync(wb, fs.readFileSync(wb).subarray(0, 100));
    await assert.rejects(loadModelFiles(dir), (e: unknown) => e instanceof MtlError && e.kind === 'checkpoint' && /has 100 bytes/.test(e.message));
    await assert.rejects(loadModelFiles(path.join(dir, 'nope')), (e: unknown) => e instanceof MtlError && e.exitCode === 4 && /missing checkpoint file/.test(e.message));
    built.model.dispose();
  });
});
