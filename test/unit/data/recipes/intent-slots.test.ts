// The intent-slots generator: describe() agreeing with create(), determinism from the seed,
// well-formed BIO tags that fit the intent, padding masked per token, and the vocabulary / OOV rules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dataRecipes } from '../../../../src/data/index';
import { intentNames, intentSlotsData, isTestOnly, LONGEST, OOV, PAD, SLOT_VALUES, tagNames, TEMPLATES, VOCAB_SIZE, VOCABULARY } from '../../../../src/data/recipes/intent-slots';
import type { ArraySet } from '../../../../src/data/types';

const ctx = { seed: 42, specDir: '/' };
const make = (extra: Record<string, unknown> = {}, c = ctx) => intentSlotsData.create({ type: 'intent-slots', trainSize: 300, testSize: 200, ...extra }, c);

/** Row k's real tokens, tags and mask, checking the padding after them. */
function row(set: ArraySet, k: number) {
  const L = set.inputs.tokens.shape[0];
  const tokens = [...set.inputs.tokens.data.subarray(k * L, (k + 1) * L)];
  const tags = [...set.targets.slots.data.subarray(k * L, (k + 1) * L)].map((t) => tagNames[t]);
  const mask = [...set.targets.slots.mask!.subarray(k * L, (k + 1) * L)];
  const len = mask.indexOf(0) === -1 ? L : mask.indexOf(0);
  assert.ok(mask.slice(len).every((m) => m === 0), 'padding only at the end');
  assert.ok(tokens.slice(len).every((t) => t === PAD), 'padded tokens are 0');
  assert.ok(tokens.slice(0, len).every((t) => t !== PAD && t < VOCAB_SIZE), 'real tokens are ids 1..VOCAB_SIZE-1');
  return { tokens: tokens.slice(0, len), tags: tags.slice(0, len), len };
}

/** Slot types each intent's templates can produce. */
const slotsOf = (intent: string) => new Set(TEMPLATES[intent].flatMap((t) => [...t.matchAll(/\{(\w+)\}/g)].map((m) => m[1])));

