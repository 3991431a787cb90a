// The traps of bringing your own labelled data (issue 17), each on a fixture this test writes: a
// field no row has, a task without labelled training rows, unseen labels under each `unseen` policy,
// labels held out for validation, a bad tag at its own line, and code-point label order.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { loadFiles } from '../../../../src/data/files';
import { naturalSort, numbers } from '../../../../src/data/files/fields';
import { MtlError, type Problem } from '../../../../src/errors';
import { mixSeed } from '../../../../src/util/random';
import { didYouMean } from '../../../../src/util/suggest';
import { useBackend } from '../../../helpers/backend';

before(() => useBackend('cpu'));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-traps-'));

/** A CoNLL file: each sentence is [intent, [token, tag]…]. */
function conll(name: string, sentences: Array<[string, Array<[string, string]>]>): string {
  const text = sentences.map(([label, toks]) => `# label = ${label}\n${toks.map(([t, g]) => `${t}\t${g}`).join('\n')}\n`).join('\n');
  fs.writeFileSync(path.join(dir, name), text);
  return name;
}

const s = (label: string, ...toks: string[]): [string, Array<[string, string]>] => [label, toks.map((t) => [t, t === 'paris' || t === 'rome' ? 'B-city' : 'O'] as [string, string])];
const TRAIN = [s('fly', 'fly', 'to', 'paris'), s('fly', 'fly', 'to', 'rome'), s('play', 'play', 'jazz'), s('play', 'play', 'rock')];

function cfg(train: string, test: string | undefined, intent: Record<string, unknown> = {}, classes = 3) {
  return {
    type: 'files',
    train: { format: 'conll', path: train },
    ...(test ? { test: { format: 'conll', path: test } } : {}),
    inputs: { tokens: { field: 'token', encoding: 'tokens', length: 4 } },
    targets: { intent: { field: 'label', type: 'classification', classes, categories: 'learn', ...intent }, slots: { field: 'tag', type: 'classification', classes: 3, categories: 'learn', length: 4 } },
  };
}

async function problemsOf(p: Promise<unknown>): Promise<Problem[]> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MtlError, String(e));
    assert.equal(e.kind, 'data');
    return e.problems;
  }
  assert.fail('expected a data error');
}

const load = (c: Record<string, unknown>, extra: { validation?: number; seed?: number } = {}) => loadFiles(c, { seed: extra.seed ?? 1, specDir: dir, validation: extra.validation });

