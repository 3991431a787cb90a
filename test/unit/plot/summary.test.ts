// mtl summary: parameter counts against Keras' closed forms, worked out by hand for each layer:
// Dense in·out+out, Conv2D kh·kw·cin·cout+cout, BatchNorm 4·c (2·c not trainable), LSTM 4·(in+u+1)·u,
// Embedding n·d; the seed's text model in full (953,172); "connected to" as Keras writes it.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { useBackend } from '../../helpers/backend';
import { buildModel } from '../../../src/model/build';
import { formatSummary, summarize, type ModelSummary } from '../../../src/plot/summary';
import { validateSpecFile, validateSpecText } from '../../../src/spec/validate';

const root = path.resolve(__dirname, '../../../..');

before(async () => {
  await useBackend('cpu');
});

function summaryOf(text: string): ModelSummary {
  const built = buildModel(validateSpecText(text).resolved);
  try {
    return summarize(built.model, built.groups, built.taskNames);
  } finally {
    built.model.dispose();
  }
}

const params = (s: ModelSummary) => Object.fromEntries(s.layers.map((l) => [l.name, [l.params, l.nonTrainableParams]]));

test('conv, batch norm, dense: Keras counts per layer, totals, shared/per-task split', () => {
  const s = summaryOf(`name: counts
data: {type: multifashion, trainSize: 8, testSize: 4}
inputs: {image: {shape: [36, 36, 1]}}
backbone:
  - conv2d: {filters: 4, kernelSize: 3}
  - batchNormalization: {}
  - flatten:
tasks:
  left: {type: classification, head: [{dense: {units: 7, activation: relu}}, {dense: {units: 10, activation: softmax}}], loss: sparse-categorical-crossentropy}
  right: {type: classification, head: [{dense: {units: 10, activation: softmax}}], loss: sparse-categorical-crossentropy}
`);
  const flat = 34 * 34 * 4;
  assert.deepEqual(params(s), {
    image: [0, 0],
    shared_1_conv2d: [3 * 3 * 1 * 4 + 4, 0],
    shared_2_batchNormalization: [4 * 4, 2 * 4],
    shared_3_flatten: [0, 0],
    left_1_dense: [flat * 7 + 7, 0],
    left: [7 * 10 + 10, 0],
    right: [flat * 10 + 10, 0],
  });
  const shared = 40 + 16;
  const left = flat * 7 + 7 + 80;
  const right = flat * 10 + 10;
  assert.deepEqual(s.total, { params: shared + left + right, trainable: shared + left + right - 8, nonTrainable: 8 });
  assert.deepEqual(s.groups, { shared: { params: shared, trainable: shared - 8 }, left: { params: left, trainable: left }, right: { params: right, trainable: right } });
  const byName = Object.fromEntries(s.layers.map((l) => [l.name, l]));
  assert.deepEqual(byName.right.connectedTo, ['shared_3_flatten[0][0]']);
  assert.equal(byName.shared_2_batchNormalization.outputShape, '(?, 34, 34, 4)');
  const text = formatSummary(s).join('\n');
  assert.match(text, /^Model: "counts"/);
  assert.match(text, /shared_2_batchNormalization \(BatchNormalization\)\s+\(\?, 34, 34, 4\)\s+16\s+Y\s+shared_1_conv2d\[0\]\[0\]/);
  assert.ok(text.includes(`Total params: ${(shared + left + right).toLocaleString('en-US')}`));
  assert.ok(text.includes('Non-trainable params: 8'));
  assert.match(text, /task right\s+46,250 params/);
});

test('configs/seed-text-crf.yaml: the seed\'s model, 953,172 parameters', () => {
  const built = buildModel(validateSpecFile(path.join(root, 'configs/seed-text-crf.yaml')).resolved);
  const s = summarize(built.model, built.groups, built.taskNames);
  built.model.dispose();
  const lstm = (inp: number, u: number) => 4 * (inp + u + 1) * u;
  const want = {
    shared_e1_embedding: 40 * 8, // Keras Embedding(maxlen = 40, 8)
    shared_e2_embedding: 40 * 8,
    shared_encoded_bidirectional: 2 * lstm(768 + 8 + 8, 128),
    label_2_dense: 256 * 64 + 64,
    label: 64 * 10 + 10,
    tags: 256 * 2 + 2 + 2 * 2 + 2 + 2, // keras-contrib CRF: kernel, bias, chain kernel, two boundaries
  };
  for (const [name, n] of Object.entries(want)) assert.equal(params(s)[name][0], n, name);
  assert.equal(s.total.params, 953_172);
  assert.equal(Object.values(want).reduce((a, b) => a + b, 0), 953_172);
  assert.deepEqual(s.groups.shared.params, 320 + 320 + 934_912);
  assert.deepEqual(s.groups.tags.params, 522);
  const concat = s.layers.find((l) => l.name === 'shared_joined_concatenate')!;
  assert.deepEqual(concat.connectedTo, ['sentence[0][0]', 'shared_e1_embedding[0][0]', 'shared_e2_embedding[0][0]']);
});

test('a layer called twice (Siamese): both calls in "connected to"', () => {
  const built = buildModel(validateSpecFile(path.join(root, 'configs/seed-siamese.yaml')).resolved);
  const s = summarize(built.model, built.groups, built.taskNames);
  built.model.dispose();
  const conv = s.layers.find((l) => l.name === 'shared_feature_1_conv2d')!;
  assert.deepEqual(conv.connectedTo, ['image1[0][0]', 'image2[0][0]']);
  assert.equal(conv.params, 3 * 3 * 1 * 16 + 16);
});