describe('intent-slots', () => {
  it('is registered with a documented schema; the tag set is O plus B-/I- per slot type', () => {
    assert.equal(dataRecipes.get('intent-slots'), intentSlotsData);
    assert.equal(intentSlotsData.schema.additionalProperties, false);
    for (const [k, p] of Object.entries(intentSlotsData.schema.properties as Record<string, { description?: string }>)) assert.ok(p.description, k);
    const types = Object.keys(SLOT_VALUES);
    assert.equal(tagNames.length, 1 + 2 * types.length);
    assert.equal(tagNames[0], 'O');
    for (const s of types) assert.ok(tagNames.includes(`B-${s}`) && tagNames.includes(`I-${s}`));
    assert.ok(intentNames.length >= 4);
  });

  for (const maxLength of [16, 24, 6]) {
    it(`describe() matches create() (maxLength ${maxLength})`, async () => {
      const d = intentSlotsData.describe({ type: 'intent-slots', maxLength });
      const b = await make({ maxLength });
      assert.deepEqual(d.inputs, { tokens: { shape: [maxLength], dtype: 'int32', ids: 189, idsFrom: 'the intent-slots vocabulary' } });
      assert.deepEqual(d.targets.intent, { type: 'classification', classes: intentNames.length });
      assert.deepEqual(d.targets.slots, { type: 'classification', classes: tagNames.length, steps: maxLength });
      for (const set of [b.train, b.test!]) {
        assert.ok(set.inputs.tokens.data instanceof Int32Array);
        assert.deepEqual(set.inputs.tokens.shape, [maxLength]);
        assert.equal(set.inputs.tokens.data.length, set.size * maxLength);
        assert.ok(set.inputs.tokens.data.every((v) => v < d.inputs.tokens.ids!)); // an embedding with inputDim ids reads every id
        assert.deepEqual(set.targets.intent.shape, []);
        assert.ok(set.targets.intent.data.every((v) => v >= 0 && v < intentNames.length));
        assert.deepEqual(set.targets.slots.shape, [maxLength]);
        assert.ok(set.targets.slots.data instanceof Int32Array);
        assert.equal(set.targets.slots.mask!.length, set.size * maxLength, 'one mask value per token');
        assert.ok(set.targets.slots.data.every((v) => v >= 0 && v < tagNames.length));
      }
    });
  }

  it('BIO tags are well-formed and fit the intent; padding is masked', async () => {
    const b = await make();
    const seenIntents = new Set<number>();
    for (const set of [b.train, b.test!]) {
      for (let k = 0; k < set.size; k++) {
        const { tags, len } = row(set, k);
        assert.ok(len >= 2 && len <= LONGEST);
        tags.forEach((t, i) => {
          if (t.startsWith('I-')) assert.ok(tags[i - 1] === `B-${t.slice(2)}` || tags[i - 1] === t, `row ${k}: ${tags.join(' ')}`);
        });
        const intent = intentNames[set.targets.intent.data[k]];
        seenIntents.add(set.targets.intent.data[k]);
        for (const t of tags) if (t !== 'O') assert.ok(slotsOf(intent).has(t.slice(2)), `${t} in a ${intent} sentence`);
      }
    }
    assert.equal(seenIntents.size, intentNames.length);
  });

  it('cutting at maxLength keeps the first tokens of the same sentences, tags well-formed', async () => {
    const full = await make();
    const cut = await make({ maxLength: 4 });
    let shortened = 0;
    for (let k = 0; k < cut.train.size; k++) {
      const a = row(full.train, k);
      const { tokens, tags, len } = row(cut.train, k);
      assert.equal(len, Math.min(4, a.len));
      if (a.len > 4) shortened++;
      assert.deepEqual(tokens, a.tokens.slice(0, 4));
      assert.deepEqual(tags, a.tags.slice(0, 4));
      tags.forEach((t, i) => t.startsWith('I-') && assert.ok(i > 0 && tags[i - 1].slice(2) === t.slice(2)));
    }
    assert.ok(shortened > 0);
    assert.deepEqual(cut.train.targets.intent.data, full.train.targets.intent.data);
  });

  it('is deterministic in the seed', async () => {
    const a = await make();
    assert.deepEqual(await make(), a);
    assert.notDeepEqual((await make({}, { ...ctx, seed: 43 })).train.inputs.tokens.data, a.train.inputs.tokens.data);
    assert.deepEqual(await make({ seed: 42 }, { ...ctx, seed: 7 }), a);
  });

  it('out-of-vocabulary ids: only in slots; none in training without word dropout; every test-only value is unknown', async () => {
    const clean = await make({ oovRate: 0 });
    assert.ok(!clean.train.inputs.tokens.data.includes(OOV), 'training words are all in the vocabulary');
    let testOov = 0;
    for (let k = 0; k < clean.test!.size; k++) {
      const { tokens, tags } = row(clean.test!, k);
      tokens.forEach((t, i) => {
        if (t === OOV) {
          testOov++;
          assert.notEqual(tags[i], 'O', 'template words are always known');
        }
      });
    }
    assert.ok(testOov > 0, 'test sentences use held-out slot values');
    // Held-out values whose words appear nowhere else are unknown; the others are in the vocabulary.
    const heldOut = Object.values(SLOT_VALUES).flatMap((vs) => vs.filter((_, i) => isTestOnly(i)));
    assert.ok(heldOut.some((v) => v.split(' ').some((w) => !VOCABULARY.includes(w))));
    assert.equal(VOCAB_SIZE, VOCABULARY.length + 2);
    assert.deepEqual([...VOCABULARY], [...new Set(VOCABULARY)].sort());
    // Word dropout replaces slot words only.
    const dropped = await make({ oovRate: 1 });
    for (let k = 0; k < 50; k++) {
      const { tokens, tags } = row(dropped.train, k);
      tokens.forEach((t, i) => assert.equal(t === OOV, tags[i] !== 'O'));
    }
    // The sentences themselves do not depend on oovRate.
    assert.deepEqual(dropped.train.targets.slots.data, clean.train.targets.slots.data);
  });
});
