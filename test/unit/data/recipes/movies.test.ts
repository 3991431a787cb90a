// The movies recipe on the real vega-datasets table: describe() agreeing with create(), masks exactly
// where the table lacks a label (counted independently from the raw JSON), the one-hot blocks and
// z-scores built from training films only, the release-year fix and parse errors naming the row.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { dataRecipes } from '../../../../src/data/index';
import { hashedId } from '../../../../src/data/categorical';
import { embeddingState, featureWidth, GENRES, moviesData as movies, moviesFile, movieStats, parseMovies, releaseYear, toArraySet, toEmbeddedSet } from '../../../../src/data/recipes/movies';
import { MtlError } from '../../../../src/errors';

const raw = JSON.parse(fs.readFileSync(moviesFile(), 'utf8')) as Array<Record<string, unknown>>;
const ctx = { seed: 42, specDir: '/' };
const cfg = { type: 'movies' };
const sum = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);

describe('movies', () => {
  it('is registered; describe() matches create(); every film lands in one split', async () => {
    assert.equal(dataRecipes.get('movies'), movies);
    const d = movies.describe(cfg);
    const b = await movies.create(cfg, ctx);
    assert.equal(b.train.size + b.test!.size, raw.length);
    assert.equal(b.test!.size, Math.round(0.2 * raw.length));
    for (const set of [b.train, b.test!]) {
      assert.deepEqual(set.inputs.features.shape, d.inputs.features.shape);
      assert.equal(set.inputs.features.data.length, set.size * 62);
      assert.deepEqual(set.targets.imdb.shape, [1]);
      assert.deepEqual(set.targets.genre.shape, []);
      assert.ok(set.targets.genre.data.every((v) => v >= 0 && v < d.targets.genre.classes!));
    }
  });

  it('masks exactly the films without each label', async () => {
    const b = await movies.create(cfg, ctx);
    const labelled = (k: string) => raw.filter((r) => r[k] !== null && r[k] !== undefined).length;
    assert.equal(sum(b.train.targets.imdb.mask!) + sum(b.test!.targets.imdb.mask!), labelled('IMDB Rating'));
    assert.equal(sum(b.train.targets.rotten.mask!) + sum(b.test!.targets.rotten.mask!), labelled('Rotten Tomatoes Rating'));
    assert.equal(sum(b.train.targets.genre.mask!) + sum(b.test!.targets.genre.mask!), labelled('Major Genre'));
    assert.equal(labelled('Major Genre'), 2926);
  });

  it('encodes a hand-made film: z-scores, the running-time flag, one-hot positions, labels', () => {
    const rows = parseMovies(
      [
        { 'Production Budget': 1000, 'Release Date': 'Jun 12 1990', 'Running Time min': 100, 'MPAA Rating': 'R', Source: 'Remake', 'Creative Type': 'Fantasy', Distributor: 'A', 'IMDB Rating': 7, 'Rotten Tomatoes Rating': 85, 'Major Genre': 'Drama' },
        { 'Production Budget': 100000, 'Release Date': 'Jan 01 2000', 'Running Time min': null, 'MPAA Rating': 'PG', Source: null, 'Creative Type': 'Fantasy', Distributor: 'A', 'IMDB Rating': null, 'Rotten Tomatoes Rating': null, 'Major Genre': null },
      ],
      'x.json',
    );
    const s = movieStats(rows);
    assert.deepEqual(s.mean, [4, 1995, 100]); // log10 budgets 3 and 5
    assert.deepEqual(s.sd, [1, 5, 1]); // runtime: one value, sd 0 → 1
    assert.deepEqual(s.vocab['MPAA Rating'], ['PG', 'R']); // ties by name
    const set = toArraySet(rows, s);
    const x = Array.from(set.inputs.features.data);
    const w = featureWidth();
    assert.deepEqual(x.slice(0, 4), [-1, -1, 0, 1]);
    assert.deepEqual(x.slice(w, w + 4), [1, 1, 0, 0]); // unknown running time: mean (0) and flag 0
    assert.deepEqual(x.slice(4, 12), [0, 1, 0, 0, 0, 0, 0, 0]); // R is the second MPAA value
    assert.deepEqual(x.slice(w + 12, w + 32), new Array(20).fill(0)); // no source
    assert.deepEqual([...set.targets.imdb.data, ...set.targets.imdb.mask!], [7, 0, 1, 0]);
    assert.deepEqual([...set.targets.rotten.data], [8.5, 0]);
    assert.deepEqual([...set.targets.genre.data, ...set.targets.genre.mask!], [GENRES.indexOf('Drama'), 0, 1, 0]);
  });

  it('categories: embedding — ids from the training films\' vocabularies (minCount), hashed directors, missing → 0', () => {
    const film = (mpaa: string | null, director: string | null) => ({ 'MPAA Rating': mpaa, Director: director, 'IMDB Rating': 7, 'Production Budget': 1e6, 'Release Date': 'Jun 12 1998' });
    // Train: R ×3, PG ×2, G ×1 → with minCount 2: R = 2, PG = 3, G out of vocabulary (1).
    const train = parseMovies([film('R', 'Ann'), film('PG', null), film('R', 'Bo'), film('G', 'Ann'), film('PG', 'Bo'), film('R', null)], 'm.json');
    const state = embeddingState(train, 2);
    assert.deepEqual((state['inputs.mpaa'] as { vocabulary: string[] }).vocabulary, ['R', 'PG']);
    const test = parseMovies([film('PG', 'Cy'), film('NC-17', 'Ann'), film(null, null)], 'm.json');
    const { set, counts } = toEmbeddedSet(test, movieStats(train), state);
    assert.deepEqual(Array.from(set.inputs.mpaa.data), [3, 1, 0]);
    // Directors: 2 + FNV-1a mod 1000 (hashedId's own test checks the hash against published vectors).
    assert.deepEqual(Array.from(set.inputs.director.data), [hashedId('Cy', 1000), hashedId('Ann', 1000), 0]);
    assert.deepEqual(counts.mpaa, { values: 2, oov: 1, missing: 1 });
    assert.deepEqual(set.inputs.numbers.shape, [4]);
  });

  it('categories: embedding — eval reuses the saved vocabularies (data-state round trip); describe() matches', async () => {
    const c = { type: 'movies', categories: 'embedding' };
    const d = movies.describe(c);
    const b = await movies.create(c, ctx);
    for (const [name, input] of Object.entries(d.inputs)) {
      assert.deepEqual(b.train.inputs[name].shape, input.shape, name);
      assert.ok(Array.from(b.train.inputs[name].data).every((v) => input.ids === undefined || (v >= 0 && v < input.ids)), name);
    }
    // A state whose mpaa vocabulary is reversed: eval must encode with it, not refit.
    const state = JSON.parse(JSON.stringify(b.state)) as { encoders: Record<string, { vocabulary?: string[] }> };
    state.encoders['inputs.mpaa'].vocabulary!.reverse();
    const again = await movies.create(c, { ...ctx, state });
    const n = state.encoders['inputs.mpaa'].vocabulary!.length;
    const flip = (id: number) => (id >= 2 ? 2 + n - 1 - (id - 2) : id);
    assert.deepEqual(Array.from(again.test!.inputs.mpaa.data), Array.from(b.test!.inputs.mpaa.data, flip));
  });

  it('vocabularies break count ties in code-point order, not the locale\'s ("B" before "a", "Z" before "É")', () => {
    const film = (source: string) => ({ 'Major Genre': 'Drama', Source: source, 'IMDB Rating': 7 });
    const rows = parseMovies(['a', 'B', 'É', 'Z', 'B', 'a'].map(film), 'films.json');
    // "a" and "B" twice each, "É" and "Z" once: by count, then code point (B 66 < a 97; Z 90 < É 201).
    assert.deepEqual(movieStats(rows).vocab.Source, ['B', 'a', 'Z', 'É']);
  });

  it('reads 204x release years as 194x; an unknown genre names the row', () => {
    assert.equal(releaseYear('Dec 25 2046'), 1946);
    assert.equal(releaseYear('Dec 25 2009'), 2009);
    assert.throws(() => parseMovies([{}, { 'Major Genre': 'Opera' }], 'm.json'), (e: unknown) => e instanceof MtlError && e.kind === 'data' && e.problems[0].where.row === 2);
  });
});
