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
});
