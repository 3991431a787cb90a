// Owns the ids of categorical values fed to an embedding: 0 pads (a missing value), 1 is out of
// vocabulary, 2… the vocabulary learnt from the training rows (most frequent first, at least minCount
// times), or with hashing a bucket of the value's FNV-1a hash — no vocabulary to hold, for fields with
// millions of distinct values. Shared by the files encoder and the recipes that embed categories.

export const PAD_ID = 0;
export const OOV_ID = 1;
/** Ids before the first vocabulary entry or hash bucket. */
export const RESERVED_IDS = 2;

/**
 * 32-bit FNV-1a over the value's UTF-8 bytes (offset basis 0x811c9dc5, prime 0x01000193; Fowler, Noll
 * and Vo, http://www.isthe.com/chongo/tech/comp/fnv/): stable across runs, machines and Node versions,
 * unlike a seeded or engine hash. "a" → 0xe40c292c, "foobar" → 0xbf9cf968 (the published test vectors).
 */
export function fnv1a32(value: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(value, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A value's id under hashing: 2 + (FNV-1a(value) mod buckets). */
export const hashedId = (value: string, buckets: number): number => RESERVED_IDS + (fnv1a32(value) % buckets);

/**
 * The vocabulary of counted training values: those seen at least `minCount` times, most frequent first
 * (ties in code-point order), at most `maxIds` − 2 of them (ids 0 and 1 are reserved).
 */
export function learnVocabulary(counts: Map<string, number>, minCount: number, maxIds: number): string[] {
  return [...counts.entries()]
    .filter(([, c]) => c >= minCount)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, Math.max(0, maxIds - RESERVED_IDS))
    .map(([v]) => v);
}

/** How `mtl predict` shows the word of id 1 in a split of the run's data (its own word is not kept). */
export const UNKNOWN_WORD = '<unk>';

/** A learnt vocabulary as words by id: '' for padding, UNKNOWN_WORD for out of vocabulary, then the vocabulary. */
export const wordsById = (vocabulary: readonly string[]): string[] => ['', UNKNOWN_WORD, ...vocabulary];
