// Table-driven bad specs: each must fail with the expected messages at the expected lines.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MtlError, formatProblem } from '../../../src/errors';
import { validateSpecText } from '../../../src/spec/validate';
import { useBackend } from '../../helpers/backend';

/** A valid spec; cases below replace parts of it. Line numbers refer to the case's own text. */
const GOOD = `name: t
data: {type: multifashion, trainSize: 8, testSize: 4}
inputs:
  image: {shape: [36, 36, 1]}
backbone:
  - conv2d: {filters: 4, kernelSize: 3, activation: relu}
  - flatten:
tasks:
  left:
    type: classification
    head:
      - dense: {units: 10, activation: softmax}
    loss: sparse-categorical-crossentropy
    metrics: [accuracy]
  right:
    type: classification
    head:
      - dense: {units: 10, activation: softmax}
    loss: sparse-categorical-crossentropy
`;

/** A files spec with a features block (an embedding sized from the data description). */
const FILES_SPEC = `name: f
data:
  type: files
  train: {format: csv, path: t.csv}
  inputs: {x: {columns: [a, b]}, c: {column: c, encoding: embedding, vocabulary: 20}}
  targets: {kind: {column: k, type: classification, classes: 3, categories: [a, b, c], unseen: missing}}
inputs:
  x: {shape: [2]}
  c: {shape: [1], dtype: int32}
features: {c: {embedding: 2}, x: }
backbone: [{dense: {units: 4}}]
tasks:
  kind: {type: classification, head: [{dense: {units: 3, activation: softmax}}], loss: sparse-categorical-crossentropy}
`;

interface Case {
  name: string;
  text: string;
  /** Each expected problem: its line and fragments the message must contain. */
  expect: Array<{ line: number; has: string[] }>;
}

const sub = (from: string, to: string) => {
  assert.ok(GOOD.includes(from), `fixture text not found: ${from}`);
  return GOOD.replace(from, to);
};

