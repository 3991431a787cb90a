// Owns the `intent-slots` data recipe: SYNTHETIC sentences from fixed templates × slot values (the
// shape of ATIS/SNIPS joint intent detection and slot filling, e.g. Liu & Lane 2016,
// arXiv:1609.01454), with an intent label per sentence and a BIO slot tag per token (Ramshaw &
// Marcus 1995). Nothing is downloaded: the generator below is the dataset.
//
// Vocabulary: every template word and every *training* slot value word, sorted; id 0 = padding,
// 1 = out of vocabulary. One value in five of each slot list (a fixed choice) appears only in test
// sentences, so test slots hold unseen words (id 1) that only their context identifies; in training,
// slot words are replaced by id 1 with probability oovRate so that the model learns that context.
import { mixSeed, mulberry32, randInt } from '../../util/random';
import { int, num, opts, type Options as OptionsOf } from '../../util/options';
import { readOptions } from '../options';
import { CategoryEncoder } from '../files/category-encoder';
import type { Encoded, Encoder } from '../files/encoder';
import { getField } from '../files/fields';
import type { DataRecord, Report } from '../formats/record';
import { wordsById } from '../categorical';
import type { ArraySet, DataBundle, DataContext, DataDescription, DataDescriptor, PredictEncoding } from '../types';

const CITIES = ['new york', 'london', 'paris', 'tokyo', 'berlin', 'san francisco', 'madrid', 'rome', 'boston', 'chicago', 'sydney', 'toronto', 'los angeles', 'amsterdam', 'dublin', 'seattle', 'lisbon', 'vienna', 'prague', 'oslo'];

/** Slot values by slot type (multi-word values are several tokens: B-x then I-x). */
export const SLOT_VALUES: Readonly<Record<string, readonly string[]>> = {
  from_city: CITIES,
  to_city: CITIES,
  city: CITIES,
  date: ['today', 'tomorrow', 'tonight', 'next monday', 'this weekend', 'on friday', 'next week', 'on sunday morning', 'the day after tomorrow', 'on tuesday'],
  airline: ['delta', 'united', 'lufthansa', 'air france', 'british airways', 'klm', 'ryanair', 'emirates', 'american airlines', 'iberia'],
  condition: ['sunny', 'cold', 'windy', 'rainy', 'snowy', 'cloudy', 'warm', 'foggy'],
  song: ['yesterday', 'bohemian rhapsody', 'hey jude', 'hotel california', 'imagine', 'wonderwall', 'thriller', 'let it be', 'purple rain', 'smells like teen spirit', 'billie jean', 'hallelujah'],
  artist: ['the beatles', 'queen', 'adele', 'miles davis', 'taylor swift', 'radiohead', 'bob dylan', 'nina simone', 'daft punk', 'coldplay', 'prince', 'beyonce'],
  genre: ['jazz', 'rock', 'classical', 'hip hop', 'blues', 'reggae', 'country', 'techno', 'folk', 'soul'],
  playlist: ['workout', 'road trip', 'chill evening', 'party', 'study', 'morning coffee', 'sleep', 'summer hits'],
  time: ['six am', 'seven thirty', 'noon', 'eight pm', 'half past nine', 'five fifteen', 'midnight', "ten o'clock", 'quarter to seven', 'six thirty pm'],
  party_size: ['two', 'three', 'four', 'five', 'six', 'eight', 'ten', 'twelve'],
  restaurant: ["luigi's", 'the golden dragon', 'chez marie', 'sakura sushi', 'the green table', 'casa lopez', 'the old mill', 'taj palace', 'blue harbor grill', 'noodle house'],
};

/** Templates by intent; {slot} is replaced by a value of that slot type. */
export const TEMPLATES: Readonly<Record<string, readonly string[]>> = {
  book_flight: [
    'book a flight from {from_city} to {to_city}',
    'i need a flight to {to_city} {date}',
    'find me a ticket from {from_city} to {to_city} {date}',
    'fly me to {to_city} with {airline}',
    'are there any {airline} flights from {from_city} to {to_city}',
    'i want to fly from {from_city} to {to_city} {date}',
  ],
  get_weather: [
    'what is the weather in {city} {date}',
    'will it rain in {city} {date}',
    'how hot will it be in {city}',
    'weather forecast for {city}',
    'is it going to be {condition} in {city} {date}',
    'tell me the weather {date}',
  ],
  play_music: ['play {song} by {artist}', 'play some {genre}', 'put on {artist}', 'i want to hear {genre} music', 'play the song {song}', 'can you play something by {artist}'],
  add_to_playlist: ['add {song} to my {playlist} playlist', 'put {song} by {artist} on {playlist}', 'add this song to {playlist}', 'save {song} to the {playlist} list', 'add some {genre} to my {playlist} playlist'],
  set_alarm: ['set an alarm for {time}', 'wake me up at {time} {date}', 'alarm at {time}', 'please wake me at {time}', 'i need an alarm {date} at {time}'],
  book_restaurant: [
    'book a table for {party_size} at {restaurant}',
    'reserve a table at {restaurant} {date} at {time}',
    'book a table for {party_size} people at {restaurant} {date}',
    'find a table for {party_size} at {restaurant} at {time}',
    'i want to eat at {restaurant} {date}',
  ],
};

