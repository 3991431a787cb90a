import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../helpers/backend';
import { modelToGraph } from '../../../src/plot/graph';
import { twoHeadModel, twoInputModel } from './models';

before(async () => {
  await useBackend('cpu');
});

test('two-head model: nodes, groups, shapes, params, outputs', () => {
  const { model, groups } = twoHeadModel();
  const before = tf.memory().numTensors;
  const g = modelToGraph(model, groups, { title: 'demo' });
  assert.equal(tf.memory().numTensors, before, 'no tensors created');
  assert.equal(g.title, 'demo');
  assert.deepEqual(
    g.nodes.map((n) => n.id),
    ['x', 'shared_1_conv2d', 'shared_2_flatten', 'shared_3_dense', 'left__1_dense', 'left', 'right'],
  );
  assert.deepEqual(g.groups, ['left', 'right']);
  const by = Object.fromEntries(g.nodes.map((n) => [n.id, n]));
  assert.deepEqual(
    Object.fromEntries(g.nodes.map((n) => [n.id, n.group])),
    groups,
  );
  assert.equal(by.x.className, 'InputLayer');
  assert.equal(by.shared_1_conv2d.className, 'Conv2D');
  assert.equal(by.shared_2_flatten.className, 'Flatten');
  assert.equal(by.right.className, 'Dense');
  assert.equal(by.x.outputShape, '(?, 8, 8, 1)');
  assert.equal(by.x.inputShape, '(?, 8, 8, 1)');
  assert.equal(by.shared_1_conv2d.inputShape, '(?, 8, 8, 1)');
  assert.equal(by.shared_1_conv2d.outputShape, '(?, 6, 6, 4)');
  assert.equal(by.shared_2_flatten.outputShape, '(?, 144)');
  assert.equal(by.shared_3_dense.outputShape, '(?, 16)');
  assert.equal(by.left__1_dense.outputShape, '(?, 8)');
  assert.equal(by.left.outputShape, '(?, 1)');
  assert.equal(by.right.outputShape, '(?, 3)');
  for (const layer of model.layers) {
    assert.equal(by[layer.name].params, layer.countParams(), layer.name);
    assert.equal(by[layer.name].label, layer.name);
  }
  assert.equal(by.shared_1_conv2d.params, 3 * 3 * 1 * 4 + 4);
  assert.equal(by.shared_3_dense.params, 144 * 16 + 16);
  assert.deepEqual(
    g.nodes.filter((n) => n.isOutput).map((n) => n.id),
    ['left', 'right'],
  );
  assert.deepEqual(g.edges, [
    { from: 'x', to: 'shared_1_conv2d' },
    { from: 'shared_1_conv2d', to: 'shared_2_flatten' },
    { from: 'shared_2_flatten', to: 'shared_3_dense' },
    { from: 'shared_3_dense', to: 'left__1_dense' },
    { from: 'left__1_dense', to: 'left' },
    { from: 'shared_3_dense', to: 'right' },
  ]);
  // Plain data: survives a JSON round trip unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(g)), g);
  model.dispose();
});

test('unmapped layers: InputLayer → input, others → shared; no title key without a title', () => {
  const { model } = twoHeadModel();
  const g = modelToGraph(model, {});
  assert.ok(!('title' in g));
  assert.deepEqual(g.groups, []);
  assert.equal(g.nodes.find((n) => n.id === 'x')!.group, 'input');
  assert.ok(g.nodes.filter((n) => n.id !== 'x').every((n) => n.group === 'shared'));
  model.dispose();
});

test('two inputs, concatenate, a layer used twice: edges without duplicates or strays', () => {
  const { model, groups } = twoInputModel();
  const g = modelToGraph(model, groups);
  assert.deepEqual(g.nodes.map((n) => n.id).sort(), ['a', 'b', 'out', 'shared_1_dense', 'shared_2_concat']);
  assert.deepEqual(
    [...g.edges].sort((p, q) => (p.from + p.to).localeCompare(q.from + q.to)),
    [
      { from: 'a', to: 'shared_1_dense' },
      { from: 'b', to: 'shared_1_dense' },
      { from: 'shared_1_dense', to: 'shared_2_concat' },
      { from: 'shared_2_concat', to: 'out' },
    ],
  );
  const by = Object.fromEntries(g.nodes.map((n) => [n.id, n]));
  assert.equal(by.a.group, 'input');
  assert.equal(by.b.group, 'input');
  assert.equal(by.shared_2_concat.group, 'shared');
  assert.equal(by.out.group, 'joint');
  assert.deepEqual(g.groups, ['joint']);
  assert.equal(by.shared_1_dense.inputShape, '(?, 4)');
  assert.equal(by.shared_1_dense.outputShape, '(?, 3)');
  assert.equal(by.shared_1_dense.params, 4 * 3 + 3);
  assert.equal(by.shared_2_concat.className, 'Concatenate');
  assert.equal(by.shared_2_concat.inputShape, '[(?, 3), (?, 3), (?, 3)]');
  assert.equal(by.shared_2_concat.outputShape, '(?, 9)');
  assert.equal(by.out.params, 9 * 2 + 2);
  assert.ok(by.out.isOutput);
  model.dispose();
});
