// A metric that reads another task (frame-accuracy's `intent`) is checked by validate before any
// TensorFlow work: an unknown task name, its own task, or a task of a type it cannot read is a spec
// error at the option's line, with a did-you-mean.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MtlError, type Problem } from '../../../src/errors';
import { validateSpecText } from '../../../src/spec/validate';
import { useBackend } from '../../helpers/backend';

before(() => useBackend('cpu'));

const spec = (intent: string) => `name: t
data: {type: intent-slots, maxLength: 8}
inputs: {tokens: {shape: [8], dtype: int32}}
backbone: [{embedding: {inputDim: 189, outputDim: 4}}]
tasks:
  intent: {type: classification, head: [{globalMaxPooling1d: {}}, {dense: {units: 6, activation: softmax}}], loss: sparse-categorical-crossentropy}
  slots:
    type: classification
    head: [{dense: {units: 27, activation: softmax}}]
    loss: sparse-categorical-crossentropy
    metrics:
      - {type: frame-accuracy, intent: ${intent}}
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

describe('validate: metrics that read another task', () => {
  it('accepts frame-accuracy naming the intent task', () => assert.deepEqual(problems(spec('intent')), []));

  it('an unknown task: path, line and did-you-mean', () => {
    const p = problems(spec('intnet'));
    assert.equal(p.length, 1);
    assert.equal(p[0].where.path, 'tasks.slots.metrics[0].intent');
    assert.equal(p[0].where.line, 12);
    assert.equal(p[0].message, 'frame-accuracy reads unknown task "intnet"');
    assert.equal(p[0].allowed, 'intent');
    assert.match(p[0].hint ?? '', /did you mean "intent"/);
  });

  it('its own task', () => {
    const p = problems(spec('slots'));
    assert.equal(p.length, 1);
    assert.equal(p[0].message, 'frame-accuracy reads another task than its own ("slots")');
  });

  it('the option is required', () => {
    assert.throws(() => validateSpecText(spec('intent').replace(', intent: intent', ''), 'spec.yaml'), (e: unknown) => e instanceof MtlError && /intent/.test(e.message));
  });
});
