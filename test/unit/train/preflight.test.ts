// What `mtl validate` and `mtl train` check before a run folder exists (src/train/preflight.ts).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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

  it('frame-accuracy with task-specific sources (data.tasks) is a warning: no row carries both labels', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-preflight-'));
    fs.writeFileSync(path.join(dir, 'd.csv'), 'a,k,j\n0,1,0\n1,2,1\n');
    const text = (data: string) => `name: f
data:
  type: files
  inputs: {x: {columns: [a]}}
${data}
inputs: {x: {shape: [1]}}
backbone: [{dense: {units: 2}}]
tasks:
  intent: {type: classification, head: [{dense: {units: 3, activation: softmax}}], loss: sparse-categorical-crossentropy}
  slots:
    type: classification
    head: [{dense: {units: 2, activation: softmax}}]
    loss: sparse-categorical-crossentropy
    metrics: [accuracy, {type: frame-accuracy, intent: intent}]
`;
    const perTask = `  tasks:
    intent: {target: {column: k, type: classification, classes: 3}, train: {format: csv, path: d.csv}}
    slots: {target: {column: j, type: classification, classes: 2}, train: {format: csv, path: d.csv}}`;
    const shared = `  train: {format: csv, path: d.csv}
  targets:
    intent: {column: k, type: classification, classes: 3}
    slots: {column: j, type: classification, classes: 2}`;
    const warnings = preflight(validateSpecText(text(perTask), path.join(dir, 'per-task.yaml')));
    assert.deepEqual(warnings, ['tasks.slots.metrics[1]: frame-accuracy reads task "intent" on the same rows, but with task-specific sources (data.tasks) no row carries both labels, so it will be NaN; give both tasks one source (data.train with targets for both)']);
    assert.deepEqual(preflight(validateSpecText(text(shared), path.join(dir, 'shared.yaml'))), []);
  });
});
