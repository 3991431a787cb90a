// What `mtl validate` and `mtl train` check before a run folder exists (src/train/preflight.ts).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { MtlError } from '../../../src/errors';
import { constantTargetWarnings, preflight, unusedTableWarnings } from '../../../src/train/preflight';
import type { ArraySet, TargetColumn } from '../../../src/data/types';
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

  it('a backbone beside an architecture.expert stack is a warning: the experts are built from expert alone', () => {
    const expert = 'expert: [{flatten: {}}, {dense: {units: 4, activation: relu}}]';
    for (const arch of ['mmoe', 'dselect-k', 'cgc']) {
      assert.match(preflight(tinySpec(`architecture: {type: ${arch}, ${expert}}\n`)).join('\n'), new RegExp(`backbone is not used: architecture "${arch}" builds its experts from architecture\\.expert`));
    }
    // Without expert, the backbone is the expert stack: no warning.
    assert.deepEqual(preflight(tinySpec('architecture: {type: mmoe, experts: 2}\n')), []);
  });

  it('a mixture that mixes nothing is a warning: MMoE or DSelect-k with one expert, DSelect-k with k above its experts', () => {
    for (const arch of ['mmoe', 'dselect-k']) {
      assert.match(preflight(tinySpec(`architecture: {type: ${arch}, experts: 1${arch === 'dselect-k' ? ', k: 1' : ''}}\n`)).join('\n'), new RegExp(`architecture\\.experts is 1: .*"${arch}" is hard sharing through that expert`));
    }
    assert.match(preflight(tinySpec('architecture: {type: dselect-k, experts: 4, k: 5}\n')).join('\n'), /architecture\.k 5 is more than architecture\.experts 4: .*k: 4 already lets every expert in/);
    // k equal to the experts, and two experts: nothing to say.
    assert.deepEqual(preflight(tinySpec('architecture: {type: dselect-k, experts: 4, k: 4}\n')), []);
    assert.deepEqual(preflight(tinySpec('architecture: {type: mmoe, experts: 2}\n')), []);
  });

  it('an embedding table ten times larger than the ids of the training data is a warning at train time', () => {
    // 3 islands → ids 0 (padding), 1 (out of vocabulary), 2..4: 5 of the 10000 default rows are ever read;
    // at 4 values a row, 9995 · 4 = 39,980 of 10000 · 4 = 40,000 parameters are not.
    const r = { features: { island: { embedding: 4, inputDim: 10000 }, numbers: {}, zone: { embedding: 8, inputDim: 1002 } } } as never;
    const state = { encoders: { 'inputs.island': { vocabulary: ['Biscoe', 'Dream', 'Torgersen'], pad: 0, oov: 1, distinct: 3 }, 'inputs.zone': { hashing: { buckets: 1000 } } } };
    assert.deepEqual(unusedTableWarnings(r, state), [
      'features.island: the embedding table has 10000 rows, but the training data gives input "island" 5 ids (3 values, padding, out of vocabulary): 39,980 of its 40,000 parameters are never read; set vocabulary: 5 on data.inputs.island',
    ]);
    // A table the data fills to a tenth or more, or a small one, is fine.
    const fits = { encoders: { 'inputs.island': { vocabulary: Array.from({ length: 998 }, (_, i) => String(i)) } } };
    assert.deepEqual(unusedTableWarnings(r, fits), []);
    assert.deepEqual(unusedTableWarnings({ features: { island: { embedding: 4, inputDim: 999 } } } as never, state), []);
  });

  it('a target whose field an input reads too is a warning: the model would be given the label', () => {
    const files = (inputs: string, targets: string) => `name: leak
data:
  type: files
  train: {format: json, path: movies.json}
  inputs:
${inputs}
  targets:
${targets}
inputs: {numbers: {shape: [2]}, mpaa: {shape: [1], dtype: int32}}
features: {numbers: null, mpaa: {embedding: 3}}
backbone: [{dense: {units: 4}}]
tasks:
  imdb: {type: regression, head: [{dense: {units: 1}}], loss: mse}
  rating: {type: classification, head: [{dense: {units: 7, activation: softmax}}], loss: sparse-categorical-crossentropy}
`;
    const targets = '    imdb: {column: IMDB Rating, type: regression}\n    rating: {column: MPAA Rating, type: classification, classes: 7, categories: learn}';
    const leaky = preflight(validateSpecText(files('    numbers: {columns: [Production Budget, IMDB Rating]}\n    mpaa: {column: MPAA Rating, encoding: embedding}', targets), 'leak.yaml'));
    assert.deepEqual(leaky, [
      'data.targets.imdb reads "IMDB Rating", which input "numbers" (data.inputs.numbers) reads too: the model is given the label it predicts, so imdb\'s metrics measure a copy, not a prediction; drop "IMDB Rating" from the input (unless imdb is meant to reconstruct it)',
      'data.targets.rating reads "MPAA Rating", which input "mpaa" (data.inputs.mpaa) reads too: the model is given the label it predicts, so rating\'s metrics measure a copy, not a prediction; drop "MPAA Rating" from the input (unless rating is meant to reconstruct it)',
    ]);
    const clean = preflight(validateSpecText(files('    numbers: {columns: [Production Budget, IMDB Votes]}\n    mpaa: {column: Distributor, encoding: embedding}', targets), 'clean.yaml'));
    assert.deepEqual(clean, []);
  });

  it('a z-scored regression target under a head ending in relu, sigmoid or tanh is a warning; linear, or a raw target, is not', () => {
    const files = (act: string, normalize: boolean) => `name: bounded
data:
  type: files
  train: {format: csv, path: d.csv}
  inputs: {x: {columns: [a, b]}}
  targets: {imdb: {column: r, type: regression${normalize ? ', normalize: true' : ''}}}
inputs: {x: {shape: [2]}}
backbone: [{dense: {units: 4, activation: relu}}]
tasks:
  imdb: {type: regression, head: [{dense: {units: 3, activation: relu}}, {dense: {units: 1${act ? `, activation: ${act}` : ''}}}], loss: mse}
`;
    const w = (act: string, normalize = true) => preflight(validateSpecText(files(act, normalize), 'bounded.yaml'));
    assert.deepEqual(w('relu'), [
      'tasks.imdb.head[1]: the head ends with activation "relu", whose outputs are ≥ 0, but imdb\'s target is z-scored (normalize: true): negative for every value below the training mean; end the head with a dense layer without activation (linear)',
    ]);
    assert.match(w('sigmoid').join('\n'), /activation "sigmoid", whose outputs are in \(0, 1\)/);
    assert.match(w('tanh').join('\n'), /activation "tanh", whose outputs are in \(−1, 1\)/);
    // The hidden head layer's relu is fine; so is relu on a target in its own units.
    assert.deepEqual(w(''), []);
    assert.deepEqual(w('relu', false), []);
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

/** `file:line:col` of the first occurrence of `needle` in the spec text (1-based), counted by hand. */
function at(text: string, needle: string, file = 'tiny.yaml'): string {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `${needle} not in the spec`);
  const before = text.slice(0, i).split('\n');
  return `${file}:${before.length}:${before[before.length - 1].length + 1}`;
}

describe('preflight errors carry file:line:col, as validate\'s do', () => {
  before(() => useBackend('cpu'));

  const fails = (text: string, file: string, pattern: RegExp) =>
    assert.throws(() => preflight(validateSpecText(text, file)), (e: unknown) => e instanceof MtlError && e.kind === 'config' && pattern.test(e.message));
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it('gradSpace representation without a shared representation: at the gradSpace value', () => {
    const text = TINY_SPEC + 'architecture: {type: mmoe, experts: 2}\nweighting:\n  method: mgda\n  gradSpace: representation\n';
    fails(text, 'g.yaml', new RegExp(`^${esc(at(text, 'representation', 'g.yaml'))} weighting\\.gradSpace: gradSpace "representation" needs`, 'm'));
  });

  it('auto-lambda without validation batches: at train.validation, also for a stage\'s auto-lambda', () => {
    const text = TINY_SPEC + 'weighting: {method: auto-lambda}\ntrain:\n  validation: none\n';
    fails(text, 'v.yaml', new RegExp(`^${esc(at(text, 'none', 'v.yaml'))} train\\.validation:`, 'm'));
    const staged = TINY_SPEC + 'train:\n  epochs: 2\n  validation: none\nstages:\n  - {name: a, epochs: 1}\n  - {name: b, epochs: 1, weighting: {method: auto-lambda}}\n';
    fails(staged, 's.yaml', new RegExp(`^${esc(at(staged, 'none', 's.yaml'))} train\\.validation: weighting method "auto-lambda" \\(stages\\[1\\]\\.weighting\\)`, 'm'));
  });
});

describe('a method\'s own option error in a stage', () => {
  before(() => useBackend('cpu'));

  it('is placed at the stage\'s weighting (was: weighting.primary at 1:1)', () => {
    const text = TINY_SPEC + 'train: {epochs: 2, validation: 0.2}\nstages:\n  - {name: a, epochs: 1}\n  - name: b\n    epochs: 1\n    weighting: {method: auto-lambda, primary: [lft]}\n';
    assert.throws(
      () => preflight(validateSpecText(text, 'p.yaml')),
      (e: unknown) => e instanceof MtlError && e.kind === 'config' && e.message.startsWith(`${at(text, '[lft]', 'p.yaml')} stages[1].weighting.primary: unknown task "lft"`),
    );
  });
});

describe('auto-lambda and weighting.updateEvery', () => {
  before(() => useBackend('cpu'));

  it('updateEvery > 1 is a config error at its value, pointing to auto-lambda\'s own every; every: 3 with updateEvery 1 is fine', () => {
    const text = TINY_SPEC + 'weighting:\n  method: auto-lambda\n  updateEvery: 3\ntrain: {validation: 0.25}\n';
    assert.throws(
      () => preflight(validateSpecText(text, 'u.yaml')),
      (e: unknown) =>
        e instanceof MtlError &&
        e.kind === 'config' &&
        e.problems.length === 1 &&
        e.message.startsWith(`${at(text, '3\ntrain', 'u.yaml')} weighting.updateEvery: weighting method "auto-lambda" learns λ by a look-ahead`) &&
        /received 3; allowed: 1 \(to update λ less often, set weighting\.every: 3\)/.test(e.message),
    );
    assert.deepEqual(preflight(tinySpec('weighting: {method: auto-lambda, every: 3}\ntrain: {validation: 0.25}\n')), []);
    // A stage's auto-lambda is checked at the stage's weighting; updateEvery 2 with another method is fine.
    const staged = TINY_SPEC + 'weighting: {method: uw, updateEvery: 2}\ntrain: {epochs: 2, validation: 0.25}\nstages:\n  - {name: a, epochs: 1}\n  - {name: b, epochs: 1, weighting: {method: auto-lambda, updateEvery: 2}}\n';
    assert.throws(() => preflight(validateSpecText(staged, 's.yaml')), (e: unknown) => e instanceof MtlError && e.problems.length === 1 && /^s\.yaml:\d+:\d+ stages\[1\]\.weighting\.updateEvery: /.test(e.message));
  });
});

describe('constantTargetWarnings: a task whose labelled training rows all carry one label', () => {
  const set = (size: number, targets: Record<string, TargetColumn>): ArraySet => ({ size, inputs: {}, targets });
  const f32 = (...v: number[]) => Float32Array.from(v);

  it('warns for one label among the labelled rows (masked rows ignored), in the data\'s units when z-scored', () => {
    const train = set(5, {
      y: { data: f32(0, 0, 9, 0, 0), shape: [], mask: Uint8Array.from([1, 1, 0, 1, 1]) },
      z: { data: f32(0, 0, 0, 0, 0), shape: [] },
      moving: { data: f32(1, 1, 1, 1, 2), shape: [] },
    });
    const state = { encoders: { 'targets.z': { mean: [5], std: [1] } } };
    const w = constantTargetWarnings(train, undefined, state);
    assert.equal(w.length, 2);
    assert.match(w[0], /^task y: all 4 labelled training rows have the label 0: the task has nothing to learn/);
    assert.match(w[1], /^task z: all 5 labelled training rows have the label 5:/, 'z-scored 0 is the value 5');
  });

  it('names the class; a row of several values compares position by position; tokens against one label', () => {
    const train = set(3, {
      kind: { data: Int32Array.from([2, 2, 2]), shape: [] },
      pair: { data: f32(1, 7, 1, 7, 1, 7), shape: [2] },
      mixed: { data: f32(1, 7, 1, 7, 7, 1), shape: [2] },
      tags: { data: Int32Array.from([3, 3, 0, 3, 0, 0]), shape: [2], mask: Uint8Array.from([1, 1, 0, 1, 0, 0]) },
    });
    const w = constantTargetWarnings(train, { kind: ['dog', 'cow', 'cat'] });
    assert.deepEqual(w.map((x) => x.split(':')[0] + ':' + x.split(':')[1]), ['task kind: all 3 labelled training rows have the label class 2 (cat)', 'task pair: all 3 labelled training rows have the label [1, 7]', 'task tags: all 3 labelled training tokens have the label 3']);
  });

  it('says nothing for two labels, one labelled row, or no in-memory split', () => {
    const train = set(3, { a: { data: f32(1, 2, 1), shape: [] }, b: { data: f32(4, 4, 4), shape: [], mask: Uint8Array.from([0, 1, 0]) } });
    assert.deepEqual(constantTargetWarnings(train), []);
    assert.deepEqual(constantTargetWarnings(undefined), []);
  });
});