export const intentNames: readonly string[] = Object.keys(TEMPLATES);
const slotTypes = Object.keys(SLOT_VALUES).sort();
/** O, then B-x and I-x for each slot type in alphabetical order. */
export const tagNames: readonly string[] = ['O', ...slotTypes.flatMap((s) => [`B-${s}`, `I-${s}`])];
const tagIndex = new Map(tagNames.map((t, i) => [t, i]));

export const PAD = 0;
export const OOV = 1;

/** A slot value is test-only when its index in its list is 4 mod 5 (fixed, independent of the seed). */
export const isTestOnly = (index: number): boolean => index % 5 === 4;
const trainValues = (slot: string) => SLOT_VALUES[slot].filter((_, i) => !isTestOnly(i));

/** Sorted words of the templates and training slot values; word w has id 2 + its index. */
export const VOCABULARY: readonly string[] = [
  ...new Set([
    ...Object.values(TEMPLATES).flatMap((ts) => ts.flatMap((t) => t.split(' ').filter((w) => !w.startsWith('{')))),
    ...slotTypes.flatMap((s) => trainValues(s).flatMap((v) => v.split(' '))),
  ]),
].sort();
const wordId = new Map(VOCABULARY.map((w, i) => [w, i + 2]));
/** Ids run from 0 to VOCAB_SIZE − 1 (an embedding needs inputDim ≥ VOCAB_SIZE). */
export const VOCAB_SIZE = VOCABULARY.length + 2;

/** The longest sentence the templates can make, in tokens. */
export const LONGEST = Math.max(
  ...Object.values(TEMPLATES).flatMap((ts) =>
    ts.map((t) => t.split(' ').reduce((n, w) => n + (w.startsWith('{') ? Math.max(...SLOT_VALUES[w.slice(1, -1)].map((v) => v.split(' ').length)) : 1), 0)),
  ),
);

export interface Sentence {
  intent: number;
  words: string[];
  tags: number[];
  /** Whether each word comes from a slot value (candidates for word dropout). */
  inSlot: boolean[];
}

/** One sentence: intent, template and slot values drawn uniformly (test: from every value). */
export function generateSentence(rand: () => number, split: 'train' | 'test'): Sentence {
  const intent = randInt(rand, intentNames.length);
  const templates = TEMPLATES[intentNames[intent]];
  const template = templates[randInt(rand, templates.length)];
  const words: string[] = [];
  const tags: number[] = [];
  const inSlot: boolean[] = [];
  for (const w of template.split(' ')) {
    if (!w.startsWith('{')) {
      words.push(w);
      tags.push(0);
      inSlot.push(false);
      continue;
    }
    const slot = w.slice(1, -1);
    const values = split === 'train' ? trainValues(slot) : SLOT_VALUES[slot];
    values[randInt(rand, values.length)].split(' ').forEach((v, j) => {
      words.push(v);
      tags.push(tagIndex.get(`${j === 0 ? 'B' : 'I'}-${slot}`)!);
      inSlot.push(true);
    });
  }
  return { intent, words, tags, inSlot };
}

const recipeOptions = opts({
  trainSize: int({ minimum: 1, default: 4000, description: 'Number of training sentences' }),
  testSize: int({ minimum: 1, default: 1000, description: 'Number of test sentences' }),
  maxLength: int({ minimum: 1, maximum: 256, default: 16, description: `Tokens per example: shorter sentences are padded with id 0 (slot mask 0), longer ones cut (the longest template sentence has ${LONGEST} tokens)` }),
  oovRate: num({ minimum: 0, maximum: 1, default: 0.05, description: 'Probability that a slot word of a training sentence is replaced by the out-of-vocabulary id 1' }),
  seed: int({ description: 'Seed of the sentence generator. Default: the spec seed' }),
});
const schema = recipeOptions.schema;
type Options = OptionsOf<typeof recipeOptions>;

const options = (config: Record<string, unknown>) => readOptions('intent-slots', schema, config) as Options;

