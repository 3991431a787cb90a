// Built-in backbones (composite layer types): output shapes, parameter counts equal to Keras's for
// the same model, readable unique sub-layer names, grouping in a built model, shared weights on reuse.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import Ajv from 'ajv';
import * as tf from '@tensorflow/tfjs';
import { layers } from '../../../src/layers/index';
import { isLayerBlock, type LayerBlock } from '../../../src/layers/types';
import { makeDivisible } from '../../../src/layers/mobilenet-v2';
import { buildModel, partitionVariables } from '../../../src/model/build';
import { validateSpecText } from '../../../src/spec/validate';
import { useBackend } from '../../helpers/backend';

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false });

function block(type: string, args: Record<string, unknown>, name = `b_${type}`): LayerBlock {
  const copy = structuredClone(args);
  const validate = ajv.compile(layers.get(type).schema);
  if (!validate(copy)) throw new Error(ajv.errorsText(validate.errors));
  let s = 1;
  const made = layers.get(type).create(copy, { name, nextSeed: () => s++ });
  assert.ok(isLayerBlock(made), `${type} creates a block`);
  return made;
}

// Parameter counts by the layer formulas (Keras counts batch norm as 4 per channel: γ, β and the two moving statistics).
const conv = (k: number, cin: number, cout: number, bias = true) => k * k * cin * cout + (bias ? cout : 0);
const bn = (c: number) => 4 * c;

/** ResNet-18/34 (Keras conventions: conv bias, projection shortcut where the shape changes). */
function basicResnetParams(blocks: number[], f0 = 64): number {
  let n = conv(7, 3, f0) + bn(f0);
  let cin = f0;
  blocks.forEach((count, s) => {
    const f = f0 * 2 ** s;
    for (let i = 0; i < count; i++) {
      if (cin !== f) n += conv(1, cin, f) + bn(f);
      n += conv(3, cin, f) + bn(f) + conv(3, f, f) + bn(f);
      cin = f;
    }
  });
  return n;
}

function bottleneckResnetParams(blocks: number[], f0 = 64): number {
  let n = conv(7, 3, f0) + bn(f0);
  let cin = f0;
  blocks.forEach((count, s) => {
    const f = f0 * 2 ** s;
    for (let i = 0; i < count; i++) {
      if (i === 0) n += conv(1, cin, 4 * f) + bn(4 * f);
      n += conv(1, cin, f) + bn(f) + conv(3, f, f) + bn(f) + conv(1, f, 4 * f) + bn(4 * f);
      cin = 4 * f;
    }
  });
  return n;
}

const size = (shape: readonly (number | null)[]) => shape.reduce<number>((a, b) => a * (b ?? 1), 1);
const lstmParams = (input: number, units: number) => 4 * (units * (input + units) + units);

interface Case {
  type: string;
  args: Record<string, unknown>;
  input: number[];
  output: (number | null)[];
  params: number;
}

