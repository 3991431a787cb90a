// Pretrained backbones: a saved tfjs Layers model loads as the shared backbone (path relative to the
// spec), stays frozen through a train step, unfreezes after unfreezeAfter epochs, and an mtl
// checkpoint contributes only its shared layers.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { disposeBatch } from '../../../src/data/batching';
import { MtlError } from '../../../src/errors';
import { taskRuntimes } from '../../../src/eval/evaluate';
import { buildModel, partitionVariables } from '../../../src/model/build';
import { pretrainedIn, unfreezeIfDue } from '../../../src/model/pretrained';
import { optimizers } from '../../../src/optim/optimizers';
import { loadModelFiles, writeModelFiles } from '../../../src/model/files';
import { train } from '../../../src/train/loop';
import { disposeStepResult, trainStep, type StepParts } from '../../../src/train/step';
import { validateSpecFile } from '../../../src/spec/validate';
import { strategies } from '../../../src/weighting/index';
import { useBackend } from '../../helpers/backend';
import { tinyBatch } from '../../helpers/tiny';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-pretrained-'));

function spec(backbone: string, epochs = 1, name = 'pre.yaml'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    `name: pre
seed: 5
data: {type: multifashion, trainSize: 16, testSize: 8}
inputs:
  image: {shape: [36, 36, 1]}
backbone: ${backbone}
tasks:
  left: {type: classification, head: [{dense: {units: 10, activation: softmax}}], loss: sparse-categorical-crossentropy}
  right: {type: classification, head: [{dense: {units: 10, activation: softmax}}], loss: sparse-categorical-crossentropy}
train: {epochs: ${epochs}, batchSize: 8, optimizer: {type: sgd, learningRate: 0.1}, validation: none, evaluateTest: false}
output: {dir: ${JSON.stringify(path.join(dir, 'runs'))}}
`,
  );
  return file;
}

/** Weight values by original name (a frozen model lists its weights in another order). */
const values = (vs: tf.LayerVariable[]) => Object.fromEntries(vs.map((v) => [v.originalName, Array.from(v.read().dataSync())]));

