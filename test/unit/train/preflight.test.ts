// What `mtl validate` and `mtl train` check before a run folder exists (src/train/preflight.ts).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MtlError } from '../../../src/errors';
import { preflight } from '../../../src/train/preflight';
import { useBackend } from '../../helpers/backend';
import { TINY_SPEC, tinySpec } from '../../helpers/tiny';
import { validateSpecText } from '../../../src/spec/validate';

describe('preflight', () => {
  before(() => useBackend('cpu'));

  it('gradSpace representation without one shared representation is a config error naming weighting.gradSpace', () => {
    const spec = tinySpec('architecture: {type: mmoe, experts: 2}\nweighting: {method: mgda, gradSpace: representation}\n');
    assert.throws(() => preflight(spec), (e: unknown) => e instanceof MtlError && e.kind === 'config' && /weighting\.gradSpace/.test(e.message) && /one shared representation/.test(e.message));
    // Hard sharing has one: fine; a loss method does not use gradSpace: fine.
    assert.deepEqual(preflight(tinySpec('weighting: {method: mgda, gradSpace: representation}\n')), []);
    assert.deepEqual(preflight(tinySpec('architecture: {type: mmoe, experts: 2}\nweighting: {method: equal, gradSpace: representation}\n')), []);
  });

  it('a task weight with a method that ignores it is a warning; static and stch read it', () => {
    const w = (method: string) => preflight(validateSpecText(TINY_SPEC.replace('  left:\n', '  left:\n    weight: 2\n') + `weighting: {method: ${method}}\n`, 'weighted.yaml'));
    assert.match(w('mgda').join('\n'), /tasks\.left\.weight is ignored by weighting method "mgda"/);
    assert.match(w('equal').join('\n'), /ignored by weighting method "equal"/);
    assert.deepEqual(w('static'), []);
    assert.deepEqual(w('stch'), []);
  });

  it('auto-lambda needs validation batches: validation none is a config error at train.validation; test is a warning', () => {
    const spec = (validation: string) => tinySpec(`weighting: {method: auto-lambda}\ntrain: {validation: ${validation}}\n`);
    assert.throws(() => preflight(spec('none')), (e: unknown) => e instanceof MtlError && e.kind === 'config' && /train\.validation/.test(e.message) && /learns its task weights on validation batches/.test(e.message));
    assert.match(preflight(spec('test')).join('\n'), /learns its task weights on the test split/);
    assert.deepEqual(preflight(spec('0.2')), []);
    // A stage that switches to auto-lambda needs it too.
    const staged = tinySpec('train: {epochs: 2, validation: none}\nstages:\n  - {name: a, epochs: 1}\n  - {name: b, epochs: 1, weighting: {method: auto-lambda}}\n');
    assert.throws(() => preflight(staged), (e: unknown) => e instanceof MtlError && /stages\[1\]\.weighting/.test(e.message));
    // Methods without a look-ahead do not need a validation split.
    assert.deepEqual(preflight(tinySpec('weighting: {method: equal}\ntrain: {validation: none}\n')), []);
  });
});
