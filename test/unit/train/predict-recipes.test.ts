// `mtl predict RUN INPUT` for the built-in recipes that read their own fields: the test cars written
// back as the table's raw JSON objects, and the intent-slots test sentences regenerated as text with
// their intent and BIO tags (and once without labels), give exactly the predictions of the run's
// test split — the same preprocessing as training, and for the CRF head the same Viterbi paths
// whether the real tokens come from the labels or from the token ids.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { carsFile, testRows } from '../../../src/data/recipes/cars';
import { moviesFile } from '../../../src/data/recipes/movies';
import { generateSentence, intentNames, tagNames, VOCABULARY } from '../../../src/data/recipes/intent-slots';
import { train } from '../../../src/train/loop';
import { predictRun, type PredictionRow } from '../../../src/train/predict';
import { mixSeed, mulberry32 } from '../../../src/util/random';
import { useBackend } from '../../helpers/backend';

const CARS = `name: cars
seed: 11
data: {type: cars, testFraction: 0.2}
inputs:
  features: {shape: [6]}
backbone:
  - dense: {units: 8, activation: relu}
tasks:
  mpg:
    type: regression
    head: [{dense: {units: 1}}]
    loss: mse
    weight: 0.02
  origin:
    type: classification
    head: [{dense: {units: 3, activation: softmax}}]
    loss: sparse-categorical-crossentropy
train: {epochs: 1, batchSize: 32, validation: none}
`;

const MOVIES = `name: movies
seed: 4
data: {type: movies}
inputs:
  features: {shape: [62]}
backbone:
  - dense: {units: 8, activation: relu}
tasks:
  imdb: {type: regression, head: [{dense: {units: 1}}], loss: mse}
  rotten: {type: regression, head: [{dense: {units: 1}}], loss: mse}
  genre: {type: classification, head: [{dense: {units: 12, activation: softmax}}], loss: sparse-categorical-crossentropy}
train: {epochs: 1, batchSize: 256, validation: none}
`;

const SLOTS = `name: slots
seed: 3
data: {type: intent-slots, trainSize: 64, testSize: 16, maxLength: 12}
inputs:
  tokens: {shape: [12], dtype: int32}
backbone:
  - embedding: {inputDim: 189, outputDim: 8}
  - bidirectional: {layer: {gru: {units: 8, returnSequences: true}}}
tasks:
  intent:
    type: classification
    head:
      - globalMaxPooling1d:
      - dense: {units: 6, activation: softmax}
    loss: sparse-categorical-crossentropy
  slots:
    type: classification
    head: [{crf: {numTags: 27}}]
    loss: crf-nll
train: {epochs: 1, batchSize: 16, validation: none}
`;

async function trained(spec: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-predict-recipe-'));
  fs.writeFileSync(path.join(dir, 'spec.yaml'), spec);
  await train(path.join(dir, 'spec.yaml'), { out: path.join(dir, 'run'), backend: 'cpu' });
  return dir;
}

async function collect(run: string, opts: Parameters<typeof predictRun>[1]): Promise<PredictionRow[]> {
  const rows: PredictionRow[] = [];
  await predictRun(run, { backend: 'cpu', ...opts }, (r) => rows.push(r));
  return rows;
}