const CASES: Case[] = [
  {
    name: 'misspelt top-level key',
    text: GOOD + 'trian: {epochs: 2}\n',
    expect: [{ line: 20, has: ['unknown key "trian"', 'did you mean "train"?'] }],
  },
  {
    // Keras's fit()/compile() arguments at the top of a spec: the key they name one level down.
    name: 'top-level keys that belong one level down',
    text: GOOD + 'epochs: 2\nbatch_size: 8\nloss_weights: {left: 1}\n',
    expect: [
      { line: 20, has: ['unknown key "epochs"', 'did you mean "train.epochs"?'] },
      { line: 21, has: ['unknown key "batch_size"', 'did you mean "train.batchSize"?'] },
      { line: 22, has: ['unknown key "loss_weights"', 'did you mean "tasks.<task>.weight"?'] },
    ],
  },
  {
    // Keras's validation_split: 0 means no validation split; the message named the key's description
    // as what is allowed ("allowed: Fraction of the training set held out for validation, …").
    name: 'a value outside every branch of an anyOf: the branches in words',
    text: GOOD + 'train: {validation: 0}\n',
    expect: [{ line: 20, has: ['train.validation: invalid value', 'received 0; allowed: a number > 0 and < 1, or "test", "none"; for no validation split write none'] }],
  },
  {
    name: 'unknown layer type with suggestion',
    text: sub('  - conv2d: {filters: 4', '  - conv2D: {filters: 4'),
    expect: [{ line: 6, has: ['unknown layer type "conv2D"', 'did you mean "conv2d"?'] }],
  },
  {
    name: 'unknown layer argument',
    text: sub('kernelSize: 3,', 'kernelSize: 3, filtrs: 3,'),
    expect: [{ line: 6, has: ['unknown key "filtrs"', 'did you mean "filters"?'] }],
  },
  {
    name: 'wrong type and out-of-range value',
    text: sub('{filters: 4, kernelSize: 3', '{filters: -4, kernelSize: "three"'),
    expect: [
      { line: 6, has: ['backbone[0].conv2d.filters', 'received -4'] },
      { line: 6, has: ['backbone[0].conv2d.kernelSize', 'received "three"'] },
    ],
  },
  {
    name: 'unknown loss with suggestion',
    text: sub('    loss: sparse-categorical-crossentropy\n    metrics', '    loss: sparse-categorical-crossentropie\n    metrics'),
    expect: [{ line: 13, has: ['tasks.left.loss.type', 'did you mean "sparse-categorical-crossentropy"?'] }],
  },
  {
    name: 'unknown metric and unknown optimizer, reported together',
    text: sub('metrics: [accuracy]', 'metrics: [acuracy]') + 'train: {optimizer: adamm}\n',
    expect: [
      { line: 14, has: ['did you mean "accuracy"?'] },
      { line: 20, has: ['train.optimizer.type', 'did you mean "adam"?'] },
    ],
  },
  {
    name: 'loss that does not fit the task type',
    text: sub('    loss: sparse-categorical-crossentropy\n    metrics', '    loss: mse\n    metrics'),
    expect: [{ line: 13, has: ['loss "mse" does not fit a classification task', 'categorical-crossentropy'] }],
  },
  {
    name: 'metric that does not fit the task type',
    text: sub('metrics: [accuracy]', 'metrics: [accuracy, rmse]'),
    expect: [{ line: 14, has: ['metric "rmse" does not fit a classification task'] }],
  },
  {
    name: 'head width does not fit the data',
    text: sub('      - dense: {units: 10, activation: softmax}\n    loss: sparse-categorical-crossentropy\n    metrics', '      - dense: {units: 7, activation: softmax}\n    loss: sparse-categorical-crossentropy\n    metrics'),
    expect: [{ line: 12, has: ['head output width', 'received 7', '10 (one per class)'] }],
  },
  {
    name: 'softmax head with a from-logits loss',
    text: sub('    loss: sparse-categorical-crossentropy\n    metrics', '    loss: {type: sparse-categorical-crossentropy, fromLogits: true}\n    metrics'),
    expect: [{ line: 12, has: ['fromLogits: true', 'applied twice'] }],
  },
  {
    name: 'weights naming a task that does not exist',
    text: GOOD + 'weighting: {method: static, weights: {lefft: 2}}\n',
    expect: [{ line: 20, has: ['weight for unknown task "lefft"', 'did you mean "left"?'] }],
  },
  {
    // β = 1 keeps DB-MTL's gradient buffers at 0 (buffer ← ĝ + β(buffer − ĝ), starting at 0), so the
    // shared layers would never move; MoCo's Y ← Y − β(Y − h) stays at 0 with β = 0.
    name: 'DB-MTL buffer rate 1',
    text: GOOD + 'weighting: {method: db-mtl, beta: 1}\n',
    expect: [{ line: 20, has: ['weighting.beta', 'must be < 1', 'received 1'] }],
  },
  {
    name: 'MoCo tracking rate 0',
    text: GOOD + 'weighting: {method: moco, beta: 0}\n',
    expect: [{ line: 20, has: ['weighting.beta', 'must be > 0', 'received 0'] }],
  },
  {
    // The files config's own problems are reported at their key's line, not at `data:`; the features
    // block that cannot be sized without the data description adds no second, derived error.
    name: 'files data: a problem of the data config at its own key, unseen only with categories: learn',
    text: FILES_SPEC.replace('classes: 3, categories: [a, b, c], unseen: missing', 'categories: [a, b, c], unseen: missing'),
    expect: [
      { line: 6, has: ['data.targets.kind.classes:', 'a classification target needs classes'] },
      { line: 6, has: ['data.targets.kind.unseen:', 'unseen applies to categories: learn', 'received "missing"', 'add it to the list'] },
    ],
  },
  {
    // normalize on a binary target z-scored its 0/1 labels (labels 0, 1 → −1, +1 with mean ½, std ½):
    // binary cross-entropy went negative and accuracy meant nothing, and validate said ok.
    name: 'target options of another task type: normalize on binary, categories on binary, classes and above on regression',
    text: FILES_SPEC.replace(
      'targets: {kind: {column: k, type: classification, classes: 3, categories: [a, b, c], unseen: missing}}',
      'targets: {kind: {column: k, type: binary, normalize: true}, sex: {column: s, type: binary, categories: [F, M]}, mass: {column: m, type: regression, classes: 1, above: 3}}',
    ),
    expect: [
      { line: 6, has: ['data.targets.kind.normalize:', 'normalize z-scores a regression target, not a binary target', 'received true', 'drop normalize'] },
      { line: 6, has: ['data.targets.sex.categories:', 'not a binary target', 'received ["F","M"]', 'use type: classification, classes: 2 and categories: [F, M]'] },
      { line: 6, has: ['data.targets.mass.classes:', 'not a regression target', 'received 1'] },
      { line: 6, has: ['data.targets.mass.above:', 'above turns a number into a binary label, not a regression target', 'set type: binary'] },
    ],
  },
  {
    // softmax over one unit is exp(z)/exp(z) = 1 for every input: the regression cannot learn.
    name: 'regression head ending in softmax over 1 unit',
    text: FILES_SPEC.replace('type: classification, classes: 3, categories: [a, b, c], unseen: missing', 'type: regression').replace(
      '{type: classification, head: [{dense: {units: 3, activation: softmax}}], loss: sparse-categorical-crossentropy}',
      '{type: regression, head: [{dense: {units: 1, activation: softmax}}], loss: mse}',
    ),
    expect: [{ line: 13, has: ['tasks.kind.head[0]', 'softmax over 1 unit: its output is always 1'] }],
  },
  {
    name: 'input shape the first layer cannot take',
    text: sub('  image: {shape: [36, 36, 1]}', '  image: {shape: [36, 36]}'),
    expect: [{ line: 4, has: ['inputs.image.shape', 'does not match the data'] }],
  },
  {
    name: 'head without flatten',
    text: sub('  - flatten:\n', ''),
    expect: [{ line: 11, has: ['head output has shape (?, 34, 34, 10)', 'add flatten'] }],
  },
  {
    name: 'task the data does not provide',
    text: sub('  right:\n', '  rigth:\n'),
    expect: [{ line: 15, has: ['no target for task "rigth"', 'did you mean "right"?'] }],
  },
  {
    name: 'monitor naming a missing metric',
    text: GOOD + 'checkpoint: {monitor: val.left.acc}\n',
    expect: [{ line: 20, has: ['task "left" has no metric "acc"', 'did you mean "accuracy"?'] }],
  },
  {
    name: 'missing required keys',
    text: 'name: t\ndata: {type: multifashion}\n',
    expect: [
      { line: 1, has: ['missing required key "inputs"'] },
      { line: 1, has: ['missing required key "tasks"'] },
    ],
  },
  {
    name: 'YAML syntax errors: bad indentation, duplicate key',
    text: 'name: t\ninputs:\n  a: 1\n b: 2\n',
    expect: [{ line: 4, has: ['YAML syntax error', 'same column'] }],
  },
  {
    name: 'duplicate key',
    text: 'name: t\nseed: 1\nname: u\n',
    expect: [{ line: 3, has: ['Map keys must be unique'] }],
  },
  {
    name: 'a layer entry with two keys',
    text: sub('  - flatten:\n', '  - flatten:\n    dense: {units: 3}\n'),
    expect: [{ line: 7, has: ['a layer is one key'] }],
  },
];