const CASES: Case[] = [
  // Keras: tf.keras.applications.ResNet50(include_top=False, weights=None).count_params()
  { type: 'resnet', args: { depth: 50 }, input: [32, 32, 3], output: [null, 1, 1, 2048], params: 23_587_712 },
  { type: 'resnet', args: { depth: 18 }, input: [32, 32, 3], output: [null, 1, 1, 512], params: 11_190_912 },
  { type: 'resnet', args: { depth: 34 }, input: [32, 32, 3], output: [null, 1, 1, 512], params: 21_310_208 },
  { type: 'resnet', args: { depth: 18, filters: 8 }, input: [28, 28, 1], output: [null, 1, 1, 64], params: basicResnetParams([2, 2, 2, 2], 8) - conv(7, 3, 8) + conv(7, 1, 8) },
  // Keras: tf.keras.applications.MobileNetV2(alpha=1.0, include_top=False, weights=None).count_params()
  { type: 'mobilenetV2', args: { alpha: 1 }, input: [32, 32, 3], output: [null, 1, 1, 1280], params: 2_257_984 },
  { type: 'mlp', args: { units: [16, 8], dropout: 0.2 }, input: [10], output: [null, 8], params: 10 * 16 + 16 + 16 * 8 + 8 },
  { type: 'lenet', args: {}, input: [28, 28, 1], output: [null, 84], params: conv(5, 1, 6) + conv(5, 6, 16) + (5 * 5 * 16 * 120 + 120) + (120 * 84 + 84) },
  { type: 'bilstm', args: { units: 8, layers: 2 }, input: [7, 5], output: [null, 7, 16], params: 2 * lstmParams(5, 8) + 2 * lstmParams(16, 8) },
  { type: 'bilstm', args: { units: 8, returnSequences: false }, input: [7, 5], output: [null, 16], params: 2 * lstmParams(5, 8) },
  // input projection 5→16, positions 7·16, per layer: 4 attention projections, 2 layer norms, feed-forward
  {
    type: 'transformerEncoder',
    args: { layers: 2, heads: 4, dModel: 16, dFf: 32 },
    input: [7, 5],
    output: [null, 7, 16],
    params: 5 * 16 + 16 + 7 * 16 + 2 * (4 * (16 * 16 + 16) + 2 * 2 * 16 + (16 * 32 + 32) + (32 * 16 + 16)),
  },
];