describe('pretrained backbone', () => {
  before(async () => {
    await useBackend('cpu');
    // A small "pretrained" trunk with batch norm, saved as model.json + weights.bin under models/.
    const input = tf.input({ shape: [36, 36, 1] });
    let x = tf.layers.conv2d({ name: 'c', filters: 2, kernelSize: 5, strides: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: 'bn' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.flatten({ name: 'f' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ name: 'd', units: 6, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(x) as tf.SymbolicTensor;
    const trunk = tf.model({ inputs: input, outputs: x, name: 'trunk' });
    fs.mkdirSync(path.join(dir, 'models'));
    await writeModelFiles(trunk, path.join(dir, 'models'));
    trunk.dispose();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads relative to the spec, frozen: a train step leaves its weights (and batch-norm statistics) unchanged', async () => {
    const s = validateSpecFile(spec('{from: models/model.json}'));
    assert.equal((s.resolved.backbone as { from: string }).from, path.join(dir, 'models', 'model.json'));
    const built = buildModel(s.resolved);
    const [pre] = pretrainedIn(built.model);
    assert.equal(pre.name, 'shared_pretrained');
    assert.equal(built.groups.shared_pretrained, 'shared');
    assert.deepEqual(built.model.outputs.map((o) => o.shape), [[null, 10], [null, 10]]);
    const { model: original } = await loadModelFiles(path.join(dir, 'models'));
    assert.deepEqual(values(pre.weights), values(original.weights), 'the saved weights were loaded');
    original.dispose();

    const vars = partitionVariables(built);
    assert.equal(vars.shared.length, 0, 'a frozen backbone has no trainable variables');
    const tasks = taskRuntimes(s.resolved);
    const parts: StepParts = {
      built,
      lossFns: tasks.map((t) => t.lossFn),
      strategy: strategies.get('static').create({ method: 'static' }, { taskNames: built.taskNames, taskWeights: [1, 1], seed: 1 }),
      opt: optimizers.get('sgd').create({ learningRate: 0.5, momentum: 0, nesterov: false, weightDecay: 0 }, undefined),
      clipNorm: null,
      shared: [],
      heads: built.taskNames.map((t) => vars.heads[t].map((v) => v.read() as tf.Variable)),
    };
    const beforeBackbone = values(pre.weights);
    const beforeHeads = values(built.model.getLayer('left').weights);
    const batch = tinyBatch(6, 2);
    disposeStepResult(trainStep(parts, batch, { step: 0, epoch: 1, learningRate: 0.5, epochLosses: [] }));
    disposeBatch(batch);
    assert.deepEqual(values(pre.weights), beforeBackbone, 'backbone weights and moving statistics unchanged');
    assert.notDeepEqual(values(built.model.getLayer('left').weights), beforeHeads, 'the heads did train');

    assert.equal(unfreezeIfDue(s.resolved.backbone, built.model, 1), false, 'no unfreezeAfter: stays frozen');
    parts.strategy.dispose();
    parts.opt.optimizer.dispose();
    built.model.dispose();
  });

  it('unfreezes after unfreezeAfter epochs', async () => {
    const source = await loadModelFiles(path.join(dir, 'models'));
    const kernel = (m: tf.LayersModel) => Array.from(m.getLayer('d').getWeights()[0].dataSync());
    const want = kernel(source.model);
    source.model.dispose();
    const backboneOf = async (run: string) => {
      const { model } = await loadModelFiles(path.join(run, 'checkpoints', 'last'));
      const k = kernel(pretrainedIn(model)[0]);
      model.dispose();
      return k;
    };
    const frozen = await train(spec('{from: models/model.json, unfreezeAfter: 1}', 1, 'a.yaml'), { backend: 'cpu', out: path.join(dir, 'runs', 'a') });
    assert.deepEqual(await backboneOf(frozen.runDir), want, 'epoch 1: still frozen');
    const thawed = await train(spec('{from: models/model.json, unfreezeAfter: 1}', 2, 'b.yaml'), { backend: 'cpu', out: path.join(dir, 'runs', 'b') });
    assert.notDeepEqual(await backboneOf(thawed.runDir), want, 'epoch 2: the backbone trained');

    const s = validateSpecFile(spec('{from: models/model.json, unfreezeAfter: 2}', 3, 'c.yaml'));
    const built = buildModel(s.resolved);
    assert.equal(partitionVariables(built).shared.length, 0);
    assert.equal(unfreezeIfDue(s.resolved.backbone, built.model, 2), false);
    assert.equal(unfreezeIfDue(s.resolved.backbone, built.model, 3), true);
    assert.equal(partitionVariables(built).shared.length, 6, 'conv and dense kernels and biases, batch-norm γ and β (not its moving statistics)');
    built.model.dispose();
  });

  it('an mtl checkpoint contributes its shared layers only', async () => {
    const s = validateSpecFile(spec('{from: models/model.json}', 1, 'd.yaml'));
    const built = buildModel(s.resolved);
    const ckpt = path.join(dir, 'ckpt');
    fs.mkdirSync(ckpt);
    await writeModelFiles(built.model, ckpt, { mtl: { groups: built.groups } });
    built.model.dispose();
    const s2 = validateSpecFile(spec('{from: ckpt/model.json, trainable: true}', 1, 'e.yaml'));
    const built2 = buildModel(s2.resolved);
    const [pre] = pretrainedIn(built2.model);
    assert.deepEqual(pre.outputs[0].shape, [null, 6], 'cut at the last shared layer');
    assert.ok(partitionVariables(built2).shared.length > 0, 'trainable: true');
    built2.model.dispose();
  });

  it('a missing file is a spec error at backbone.from', () => {
    assert.throws(
      () => validateSpecFile(spec('{from: models/nope.json}', 1, 'f.yaml')),
      (e: unknown) => e instanceof MtlError && e.kind === 'config' && /f\.yaml:\d+:\d+ .*backbone\.from.*no such file/s.test(e.message),
    );
  });
});
