// Owns "did you mean …" suggestions for misspelt names (keys, layer types, losses, …).

/** Damerau-free Levenshtein distance, case-insensitive so `Conv2D` finds `conv2d`. */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/**
 * strict (data field and label names, where many names look alike): only a small edit distance
 * (1 for names of up to 3 characters, else 2), no abbreviations.
 */
export interface SuggestOptions {
  strict?: boolean;
}

/** The closest candidate, when it is close enough to be a plausible typo. */
export function suggest(input: string, candidates: readonly string[], opts: SuggestOptions = {}): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_ ]/g, '');
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = norm(c) === norm(input) ? 0 : editDistance(input, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  // Below the input's length: rewriting every character of "f1" gives "r2", which is no typo of it.
  const limit = Math.min(input.length - 1, opts.strict ? (input.length <= 3 ? 1 : 2) : Math.max(2, Math.floor(input.length / 3)));
  if (best !== undefined && bestD <= limit) return best;
  if (opts.strict) return undefined;
  // Abbreviations: "acc" for "accuracy"; a part of a compound name: "f1" for "macro-f1"; initials:
  // "lr" for "learningRate" (as Keras and PyTorch spell it).
  const low = input.toLowerCase();
  const words = (c: string) => c.split(/(?=[A-Z])|[-_ ]/).filter(Boolean);
  const part = (c: string) => words(c).some((w) => w.toLowerCase() === low);
  const initials = (c: string) => words(c).length > 1 && words(c).map((w) => w[0]).join('').toLowerCase() === low;
  return candidates.find((c) => (input.length >= 3 && norm(c).startsWith(norm(input))) || part(c)) ?? candidates.find(initials);
}

export function didYouMean(input: string, candidates: readonly string[], opts: SuggestOptions = {}): string | undefined {
  const s = suggest(input, candidates, opts);
  return s ? `did you mean "${s}"?` : undefined;
}