describe('built-in backbones', () => {
  before(() => useBackend('cpu'));

  it('ResNet-18 expected count agrees with the layer formulas', () => assert.equal(basicResnetParams([2, 2, 2, 2]), 11_190_912));
  it('ResNet-50 layer formulas give Keras\'s count', () => assert.equal(bottleneckResnetParams([3, 4, 6, 3]), 23_587_712));
  it('ResNet-34 expected count agrees with the layer formulas', () => assert.equal(basicResnetParams([3, 4, 6, 3]), 21_310_208));
  it('makeDivisible follows the reference rounding', () => assert.deepEqual([16, 24, 32 * 0.35, 1280 * 1.4].map((v) => makeDivisible(v)), [16, 24, 16, 1792]));

  for (const c of CASES) {
    it(`${c.type} ${JSON.stringify(c.args)}: output ${JSON.stringify(c.output)}, ${c.params.toLocaleString('en')} parameters`, () => {
      const before = tf.memory().numTensors;
      const b = block(c.type, c.args);
      const input = tf.input({ shape: c.input });
      const model = tf.model({ inputs: input, outputs: b.apply(input) });
      assert.deepEqual(model.outputs[0].shape, c.output);
      assert.equal(model.countParams(), c.params);
      const names = model.layers.slice(1).map((l) => l.name);
      assert.equal(new Set(names).size, names.length, 'sub-layer names are unique');
      assert.ok(names.every((n) => n.startsWith(`b_${c.type}_`)), `every sub-layer is prefixed with the block's name: ${names.find((n) => !n.startsWith(`b_${c.type}_`))}`);
      assert.deepEqual(new Set(b.layers.map((l) => l.name)), new Set(names), 'block.layers lists every sub-layer');
      model.dispose();
      assert.equal(tf.memory().numTensors, before, 'building leaves no tensors behind');
    });
  }

  it('a small resnet runs forward and backward (training mode)', () => {
    const b = block('resnet', { depth: 18, filters: 4 });
    const input = tf.input({ shape: [16, 16, 3] });
    const model = tf.model({ inputs: input, outputs: b.apply(input) });
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    tf.tidy(() => {
      const x = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 1);
      const { grads } = tf.variableGrads(() => tf.mean(model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
      assert.equal(Object.keys(grads).length, vars.length);
      assert.ok(Object.values(grads).every((g) => g.dataSync().every(Number.isFinite)));
    });
    model.dispose();
  });

  for (const [type, args, input] of [
    ['bilstm', { units: 4 }, [5, 3]],
    ['transformerEncoder', { layers: 1, heads: 2, dModel: 8, dFf: 8 }, [5, 3]],
    ['resnet', { depth: 18, filters: 2 }, [16, 16, 1]],
  ] as Array<[string, Record<string, unknown>, number[]]>) {
    it(`${type} reloads through stock tf.loadLayersModel with identical predictions`, async () => {
      const b = block(type, args);
      const x = tf.input({ shape: input });
      const model = tf.model({ inputs: x, outputs: b.apply(x) });
      let saved: tf.io.ModelArtifacts | undefined;
      await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
      const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
      const data = tf.randomNormal([2, ...input], 0, 1, 'float32', 3);
      const [p1, p2] = [model.predict(data) as tf.Tensor, loaded.predict(data) as tf.Tensor];
      const [a1, a2] = [p1.dataSync(), p2.dataSync()];
      assert.ok(a1.every((v, i) => Math.abs(v - a2[i]) < 1e-5), 'same predictions');
      tf.dispose([data, p1, p2]);
      model.dispose();
      loaded.dispose();
    });
  }

  it('without its positional table, transformerEncoder is permutation-equivariant', () => {
    // Without the positional table, self-attention is permutation-equivariant (Vaswani et al. §3.5's reason for positions).
    const b = block('transformerEncoder', { layers: 1, heads: 2, dModel: 4, dFf: 4, dropout: 0 });
    const x = tf.input({ shape: [3, 4] });
    const model = tf.model({ inputs: x, outputs: b.apply(x) });
    model.getLayer('b_transformerEncoder_positions').setWeights([tf.zeros([3, 4])]);
    tf.tidy(() => {
      const data = tf.randomNormal([1, 3, 4], 0, 1, 'float32', 8);
      const perm = tf.gather(data, [2, 0, 1], 1);
      const y = model.predict(data) as tf.Tensor;
      const yp = model.predict(perm) as tf.Tensor;
      const want = tf.gather(y, [2, 0, 1], 1).dataSync();
      assert.ok(yp.dataSync().every((v, i) => Math.abs(v - want[i]) < 1e-4));
    });
    model.dispose();
  });

  it('applying a block twice shares its weights', () => {
    const b = block('mlp', { units: [4] });
    const i1 = tf.input({ shape: [3] });
    const i2 = tf.input({ shape: [3] });
    const model = tf.model({ inputs: [i1, i2], outputs: [b.apply(i1), b.apply(i2)] });
    assert.equal(model.countParams(), 3 * 4 + 4);
    model.dispose();
  });

  it('in a spec, sub-layers are named after the backbone entry and grouped as shared', () => {
    const spec = validateSpecText(
      `name: bb
data: {type: multifashion, trainSize: 8, testSize: 4}
inputs:
  image: {shape: [36, 36, 1]}
backbone:
  - lenet: {activation: relu}
tasks:
  left: {type: classification, head: [{dense: {units: 10, activation: softmax}}], loss: sparse-categorical-crossentropy}
  right: {type: classification, head: [{mlp: {units: [6]}}, {dense: {units: 10, activation: softmax}}], loss: sparse-categorical-crossentropy}
`,
      'bb.yaml',
    );
    const built = buildModel(spec.resolved);
    assert.equal(built.groups.shared_1_lenet_f6, 'shared');
    assert.equal(built.groups.right_1_mlp_dense1, 'right');
    const { shared, heads } = partitionVariables(built);
    assert.equal(shared.reduce((n, v) => n + size(v.shape), 0), conv(5, 1, 6) + conv(5, 6, 16) + (7 * 7 * 16 * 120 + 120) + (120 * 84 + 84));
    assert.equal(heads.right.reduce((n, v) => n + size(v.shape), 0), 84 * 6 + 6 + 6 * 10 + 10);
    built.model.dispose();
  });
});
