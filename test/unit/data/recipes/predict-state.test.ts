// The cars and movies predict hooks read the training statistics the run saved (data-state.json)
// rather than recomputing them from the table: with hand-picked statistics in the state, a hand-written
// record (CSV text cells included) encodes to the z-scores and one-hot positions worked out by hand;
// create() saves the statistics of the training rows, recomputed here from the raw table.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { carsData, carsFile, testRows } from '../../../../src/data/recipes/cars';
import { moviesData, moviesFile } from '../../../../src/data/recipes/movies';
import type { DataRecord } from '../../../../src/data/formats/record';
import type { Problem } from '../../../../src/errors';

const record = (fields: Record<string, unknown>): DataRecord => ({ fields, where: { file: 'new.csv', line: 2 }, dir: '/' });

function encodeInput(pe: ReturnType<NonNullable<typeof carsData.predictEncoding>>, rec: DataRecord): { data: number[] | null; problems: Problem[] } {
  const problems: Problem[] = [];
  const e = pe.inputs![0][1].encode(rec, (p) => problems.push(p));
  return { data: e ? Array.from(e.data) : null, problems };
}

/** Mean and population sd of the present numbers. */
function meanSd(xs: number[]): [number, number] {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return [m, Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length)];
}

describe('cars and movies predict hooks: the training statistics from data-state.json', () => {
  it('cars: z-scores with the saved statistics, not the table\'s', () => {
    const state = { version: 1, features: { mean: [4, 200, 100, 3000, 15, 1975], sd: [1, 100, 50, 1000, 5, 5] } };
    const pe = carsData.predictEncoding!({ type: 'cars' }, { seed: 11, specDir: '/', state });
    // (6−4)/1, (250−200)/100, missing → 0 (the training mean), (3500−3000)/1000, (10−15)/5, (1980−1975)/5.
    const r = encodeInput(pe, record({ Cylinders: '6', Displacement: 250, Horsepower: '', Weight_in_lbs: '3500', Acceleration: 10, Year: '1980-01-01' }));
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.data, [2, 0.5, 0, 0.5, -1, 1]);
  });

  it('cars: create() saves the training cars\' statistics (recomputed here from the raw table)', async () => {
    const b = await carsData.create({ type: 'cars', testFraction: 0.2 }, { seed: 11, specDir: '/' });
    const raw = JSON.parse(fs.readFileSync(carsFile(), 'utf8')) as Array<Record<string, unknown>>;
    const test = testRows(raw.length, 0.2, 11);
    const train = raw.filter((_, i) => !test.has(i));
    const [m, s] = meanSd(train.map((c) => c.Horsepower).filter((v): v is number => typeof v === 'number'));
    const saved = (b.state as { features: { mean: number[]; sd: number[] } }).features;
    assert.ok(Math.abs(saved.mean[2] - m) < 1e-9 && Math.abs(saved.sd[2] - s) < 1e-9, `${saved.mean[2]} ${saved.sd[2]} vs ${m} ${s}`);
    const [ym] = meanSd(train.map((c) => Number(String(c.Year).slice(0, 4))));
    assert.ok(Math.abs(saved.mean[5] - ym) < 1e-9);
  });

  it('movies: numbers, one-hot blocks and vocabularies from the saved state; CSV text read as numbers', () => {
    const vocab = { 'MPAA Rating': ['PG', 'R'], Source: ['Original Screenplay', 'Remake'], 'Creative Type': ['Fantasy'], Distributor: ['Paramount Pictures'] };
    const state = { version: 1, stats: { mean: [7, 2000, 100], sd: [1, 10, 20], vocab } };
    const pe = moviesData.predictEncoding!({ type: 'movies' }, { seed: 4, specDir: '/', state });
    const film = { 'Production Budget': '10000000', 'Release Date': 'Jun 12 2010', 'Running Time min': '140', 'MPAA Rating': 'R', Source: 'Remake', 'Creative Type': '', Distributor: 'Unknown Films' };
    const r = encodeInput(pe, record(film));
    assert.deepEqual(r.problems, []);
    const want = new Array<number>(62).fill(0);
    // log10(1e7) = 7 → 0; (2010 − 2000)/10 = 1; (140 − 100)/20 = 2; running time known.
    want.splice(0, 4, 0, 1, 2, 1);
    want[4 + 1] = 1; // MPAA block (8 wide) at 4: R is index 1
    want[4 + 8 + 1] = 1; // Source block (20 wide) at 12: Remake is index 1
    // Creative Type empty and Distributor outside the vocabulary: all-zero blocks.
    assert.deepEqual(r.data, want);
    const bad = encodeInput(pe, record({ ...film, 'Running Time min': 'two hours' }));
    assert.equal(bad.data, null);
    assert.match(bad.problems[0].message, /non-numeric value in "Running Time min"/);
    assert.deepEqual(bad.problems[0].where, { file: 'new.csv', line: 2 });
  });

  it('movies: create() saves the training films\' statistics (recomputed here from the raw table)', async () => {
    const b = await moviesData.create({ type: 'movies' }, { seed: 4, specDir: '/' });
    const raw = JSON.parse(fs.readFileSync(moviesFile(), 'utf8')) as Array<Record<string, unknown>>;
    const test = testRows(raw.length, 0.2, 4);
    const runtimes = raw.filter((_, i) => !test.has(i)).map((f) => f['Running Time min']).filter((v): v is number => typeof v === 'number');
    const [m, s] = meanSd(runtimes);
    const saved = (b.state as { stats: { mean: number[]; sd: number[] } }).stats;
    assert.ok(Math.abs(saved.mean[2] - m) < 1e-9 && Math.abs(saved.sd[2] - s) < 1e-9);
  });
});