/** `count` sentences as token ids [maxLength], intent labels and BIO tags with a per-token mask. */
export function makeSentences(count: number, maxLength: number, split: 'train' | 'test', oovRate: number, seed: number): ArraySet {
  const rand = mulberry32(seed);
  const tokens = new Int32Array(count * maxLength);
  const slots = new Int32Array(count * maxLength);
  const mask = new Uint8Array(count * maxLength);
  const intent = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const s = generateSentence(rand, split);
    intent[k] = s.intent;
    for (let i = 0; i < s.words.length; i++) {
      // Drawn for every training slot word, whatever oovRate and maxLength are, so that neither
      // shifts the sentences that follow.
      const drop = split === 'train' && s.inSlot[i] && rand() < oovRate;
      if (i >= maxLength) continue;
      tokens[k * maxLength + i] = drop ? OOV : (wordId.get(s.words[i]) ?? OOV);
      slots[k * maxLength + i] = s.tags[i];
      mask[k * maxLength + i] = 1;
    }
  }
  return {
    size: count,
    inputs: { tokens: { data: tokens, shape: [maxLength] } },
    targets: {
      intent: { data: intent, shape: [] },
      slots: { data: slots, shape: [maxLength], mask },
    },
  };
}

/** `mtl predict`: a sentence (field text; words split at spaces, lower-cased) → token ids as the generator makes them. */
class SentenceTokens implements Encoder {
  readonly key = 'inputs.tokens';
  readonly dtype = 'int32';
  readonly perToken = false;
  readonly learns = false;
  readonly fields = ['text'];
  readonly shape: number[];
  constructor(maxLength: number) {
    this.shape = [maxLength];
  }
  fit(): void {}
  finish(): unknown {
    return undefined;
  }
  load(): void {}
  info(): Record<string, unknown> {
    return { vocabularySize: VOCAB_SIZE };
  }
  words(rec: DataRecord): string[] | null {
    const v = getField(rec, 'text');
    return typeof v === 'string' ? v.toLowerCase().split(/\s+/).filter((w) => w !== '') : Array.isArray(v) ? v.map((w) => String(w).toLowerCase()) : null;
  }
  encode(rec: DataRecord, report: Report): Encoded | null {
    const words = this.words(rec);
    // An empty sentence has nothing to predict from: a bad row, not a confident guess from padding.
    if (!words || words.length === 0) {
      report({ where: rec.where, message: `${this.key}: no sentence in field "text"`, received: getField(rec, 'text'), allowed: 'a non-empty string of words, or a list of words' });
      return null;
    }
    const data = new Int32Array(this.shape[0]);
    for (let i = 0; i < Math.min(words.length, data.length); i++) data[i] = wordId.get(words[i]) ?? OOV;
    return { data };
  }
}

function intentSlotsPredictEncoding(config: Record<string, unknown>): PredictEncoding {
  const o = options(config);
  const tags = { field: 'tags', type: 'classification' as const, classes: tagNames.length, categories: [...tagNames], length: o.maxLength };
  return {
    inputs: [['tokens', new SentenceTokens(o.maxLength)]],
    targets: [
      ['intent', new CategoryEncoder('targets.intent', { field: 'intent', type: 'classification', classes: intentNames.length, categories: [...intentNames] }, intentNames.length, 'target')],
      ['slots', new CategoryEncoder('targets.slots', tags, tagNames.length, 'target')],
    ],
    classNames: { intent: [...intentNames], slots: [...tagNames] },
    vocabularies: { tokens: wordsById(VOCABULARY) },
    reader: { format: 'jsonl' },
  };
}

export const intentSlotsData: DataDescriptor = {
  type: 'intent-slots',
  description: `Synthetic sentences (${intentNames.length} intents, ${slotTypes.length} slot types; vocabulary of ${VOCAB_SIZE} ids, 0 = padding, 1 = unknown): input tokens (int32 ids); tasks intent (classification) and slots (BIO tag per token, ${tagNames.length} tags, padding masked)`,
  schema,

  describe(config: Record<string, unknown>): DataDescription {
    const o = options(config);
    return {
      inputs: { tokens: { shape: [o.maxLength], dtype: 'int32', ids: VOCAB_SIZE, idsFrom: 'the intent-slots vocabulary' } },
      targets: { intent: { type: 'classification', classes: intentNames.length }, slots: { type: 'classification', classes: tagNames.length, steps: o.maxLength } },
      splits: ['train', 'test'],
    };
  },

  predictEncoding: intentSlotsPredictEncoding,

  async create(config: Record<string, unknown>, ctx: DataContext): Promise<DataBundle> {
    const o = options(config);
    const seed = o.seed ?? ctx.seed;
    return {
      train: makeSentences(o.trainSize, o.maxLength, 'train', o.oovRate, mixSeed(seed, 1)),
      test: makeSentences(o.testSize, o.maxLength, 'test', o.oovRate, mixSeed(seed, 2)),
      source: `intent-slots generator (synthetic: ${o.trainSize} train / ${o.testSize} test sentences, ${o.maxLength} tokens)`,
    };
  },
};
