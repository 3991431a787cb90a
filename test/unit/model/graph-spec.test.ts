// Graph specs: the Siamese and text-CRF configs build with Keras's parameter counts layer by layer,
// a submodel applied twice shares one set of weights, heads read named nodes, and wiring mistakes
// (cycles, unknown names, shape mismatches) are reported at the node's line.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { MtlError } from '../../../src/errors';
import { buildModel } from '../../../src/model/build';
import { modelToGraph } from '../../../src/plot/graph';
import { validateSpecFile, validateSpecText } from '../../../src/spec/validate';
import { packageRoot } from '../../../src/util/paths';
import { useBackend } from '../../helpers/backend';

const root = packageRoot();

// Keras parameter formulas.
const dense = (i: number, o: number) => i * o + o;
const conv2d = (kh: number, kw: number, i: number, o: number) => kh * kw * i * o + o;
const lstm = (i: number, u: number) => 4 * (u * (i + u) + u);
const embedding = (vocab: number, dim: number) => vocab * dim;

function paramsByLayer(model: tf.LayersModel): Record<string, number> {
  return Object.fromEntries(model.layers.filter((l) => l.countParams() > 0).map((l) => [l.name, l.countParams()]));
}

describe('graph specs', () => {
  before(() => useBackend('cpu'));

  it('configs/seed-siamese.yaml: Keras parameter counts, one set of feature weights used twice', () => {
    const spec = validateSpecFile(path.join(root, 'configs/seed-siamese.yaml')).resolved;
    const built = buildModel(spec);
    const m = built.model;
    // 14×14×1 → conv 3×3 (12×12×16) → pool (6×6×16) → conv 3×3 (4×4×32) → flatten 512 → dense 64.
    const expected = {
      shared_feature_1_conv2d: conv2d(3, 3, 1, 16),
      shared_feature_3_conv2d: conv2d(3, 3, 16, 32),
      shared_feature_5_dense: dense(4 * 4 * 32, 64),
      category1: dense(64, 10),
      category2: dense(64, 10),
      same: dense(1, 2), // distance (1) → dense 2 softmax, as in the seed
    };
    assert.deepEqual(paramsByLayer(m), expected);
    assert.equal(m.countParams(), Object.values(expected).reduce((a, b) => a + b, 0));
    // One layer object, called on both images.
    const feature = m.getLayer('shared_feature_5_dense');
    assert.equal(feature.inboundNodes.length, 2);
    assert.equal(m.layers.filter((l) => l.name.startsWith('shared_feature_')).length, 5);
    // Same image twice: the distance node is ~0 (√ε) only because both branches share weights.
    const d = tf.model({ inputs: m.inputs, outputs: m.getLayer('shared_d_distance').output as tf.SymbolicTensor });
    const a = tf.randomUniform([3, 14, 14, 1], 0, 1, 'float32', 1);
    const b = tf.randomUniform([3, 14, 14, 1], 0, 1, 'float32', 2);
    const same = (d.predict([a, a]) as tf.Tensor).dataSync();
    const diff = (d.predict([a, b]) as tf.Tensor).dataSync();
    for (const v of same) assert.ok(v < 1e-3, `distance of an image to itself: ${v}`);
    for (const v of diff) assert.ok(v > 1e-3, `distance of two images: ${v}`);
    // Plot: feature layers and the distance are shared; each head belongs to its task.
    const g = modelToGraph(m, built.groups);
    const groupOf = Object.fromEntries(g.nodes.map((n) => [n.id, n.group]));
    assert.equal(groupOf.shared_feature_1_conv2d, 'shared');
    assert.equal(groupOf.shared_d_distance, 'shared');
    assert.equal(groupOf.category1_1_dropout, 'category1');
    assert.equal(groupOf.same, 'same');
    tf.dispose([a, b]);
    m.dispose();
  });

  it('configs/seed-text-crf.yaml: Keras parameter counts layer by layer', () => {
    // Counts do not depend on initialisers; tfjs's Bidirectional rebuilds its LSTMs from their config,
    // which brings back tfjs's slow Orthogonal (~15 s per 128×512 kernel), so the test swaps it out.
    const file = path.join(root, 'configs/seed-text-crf.yaml');
    const text = fs.readFileSync(file, 'utf8').replace('lstm: {units: 128, returnSequences: true}', 'lstm: {units: 128, returnSequences: true, recurrentInitializer: glorotUniform}');
    assert.match(text, /recurrentInitializer: glorotUniform/);
    const built = buildModel(validateSpecText(text, file).resolved);
    const bilstmIn = 768 + 8 + 8;
    assert.deepEqual(paramsByLayer(built.model), {
      shared_e1_embedding: embedding(40, 8),
      shared_e2_embedding: embedding(40, 8),
      shared_encoded_bidirectional: 2 * lstm(bilstmIn, 128),
      label_2_dense: dense(256, 64),
      label: dense(64, 10),
      // keras-contrib CRF: kernel d·n, bias n, chain kernel n·n, left and right boundaries n each.
      tags: 256 * 2 + 2 + 2 * 2 + 2 + 2,
    });
    // The concatenate node joins the float sentence sequence with both position embeddings per token.
    assert.deepEqual(built.model.getLayer('shared_joined_concatenate').outputShape, [null, 40, bilstmIn]);
    assert.deepEqual(built.model.outputs.map((o) => o.shape), [[null, 10], [null, 40, 2]]);
    built.model.dispose();
  });

  const base = (backbone: string, tasks = DEFAULT_TASKS) => `name: g
data: {type: fashion-pairs, size: 14, trainSize: 8, testSize: 4}
inputs:
  image1: {shape: [14, 14, 1]}
  image2: {shape: [14, 14, 1]}
backbone:
${backbone}tasks:
${tasks}`;
  const DEFAULT_TASKS = `  category1: {type: classification, from: a, head: [{dense: {units: 10, activation: softmax}}], loss: sparse-categorical-crossentropy}
  category2: {type: classification, from: a, head: [{dense: {units: 10, activation: softmax}}], loss: sparse-categorical-crossentropy}
  same: {type: binary, from: a, head: [{dense: {units: 1, activation: sigmoid}}], loss: binary-crossentropy}
`;

  const ERRORS: Array<{ name: string; text: string; line: string; message: RegExp }> = [
    {
      name: 'a cycle',
      text: base(`  nodes:
    a: {layers: [flatten], inputs: [b]}
    b: {layer: {dense: {units: 4}}, inputs: [a]}
  outputs: [a]
`),
      line: '    a: {layers: [flatten], inputs: [b]}',
      message: /node "a" is part of a cycle: a → b → a/,
    },
    {
      name: 'an unknown reference',
      text: base(`  nodes:
    a: {layers: [flatten], inputs: [imag1]}
  outputs: [a]
`),
      line: '    a: {layers: [flatten], inputs: [imag1]}',
      message: /unknown input or node "imag1" \(allowed: image1, image2, a\); did you mean "image1"\?/,
    },
    {
      name: 'an unknown submodel',
      text: base(`  submodels: {feature: [flatten]}
  nodes:
    a: {apply: featur, inputs: [image1]}
  outputs: [a]
`),
      line: '    a: {apply: featur, inputs: [image1]}',
      message: /unknown submodel "featur" \(allowed: feature\); did you mean "feature"\?/,
    },
    {
      name: 'a shape mismatch',
      text: base(`  nodes:
    f1: {layers: [flatten], inputs: [image1]}
    f2: {layers: [flatten, {dense: {units: 3}}], inputs: [image2]}
    a: {layer: {add: {}}, inputs: [f1, f2]}
  outputs: [a]
`),
      line: '    a: {layer: {add: {}}, inputs: [f1, f2]}',
      message: /node "a": add cannot take inputs of shapes \(\?, 196\) and \(\?, 3\)/,
    },
    {
      name: 'several inputs into a single-input layer',
      text: base(`  nodes:
    a: {layers: [flatten], inputs: [image1, image2]}
  outputs: [a]
`),
      line: '    a: {layers: [flatten], inputs: [image1, image2]}',
      message: /node "a" has 2 inputs but its first layer \(flatten\) takes one/,
    },
    {
      name: 'a head reading a node that is not an output',
      text: base(
        `  nodes:
    a: {layers: [flatten], inputs: [image1]}
    b: {layers: [flatten], inputs: [image2]}
  outputs: [a]
`,
        DEFAULT_TASKS.replace('category2: {type: classification, from: a', 'category2: {type: classification, from: b'),
      ),
      line: DEFAULT_TASKS.split('\n')[1],
      message: /"b" is not a backbone output \(allowed: a\)/,
    },
    {
      name: 'a head without from when the backbone has several outputs',
      text: base(
        `  nodes:
    a: {layers: [flatten], inputs: [image1]}
    b: {layers: [flatten], inputs: [image2]}
  outputs: [a, b]
`,
        DEFAULT_TASKS.replace('{type: binary, from: a, ', '{type: binary, '),
      ),
      line: DEFAULT_TASKS.split('\n')[2],
      message: /the backbone has several outputs \(a, b\); say which one this head reads with "from"/,
    },
  ];

  for (const c of ERRORS) {
    it(`reports ${c.name} at the node's line`, () => {
      assert.throws(
        () => validateSpecText(c.text, 'g.yaml'),
        (e: unknown) => {
          assert.ok(e instanceof MtlError, String(e));
          assert.equal(e.kind, 'config');
          const p = e.problems[0];
          assert.match(p.message, c.message);
          const lines = c.text.split('\n');
          const want = lines.findIndex((l) => l.startsWith(c.line.replace(/\{.*$/, '')) && l.includes(c.line.trim().slice(0, 12))) + 1;
          assert.ok(want > 0, `line not found: ${c.line}`);
          assert.equal(p.where.line, want, `${p.where.path}: ${p.message}`);
          return true;
        },
      );
    });
  }
});