describe('predict INPUT with a recipe\'s own fields', () => {
  before(() => useBackend('cpu'));

  /**
   * Trains `spec`, writes the test split's rows of `table` (a JSON array) as a file, predicts it and the
   * split. Then the run's recorded data config is changed so that the table would give other training
   * rows (data.seed 99): INPUT must still be encoded with the statistics of the rows the run trained on
   * (data-state.json), while the split itself does change (a check that the change took effect).
   */
  async function tableAndSplit(spec: string, table: string, seed: number): Promise<{ dir: string; fromFile: PredictionRow[]; split: PredictionRow[]; size: number; test: Array<Record<string, unknown>> }> {
    const dir = await trained(spec);
    const run = path.join(dir, 'run');
    const rows = JSON.parse(fs.readFileSync(table, 'utf8')) as Array<Record<string, unknown>>;
    const test = testRows(rows.length, 0.2, seed);
    const file = path.join(dir, 'table.json');
    const testList = rows.filter((_, i) => test.has(i));
    fs.writeFileSync(file, JSON.stringify(testList));
    const fromFile = await collect(run, { input: file });
    const split = await collect(run, { split: 'test' });
    const cfg = path.join(run, 'config.resolved.yaml');
    const text = fs.readFileSync(cfg, 'utf8');
    const changed = text.replace(/^(\s+)type: (cars|movies)$/m, '$1type: $2\n$1seed: 99');
    assert.notEqual(changed, text);
    fs.writeFileSync(cfg, changed);
    assert.deepEqual(await collect(run, { input: file }), fromFile, 'INPUT keeps the training statistics when the table would give others');
    assert.notDeepEqual(await collect(run, { split: 'test' }), split, 'data.seed 99 draws other test rows');
    fs.writeFileSync(cfg, text);
    return { dir, fromFile, split, size: test.size, test: testList };
  }

  it('cars: the test cars as raw table rows predict exactly as the test split (z-scores, missing values, names)', async () => {
    const { fromFile, split, size } = await tableAndSplit(CARS, carsFile(), 11);
    assert.equal(fromFile.length, size);
    assert.deepEqual(fromFile, split);
    assert.ok(fromFile.some((r) => (r.tasks.mpg as { label: unknown }).label === null), 'a car without mpg is unlabelled for mpg');
    assert.deepEqual(new Set(fromFile.map((r) => (r.tasks.origin as { labelName: string }).labelName)), new Set(['USA', 'Europe', 'Japan']));
  });

  it('movies: the test films as raw table rows, and as CSV, predict exactly as the test split (the training code\'s encoding)', async () => {
    const { dir, fromFile, split, size, test } = await tableAndSplit(MOVIES, moviesFile(), 4);
    assert.equal(fromFile.length, size);
    assert.deepEqual(fromFile, split);
    assert.ok(fromFile.some((r) => typeof (r.tasks.genre as { name?: string }).name === 'string'));
    // The same films as CSV: every field of the table a column, numbers as text, a missing value an empty cell.
    const columns = [...new Set(test.flatMap((f) => Object.keys(f)))];
    const cell = (v: unknown) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
    const csv = path.join(dir, 'films.csv');
    fs.writeFileSync(csv, [columns.map(cell).join(','), ...test.map((f) => columns.map((c) => cell(f[c])).join(','))].join('\n'));
    assert.ok(columns.includes('Production Budget') && columns.includes('Running Time min'));
    assert.deepEqual(await collect(path.join(dir, 'run'), { input: csv }), split);
    // A cell that is not a number is a bad row at its line; the other films are predicted.
    const budget = columns.indexOf('Production Budget');
    const lines = fs.readFileSync(csv, 'utf8').split('\n');
    const k = lines.findIndex((l, i) => i > 0 && !l.includes('"'));
    const cells = lines[k].split(',');
    assert.equal(cells[budget], String(test[k - 1]['Production Budget']));
    lines[k] = [...cells.slice(0, budget), 'lots', ...cells.slice(budget + 1)].join(',');
    fs.writeFileSync(csv, lines.join('\n'));
    const problems: string[] = [];
    const rest = await collect(path.join(dir, 'run'), { input: csv, onProblems: (ps) => problems.push(...ps.map((p) => `${p.where.line}: ${p.message}`)) });
    assert.equal(rest.length, size - 1);
    assert.deepEqual(problems, [`${k + 1}: non-numeric value in "Production Budget"`]);
    // Columns named otherwise (here lower case) are not films with every value missing: every row is a
    // bad row, none is predicted from the training means alone.
    const renamed = path.join(dir, 'renamed.csv');
    fs.writeFileSync(renamed, [columns.map((c) => cell(c.toLowerCase())).join(','), ...test.slice(0, 3).map((f) => columns.map((c) => cell(f[c])).join(','))].join('\n'));
    const none: string[] = [];
    assert.deepEqual(await collect(path.join(dir, 'run'), { input: renamed, onProblems: (ps) => none.push(...ps.map((p) => `${p.where.line}: ${p.message}`)) }), []);
    assert.deepEqual(none, [2, 3, 4].map((l) => `${l}: the row has none of the fields the model reads`));
  });

  it('cars: a row with none of the fields the model reads is a bad row, not a car at the training means', async () => {
    const dir = await trained(CARS);
    const file = path.join(dir, 'other.json');
    const car = JSON.parse(fs.readFileSync(carsFile(), 'utf8'))[0];
    // A file none of whose rows has a field is refused as a whole (no column "…"); here one row lacks them all.
    fs.writeFileSync(file, JSON.stringify([car, { mpg: 20, cylinders: 4 }, { Name: 'x', Cylinders: 4 }]));
    const problems: string[] = [];
    const rows = await collect(path.join(dir, 'run'), { input: file, onProblems: (ps) => problems.push(...ps.map((p) => p.message)) });
    // The third row has one field the model reads (Cylinders): the others are missing, as in training.
    assert.equal(rows.length, 2);
    assert.deepEqual(problems, ['inputs.features: the row has none of the fields the model reads']);
  });

  it('intent-slots: regenerated test sentences as text predict as the test split; without labels the CRF paths are the same', async () => {
    const dir = await trained(SLOTS);
    const rand = mulberry32(mixSeed(3, 2));
    const sentences = Array.from({ length: 16 }, () => generateSentence(rand, 'test'));
    const labelled = path.join(dir, 'labelled.jsonl');
    const bare = path.join(dir, 'bare.jsonl');
    fs.writeFileSync(labelled, sentences.map((s) => JSON.stringify({ text: s.words.join(' '), intent: intentNames[s.intent], tags: s.tags.map((t) => tagNames[t]).join(' ') })).join('\n'));
    fs.writeFileSync(bare, sentences.map((s) => JSON.stringify({ text: s.words.join(' ') })).join('\n'));
    const run = path.join(dir, 'run');
    const split = await collect(run, { split: 'test' });
    const strip = (rows: PredictionRow[]) =>
      rows.map((r) => {
        const { entities, ...slots } = r.tasks.slots as { entities?: Array<{ text?: string }> };
        return { ...r, tasks: { ...r.tasks, slots: { ...slots, entities: entities?.map(({ text: _t, ...e }) => e) } } };
      });
    const withLabels = await collect(run, { input: labelled });
    assert.deepEqual(strip(withLabels), strip(split));
    const without = await collect(run, { input: bare, labels: false });
    const noLabels = await collect(run, { split: 'test', labels: false });
    assert.deepEqual(strip(without), strip(noLabels));
    // An empty sentence is a bad row at its own line, left out; the rows around it still predict.
    const withEmpty = path.join(dir, 'empty.jsonl');
    fs.writeFileSync(withEmpty, [JSON.stringify({ text: sentences[0].words.join(' ') }), JSON.stringify({ text: '' }), JSON.stringify({ text: sentences[1].words.join(' ') })].join('\n'));
    const problems: string[] = [];
    const around = await collect(run, { input: withEmpty, labels: false, onProblems: (ps) => problems.push(...ps.map((p) => `${p.where.line}: ${p.message}`)) });
    assert.equal(around.length, 2);
    assert.deepEqual(problems, ['2: inputs.tokens: no sentence in field "text"']);
    // Entity text: the words of each span; in the split (token ids only) the recipe's vocabulary gives
    // them, a test-only slot word (not in the vocabulary, id 1) showing as <unk>.
    const inVocab = new Set(VOCABULARY);
    let unknown = 0;
    for (const [i, r] of without.entries()) {
      const fromSplit = (noLabels[i].tasks.slots as { entities?: Array<{ text: string }> }).entities ?? [];
      ((r.tasks.slots as { entities?: Array<{ start: number; end: number; text: string }> }).entities ?? []).forEach((e, j) => {
        assert.equal(e.text, sentences[i].words.slice(e.start, e.end).join(' '));
        const shown = sentences[i].words.slice(e.start, e.end).map((w) => (inVocab.has(w) ? w : '<unk>')).join(' ');
        assert.equal(fromSplit[j].text, shown);
        if (shown.includes('<unk>')) unknown++;
      });
    }
    assert.ok(unknown > 0, 'some test entity holds a test-only word');
  });
});
