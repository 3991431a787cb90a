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

/**
 * Names other tools give what mtl names otherwise (lower case, without separators), where spelling finds
 * nothing or something else: LibMTL's `weighting: EW` was "did you mean uw?" — another method — and its
 * Nash-MTL argument update_weights_every was "diagnostics.every". Ludwig's feature types, LibMTL's and
 * torchjd's method names and arguments, PyTorch's loss classes.
 */
const OTHER_TOOLS: Record<string, string> = {
  // Ludwig output feature types → task types
  number: 'regression',
  numerical: 'regression',
  numeric: 'regression',
  category: 'classification',
  categorical: 'classification',
  multiclass: 'classification',
  set: 'multilabel',
  bool: 'binary',
  boolean: 'binary',
  // LibMTL architectures and weightings; torchjd aggregators
  hps: 'hard',
  sharedbottom: 'hard',
  ew: 'equal',
  mean: 'equal',
  sum: 'static',
  constant: 'static',
  random: 'rlw',
  imtlg: 'imtl',
  // PyTorch loss classes, Ludwig/TF loss names
  crossentropy: 'sparse-categorical-crossentropy',
  crossentropyloss: 'sparse-categorical-crossentropy',
  softmaxcrossentropy: 'sparse-categorical-crossentropy',
  nllloss: 'sparse-categorical-crossentropy',
  ce: 'sparse-categorical-crossentropy',
  mseloss: 'mse',
  l2: 'mse',
  l1loss: 'mae',
  l1: 'mae',
  bceloss: 'binary-crossentropy',
  bcewithlogitsloss: 'binary-crossentropy',
  bce: 'binary-crossentropy',
  sigmoidcrossentropy: 'binary-crossentropy',
  huberloss: 'huber',
  smoothl1loss: 'huber',
  // LibMTL's method arguments (--T, --calpha, --update_weights_every, …)
  t: 'temperature',
  calpha: 'c',
  updateweightsevery: 'updateEvery',
  famowlr: 'weightLr',
  mgdagn: 'normalization',
  sdmgradlamda: 'lambda',
};

/**
 * The candidates a misspelt name plausibly meant, best first: a name equal but for case and separators
 * alone; else the closest candidate within the edit limit, or an abbreviation. For a name of up to 4
 * characters, every candidate at the smallest distance and an abbreviation (at most 3): "acc" is one
 * edit from "auc" and the start of "accuracy", "mse" one edit from both "mae" and "rmse" — naming only
 * the first would send a user to another metric.
 */
export function suggestions(input: string, candidates: readonly string[], opts: SuggestOptions = {}): string[] {
  const norm = (s: string) => s.toLowerCase().replace(/[-_ ]/g, '');
  const same = candidates.find((c) => norm(c) === norm(input));
  if (same !== undefined) return [same];
  const alias = OTHER_TOOLS[norm(input)];
  if (alias !== undefined && candidates.includes(alias)) return [alias];
  // LibMTL prefixes a method's arguments with its name: MoCo_beta_sigma is MoCo's betaSigma.
  const rest = input.includes('_') ? input.slice(input.indexOf('_') + 1) : '';
  const unprefixed = rest && candidates.find((c) => norm(c) === norm(rest));
  if (unprefixed) return [unprefixed];
  const d = candidates.map((c) => editDistance(input, c));
  const bestD = Math.min(Infinity, ...d);
  // Below the input's length: rewriting every character of "f1" gives "r2", which is no typo of it.
  const limit = Math.min(input.length - 1, opts.strict ? (input.length <= 3 ? 1 : 2) : Math.max(2, Math.floor(input.length / 3)));
  const typos = bestD <= limit ? candidates.filter((_, i) => d[i] === bestD) : [];
  // One edit changes a name of up to 4 characters into another name easily: name every such reading.
  const all = input.length <= 4;
  if (opts.strict) return typos.slice(0, all ? 3 : 1);
  const short = abbreviationOf(input, candidates);
  if (!all) return typos.length ? [typos[0]] : short !== undefined ? [short] : [];
  return [...typos.slice(0, short !== undefined && !typos.includes(short) ? 2 : 3), ...(short !== undefined && !typos.includes(short) ? [short] : [])];
}

/**
 * A candidate the input abbreviates: its start ("acc" for "accuracy"), a part of a compound name ("f1"
 * for "macro-f1"), its initials ("lr" for "learningRate", as Keras and PyTorch spell it); or, for
 * Keras's long names, the input's initials ("mean_squared_error" → "mse") or its last word, also
 * as a singular ("sparse_categorical_accuracy" → "accuracy", "loss_weights" → "weight").
 */
function abbreviationOf(input: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_ ]/g, '');
  const low = input.toLowerCase();
  const words = (c: string) => c.split(/(?=[A-Z])|[-_ ]/).filter(Boolean);
  const part = (c: string) => words(c).some((w) => w.toLowerCase() === low);
  const initials = (c: string) => words(c).length > 1 && words(c).map((w) => w[0]).join('').toLowerCase();
  const own = words(input);
  const last = own.length > 1 ? own[own.length - 1].toLowerCase() : '';
  const fromLong = (c: string) => own.length > 1 && (initials(input) === c.toLowerCase() || last === c.toLowerCase() || last === `${c.toLowerCase()}s`);
  return candidates.find((c) => (input.length >= 3 && norm(c).startsWith(norm(input))) || part(c)) ?? candidates.find((c) => initials(c) === low) ?? candidates.find(fromLong);
}

/** The closest candidate, when it is close enough to be a plausible typo (or an abbreviation of it). */
export function suggest(input: string, candidates: readonly string[], opts: SuggestOptions = {}): string | undefined {
  return suggestions(input, candidates, opts)[0];
}

export function didYouMean(input: string, candidates: readonly string[], opts: SuggestOptions = {}): string | undefined {
  const s = suggestions(input, candidates, opts).map((c) => `"${c}"`);
  if (!s.length) return undefined;
  return `did you mean ${s.length === 1 ? s[0] : `${s.slice(0, -1).join(', ')} or ${s[s.length - 1]}`}?`;
}