describe('mtl validate: bad specs', () => {
  before(() => useBackend('cpu'));

  it('accepts the good spec and fills defaults', () => {
    const s = validateSpecText(GOOD, 'good.yaml');
    assert.equal(s.resolved.train.epochs, 10);
    assert.equal(s.resolved.train.optimizer.type, 'adam');
    assert.equal(s.resolved.train.optimizer.learningRate, 0.001);
    assert.equal(s.resolved.tasks.left.weight, 1);
    assert.equal(s.resolved.checkpoint.mode, 'min');
    assert.ok(Object.isFrozen(s.resolved.tasks.left));
  });

  it('files data: the valid spec passes, its embedding sized from vocabulary; a data-config problem comes alone', () => {
    const s = validateSpecText(FILES_SPEC.replace(', unseen: missing', ''), 'files.yaml');
    assert.equal(s.resolved.features?.c.inputDim, 20);
    try {
      validateSpecText(FILES_SPEC.replace('classes: 3, ', '').replace(', unseen: missing', ''), 'files.yaml');
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(e instanceof MtlError);
      assert.deepEqual(e.problems.map(formatProblem), ['files.yaml:6:19 data.targets.kind.classes: a classification target needs classes (the head width)']);
    }
  });

  for (const c of CASES) {
    it(c.name, () => {
      let err: unknown;
      try {
        validateSpecText(c.text, 'case.yaml');
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof MtlError, `expected an MtlError, got ${String(err)}`);
      assert.equal(err.kind, 'config');
      const lines = err.problems.map(formatProblem);
      for (const exp of c.expect) {
        const hit = err.problems.find((p) => p.where.line === exp.line && exp.has.every((h) => formatProblem(p).includes(h)));
        assert.ok(hit, `no problem at line ${exp.line} containing ${JSON.stringify(exp.has)}; got:\n${lines.join('\n')}`);
        assert.match(formatProblem(hit), /^case\.yaml:\d+:\d+[ :]/);
      }
    });
  }
});
