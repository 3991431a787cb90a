// Sizes that must agree, checked by validate (issue 17): an embedding's inputDim against the ids its
// input carries (a files tokens vocabulary, the intent-slots vocabulary), an entity metric's tags
// against the head's classes, `tags: learn` only for learnt categories, a crf head with crf-nll.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MtlError, type Problem } from '../../../src/errors';
import { validateSpecText } from '../../../src/spec/validate';
import { useBackend } from '../../helpers/backend';

before(() => useBackend('cpu'));

/** A files spec (never read: validate needs no file) with a CoNLL intent and tags. */
const files = (o: { vocabulary?: string; inputDim?: number; loss?: string; metric?: string; categories?: string } = {}) => `name: t
data:
  type: files
  train: {format: conll, path: none.conll}
  inputs:
    tokens: {field: token, encoding: tokens, length: 6${o.vocabulary ?? ''}}
  targets:
    slots: {field: tag, type: classification, classes: 5, length: 6${o.categories ?? ', categories: learn'}}
inputs:
  tokens: {shape: [6], dtype: int32}
backbone:
  - embedding: {inputDim: ${o.inputDim ?? 10000}, outputDim: 4}
tasks:
  slots:
    type: classification
    head: [{crf: {numTags: 5}}]
    loss: ${o.loss ?? 'crf-nll'}
    metrics: [${o.metric ?? 'token-accuracy'}]
`;

function problems(text: string): Problem[] {
  try {
    validateSpecText(text, 'spec.yaml');
    return [];
  } catch (e) {
    assert.ok(e instanceof MtlError && e.kind === 'config', String(e));
    return e.problems;
  }
}

describe('validate: sizes that must agree', () => {
  it('an embedding smaller than the tokens vocabulary (10000 unless set) is named with both fixes', () => {
    assert.deepEqual(problems(files()), []);
    assert.deepEqual(problems(files({ inputDim: 500, vocabulary: ', vocabulary: 500' })), []);
    const p = problems(files({ inputDim: 500 }));
    assert.equal(p.length, 1);
    assert.equal(p[0].where.path, 'data.inputs.tokens');
    assert.equal(p[0].message, 'embedding "shared_1_embedding" has inputDim 500, but input "tokens" carries ids up to 9999 (data.inputs.tokens.vocabulary)');
    assert.equal(p[0].hint, 'set vocabulary: 500 on data.inputs.tokens, or inputDim: 10000 on the embedding');
  });

  it('intent-slots: inputDim below its 189 ids', () => {
    const text = `name: t
data: {type: intent-slots, maxLength: 8}
inputs: {tokens: {shape: [8], dtype: int32}}
backbone: [{embedding: {inputDim: 100, outputDim: 4}}, {globalMaxPooling1d: {}}]
tasks:
  intent: {type: classification, head: [{dense: {units: 6, activation: softmax}}], loss: sparse-categorical-crossentropy}
`;
    const p = problems(text);
    assert.equal(p.length, 1);
    assert.match(p[0].message, /inputDim 100, but input "tokens" carries ids up to 188/);
  });

  it('an entity metric with more or fewer tags than the head has classes', () => {
    const p = problems(files({ metric: '{type: entity-f1, tags: [O, B-a, I-a]}' }));
    assert.equal(p.length, 1);
    assert.equal(p[0].where.path, 'tasks.slots.metrics[0].tags');
    assert.equal(p[0].message, 'entity-f1 names 3 tags, but the head has 5 classes');
    assert.deepEqual(problems(files({ metric: '{type: entity-f1, tags: [O, B-a, I-a, B-b, I-b]}' })), []);
  });

  it('tags: learn needs categories: learn on the target', () => {
    assert.deepEqual(problems(files({ metric: '{type: entity-f1, tags: learn}' })), []);
    const p = problems(files({ metric: '{type: entity-f1, tags: learn}', categories: '' }));
    assert.equal(p.length, 1);
    assert.match(p[0].message, /tags: learn takes the names the data learns for task slots, but data.targets.slots has no categories: learn/);
  });

  it('a crf head given cross-entropy names crf-nll', () => {
    const p = problems(files({ loss: 'sparse-categorical-crossentropy' }));
    assert.ok(p.length >= 1);
    assert.equal(p[0].message, 'a head that ends in a crf layer is trained with loss "crf-nll", not "sparse-categorical-crossentropy"');
    assert.equal(p[0].hint, 'loss: crf-nll');
  });
});