describe('files traps (issue 17)', () => {
  it('a field no row has is a data error naming the fields there are (CoNLL "# label =")', async () => {
    const train = conll('t1.conll', TRAIN);
    const ps = await problemsOf(load(cfg(train, undefined, { field: 'intent' })));
    assert.equal(ps.length, 1);
    assert.match(ps[0].message, /no row of train has a field "intent"/);
    assert.equal(ps[0].allowed, 'label, tag, token');
    assert.equal(ps[0].hint, undefined); // "intent" is no small edit away from any field
    const typo = await problemsOf(load(cfg(train, undefined, { field: 'lable' })));
    assert.equal(typo[0].hint, 'did you mean "label"?');
  });

  it('a task with no labelled training row is an error', async () => {
    const jsonl = path.join(dir, 'empty-labels.jsonl');
    fs.writeFileSync(jsonl, '{"x": 1, "y": null}\n{"x": 2, "y": ""}\n{"x": 3}\n');
    const c = { type: 'files', train: { format: 'jsonl', path: jsonl }, inputs: { x: { field: 'x' } }, targets: { y: { field: 'y', type: 'classification', classes: 2 } } };
    const ps = await problemsOf(load(c));
    assert.match(ps[0].message, /task y has no labelled row in train \(all 3 rows have an empty "y"\)/);
  });

  it('unseen: error lists every unseen label once, with its count and first line', async () => {
    const train = conll('t2.conll', TRAIN);
    // Lines: 1 "# label = stop", 2 "stop", 3 blank, 4 "# label = hi", 5 "hi", 6 blank, 7 "# label = stop", …
    const test = conll('e2.conll', [s('stop', 'stop'), s('hi', 'hi'), s('stop', 'stop'), s('fly', 'fly', 'to', 'paris')]);
    const ps = await problemsOf(load(cfg(train, test)));
    assert.equal(ps.length, 1);
    assert.equal(ps[0].message, '2 labels of test are not in the training data: "stop" ×2 (first at line 1), "hi" ×1 (first at line 4)');
    assert.match(ps[0].hint!, /unseen: missing .* unseen: other/);
  });

  it('unseen: missing masks the row out; unseen: other gives the extra last class', async () => {
    const train = conll('t3.conll', TRAIN);
    const test = conll('e3.conll', [s('stop', 'stop'), s('play', 'play', 'jazz')]);
    const missing = await load(cfg(train, test, { unseen: 'missing' }));
    assert.deepEqual([...missing.test!.targets.intent.mask!], [0, 1]);
    assert.deepEqual(missing.unseen, { test: { intent: { stop: 1 } } });
    // Learnt: fly = 0, play = 1; <other> = 2 (classes 3 leave room for it).
    const other = await load(cfg(train, test, { unseen: 'other' }));
    assert.deepEqual([...other.test!.targets.intent.data], [2, 1]);
    assert.equal(other.test!.targets.intent.mask, undefined);
    assert.deepEqual((other.state as { encoders: Record<string, unknown> }).encoders['targets.intent'], { categories: ['fly', 'play'], other: '<other>' });
    const full = await problemsOf(load(cfg(train, test, { unseen: 'other' }, 2)));
    assert.match(full[0].message, /2 distinct labels in the training data \+ 1 for <other> \(unseen: other\), but classes is 2/);
    assert.equal(full[0].hint, "set classes: 3 (and the head's units)");
  });

  it('a label whose only rows were held out for validation says so', async () => {
    // Five sentences (the rare one starts at line 19: 4 + 4 + 3 + 3 lines and 4 blanks before it); with validation 0.5 find a seed whose hold-out takes row 4 (the rare one) and keeps rows 0..3's labels.
    const rows = [...TRAIN, s('rare', 'rare', 'word')];
    const train = conll('t4.conll', rows);
    const held = (seed: number, i: number) => mixSeed(seed, 0x7a1, i) / 4294967296 < 0.5;
    const seed = [...Array(500).keys()].find((sd) => held(sd, 4) && !held(sd, 0) && !held(sd, 2));
    assert.ok(seed !== undefined);
    const ps = await problemsOf(load(cfg(train, undefined), { validation: 0.5, seed }));
    assert.equal(ps.length, 1);
    assert.match(ps[0].message, /1 label of val occurs only in rows held out for validation: "rare" ×1 \(first at line 19\)/);
  });

  it('a bad tag is reported at its own line, not at the sentence start', async () => {
    const train = conll('t5.conll', TRAIN);
    const c = cfg(train, undefined);
    (c.targets.slots as Record<string, unknown>).categories = ['O', 'B-city'];
    fs.appendFileSync(path.join(dir, train), '\n# label = fly\nfly\tO\nto\tO\nparis\tB-cty\n');
    const ps = await problemsOf(load(c));
    // The appended sentence follows TRAIN (lines 1–17); its bad tag is on its own line, after the "# label" line.
    const text = fs.readFileSync(path.join(dir, train), 'utf8').split('\n');
    const line = text.indexOf('paris\tB-cty') + 1;
    assert.equal(ps[0].where.line, line);
    assert.ok(line > text.indexOf('# label = fly', 12) + 1);
    assert.equal(ps[0].hint, 'did you mean "B-city"?');
  });
});

describe('label order and suggestions', () => {
  it('numbers in text are decimal: "0x2", "0b11", "0o7" and "Infinity" are not numbers (JavaScript\'s Number() reads them)', () => {
    const read = (v: string) => {
      const out: number[] = [];
      const r = numbers(v, out);
      return r === 'ok' ? out[0] : r;
    };
    assert.deepEqual(['-2.5', ' .5 ', '5.', '1e3', '+7', '-0.25E-2', 'yes'].map(read), [-2.5, 0.5, 5, 1000, 7, -0.0025, 1]);
    for (const v of ['0x2', '0b11', '0o7', 'Infinity', '1,5', '2 3', '1e']) assert.deepEqual(read(v), { bad: v }, v);
  });

  it('a class index given as "0x1" is a data error, not class 1', async () => {
    const file = path.join(dir, 'hex.csv');
    fs.writeFileSync(file, 'x,y\n1,0\n2,0x1\n3,1\n');
    const c = { type: 'files', train: { format: 'csv', path: file }, inputs: { x: { columns: ['x'] } }, targets: { y: { column: 'y', type: 'classification', classes: 2 } } };
    const ps = await problemsOf(load(c));
    assert.ok(ps.some((x) => /label "0x1" is not a class index/.test(x.message) && x.where.line === 3), JSON.stringify(ps));
  });

  it('learnt labels sort by code point (integers by value), whatever the locale', () => {
    const labels = ['b', 'B', '_x', '#a', 'a10', 'a2', 'É', 'a#b', 'a_b'];
    // Code points: # 35, B 66, _ 95, a 97, b 98, É 201; "a#b" < "a10" < "a2" < "a_b" (35 < 49 < 50 < 95).
    assert.deepEqual([...labels].sort(naturalSort), ['#a', 'B', '_x', 'a#b', 'a10', 'a2', 'a_b', 'b', 'É']);
    assert.deepEqual(['10', '2', '1'].sort(naturalSort), ['1', '2', '10']);
  });

  it('strict did-you-mean suggests only names a small edit away', () => {
    assert.equal(didYouMean('intent', ['label', 'tag', 'token'], { strict: true }), undefined);
    assert.equal(didYouMean('B-time', ['B-time_relative', 'B-tim'], { strict: true }), 'did you mean "B-tim"?');
    assert.equal(didYouMean('B-ti', ['B-time_relative'], { strict: true }), undefined);
  });
});
