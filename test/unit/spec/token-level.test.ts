// Cross-field checks for token-level tasks: a data target with `steps` wants a head ending in
// (batch, steps, classes); other classification heads still end in (batch, classes).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MtlError } from '../../../src/errors';
import { validateSpecText } from '../../../src/spec/validate';
import { useBackend } from '../../helpers/backend';

before(() => useBackend('cpu'));

const spec = (slotsHead: string, backboneExtra = '') => `name: t
data: {type: intent-slots, maxLength: 8}
inputs:
  tokens: {shape: [8], dtype: int32}
backbone:
  - embedding: {inputDim: 200, outputDim: 4}
${backboneExtra}tasks:
  intent:
    type: classification
    head: [{globalMaxPooling1d: {}}, {dense: {units: 6, activation: softmax}}]
    loss: sparse-categorical-crossentropy
  slots:
    type: classification
    head: ${slotsHead}
    loss: sparse-categorical-crossentropy
    metrics: [accuracy]
`;

function problems(text: string): string[] {
  try {
    validateSpecText(text, 'spec.yaml');
    return [];
  } catch (e) {
    assert.ok(e instanceof MtlError && e.kind === 'config', String(e));
    return e.problems.map((p) => `${p.where.path ?? ''} ${p.message} ${p.allowed ?? ''} ${p.received ?? ''}`);
  }
}

describe('token-level heads', () => {
  it('accepts (batch, steps, classes) for a target with steps', () => {
    assert.deepEqual(problems(spec('[{dense: {units: 27, activation: softmax}}]')), []);
    assert.deepEqual(problems(spec('[{dense: {units: 27}}]').replace('loss: sparse-categorical-crossentropy\n    metrics', 'loss: {type: sparse-categorical-crossentropy, fromLogits: true}\n    metrics')), []);
  });

  it('rejects a head that drops the steps axis, naming the shape wanted', () => {
    const p = problems(spec('[{flatten: {}}, {dense: {units: 27, activation: softmax}}]'));
    assert.equal(p.length, 1);
    assert.match(p[0], /head output has shape \(\?, 27\); a token-level classification head must end in \(batch, steps, classes\)/);
  });

  it('rejects the wrong number of steps or classes', () => {
    const steps = problems(spec('[{dense: {units: 27, activation: softmax}}]', '  - conv1d: {filters: 4, kernelSize: 3}\n'));
    assert.equal(steps.length, 1);
    assert.match(steps[0], /head output steps do not match the data 8 \(one output per token\) 6/);
    const classes = problems(spec('[{dense: {units: 10, activation: softmax}}]'));
    assert.equal(classes.length, 1);
    assert.match(classes[0], /head output width does not fit a classification task 27 \(one per class\) 10/);
  });

  it('still requires (batch, classes) for a per-row classification target', () => {
    const p = problems(spec('[{dense: {units: 27, activation: softmax}}]').replace('head: [{globalMaxPooling1d: {}}, {dense: {units: 6, activation: softmax}}]', 'head: [{dense: {units: 6, activation: softmax}}]'));
    assert.equal(p.length, 1);
    assert.match(p[0], /a classification head must end in \(batch, units\)/);
  });
});
