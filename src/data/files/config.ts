// Owns the `files` data type's configuration: the mapping types (input, target, source), the
// cross-field checks the JSON Schema cannot express, and the target mapping of every task.
import { configError, type Problem } from '../../errors';
import { fieldsOf } from './fields';
import type { TaskType } from '../../tasks';
import type { Format } from '../formats/record';

export const SPLITS = ['train', 'val', 'test'] as const;
export type SplitName = (typeof SPLITS)[number];

export interface InputMap {
  field?: string;
  column?: string;
  columns?: string[];
  encoding: 'numeric' | 'tokens' | 'image' | 'category' | 'embedding';
  hashing?: { buckets: number };
  separator?: string;
  maxValues?: number;
  shape?: number[];
  normalize?: boolean;
  length?: number;
  vocabulary?: number;
  minCount?: number;
  lowercase?: boolean;
  split?: 'whitespace' | 'chars';
  height?: number;
  width?: number;
  channels?: 1 | 3;
}

export interface TargetMap {
  field?: string;
  column?: string;
  columns?: string[];
  type: TaskType;
  classes?: number;
  categories?: 'learn' | string[];
  normalize?: boolean;
  length?: number;
  dim?: number;
  /** A per-pixel target: [height, width] (classification: a class index per pixel; regression: one value) or [height, width, values]. */
  shape?: number[];
  separator?: string;
  lowercase?: boolean;
  unseen?: UnseenPolicy;
  above?: number;
}

/** What a learnt-category target does with a label that no training row has. */
export type UnseenPolicy = 'error' | 'missing' | 'other';

export interface SourceConfig {
  format: Format;
  path?: string;
  paths?: string[];
  files?: Record<string, string>;
  delimiter?: string;
  columns?: string[];
  streaming?: boolean | 'auto';
}

export interface FilesConfig {
  inputs: Record<string, InputMap>;
  targets?: Record<string, TargetMap>;
  train?: SourceConfig;
  val?: SourceConfig;
  test?: SourceConfig;
  tasks?: Record<string, { target: TargetMap; train: SourceConfig; val?: SourceConfig; test?: SourceConfig }>;
  sampling: 'all' | 'round-robin' | 'proportional' | { type: 'temperature'; T: number };
  shuffleBuffer: number;
  chunkSize: number;
  interleave: number;
  streamAbove: number;
  testFraction?: number;
}

/** The config with defaults filled in; throws a config error listing every missing or contradictory option. */
export function readFilesConfig(config: Record<string, unknown>): FilesConfig {
  const c = config as unknown as FilesConfig;
  const problems: Problem[] = [];
  const hasSplits = c.train !== undefined || c.val !== undefined || c.test !== undefined || c.targets !== undefined;
  if (c.tasks && hasSplits) problems.push({ where: { path: 'data.tasks' }, message: 'give either tasks (one dataset per task) or targets with train/val/test, not both' });
  if (!c.tasks && (!c.train || !c.targets)) problems.push({ where: { path: 'data' }, message: 'the files data type needs targets and a train source (or tasks)' });
  const checkSource = (s: SourceConfig | undefined, at: string) => {
    if (!s) return;
    if ((s.format === 'idx' || s.format === 'npy') && !s.files) problems.push({ where: { path: `${at}.files` }, message: `format ${s.format} reads one file per field: give files: {<field>: <file>}` });
    else if (s.format !== 'idx' && s.format !== 'npy' && !s.path && !s.paths) problems.push({ where: { path: at }, message: 'give path (or paths)' });
  };
  for (const s of SPLITS) checkSource(c[s], `data.${s}`);
  if (c.testFraction !== undefined && (c.tasks ? Object.values(c.tasks).every((tc) => tc.test) : c.test)) problems.push({ where: { path: 'data.testFraction' }, message: 'testFraction draws the test split from the training file, but a test source is given too; keep one' });
  for (const [t, tc] of Object.entries(c.tasks ?? {})) for (const s of SPLITS) checkSource(tc[s], `data.tasks.${t}.${s}`);
  const checkTarget = (m: TargetMap, at: string) => {
    if (!m.field && !m.column && !m.columns) problems.push({ where: { path: at }, message: 'name the target field (field, column or columns)' });
    if (m.type === 'classification' && m.classes === undefined) problems.push({ where: { path: `${at}.classes` }, message: 'a classification target needs classes (the head width)' });
    if (m.type === 'classification' && m.classes !== undefined && m.classes < 2) problems.push({ where: { path: `${at}.classes` }, message: 'a classification target needs at least 2 classes', received: m.classes, hint: 'for one yes/no label use type: binary' });
    if (m.type === 'multilabel' && !m.columns && m.classes === undefined && !Array.isArray(m.categories)) problems.push({ where: { path: `${at}.classes` }, message: 'a multilabel target in one field needs classes or a categories list' });
    if (m.shape) checkPixelTarget(m, `${at}.shape`, problems);
    checkTargetKeys(m, at, problems);
    // Only learnt categories have "labels no training row has"; elsewhere unseen would be silently ignored.
    if (m.unseen !== undefined && m.unseen !== 'error' && m.categories !== 'learn') {
      problems.push({ where: { path: `${at}.unseen` }, message: 'unseen applies to categories: learn (labels of val/test that no training row has)', received: m.unseen, hint: Array.isArray(m.categories) ? 'with a categories list every label outside it is a data error: add it to the list, or use categories: learn' : 'set categories: learn' });
    }
  };
  for (const [t, m] of Object.entries(c.targets ?? {})) checkTarget(m, `data.targets.${t}`);
  for (const [t, tc] of Object.entries(c.tasks ?? {})) checkTarget(tc.target, `data.tasks.${t}.target`);
  for (const [n, m] of Object.entries(c.inputs ?? {})) {
    if (!m.field && !m.column && !m.columns) problems.push({ where: { path: `data.inputs.${n}` }, message: 'name the input field (field, column or columns)' });
    if (m.hashing && m.encoding !== 'embedding') problems.push({ where: { path: `data.inputs.${n}.hashing` }, message: 'hashing maps the values of an embedding input to buckets', hint: 'set encoding: embedding' });
    if (m.separator !== undefined && m.maxValues === undefined) problems.push({ where: { path: `data.inputs.${n}.separator` }, message: 'separator splits a multi-valued field into the ids of an embedding input', hint: 'set encoding: embedding and maxValues (the most values a row keeps)' });
    if (m.maxValues !== undefined && m.encoding !== 'embedding') problems.push({ where: { path: `data.inputs.${n}.maxValues` }, message: 'maxValues makes an embedding input multi-valued', hint: 'set encoding: embedding' });
    if (m.encoding === 'embedding' && m.columns) problems.push({ where: { path: `data.inputs.${n}.columns` }, message: 'an embedding input reads one field (one id per row); give each categorical column its own input' });
  }
  const sampling = samplingOf(c.sampling as unknown, problems);
  if (problems.length) throw configError(problems);
  return { ...c, sampling, shuffleBuffer: c.shuffleBuffer ?? 10000, chunkSize: c.chunkSize ?? 1 << 20, interleave: c.interleave ?? 4, streamAbove: c.streamAbove ?? 256 };
}

/**
 * Target options that apply to some task types only. Given to another type they were silently ignored —
 * or worse: normalize z-scored a binary target's 0/1 labels (into about ±1, so binary cross-entropy went
 * negative and accuracy meant nothing).
 */
const TARGET_KEYS: Array<{ key: 'normalize' | 'classes' | 'categories' | 'above' | 'dim' | 'length'; types: string[]; what: string; hint: (m: TargetMap) => string }> = [
  { key: 'normalize', types: ['regression'], what: 'normalize z-scores a regression target', hint: (m) => (m.type === 'regression' ? '' : `drop normalize: a ${m.type} target's labels must stay as they are`) },
  { key: 'classes', types: ['classification', 'multilabel'], what: 'classes is the head width of a classification or multilabel target', hint: (m) => (m.type === 'binary' ? 'drop classes: a binary target has one output (its probability)' : 'drop classes') },
  {
    key: 'categories',
    types: ['classification', 'multilabel'],
    what: 'categories names the labels of a classification or multilabel target',
    hint: (m) => (m.type === 'binary' ? `a binary target reads 0/1 or true/false (or a number, with above); for two named labels use type: classification, classes: 2${Array.isArray(m.categories) ? ` and categories: [${m.categories.join(', ')}]` : ''}` : 'drop categories'),
  },
  { key: 'above', types: ['binary'], what: 'above turns a number into a binary label', hint: () => 'set type: binary, or drop above' },
  { key: 'dim', types: ['regression'], what: 'dim is the width of a regression target in one field', hint: () => 'drop dim' },
  { key: 'length', types: ['classification'], what: 'length makes a classification target one tag per token', hint: () => 'drop length' },
];

function checkTargetKeys(m: TargetMap, at: string, problems: Problem[]): void {
  for (const k of TARGET_KEYS) {
    const v = m[k.key];
    if (v === undefined || v === false || k.types.includes(m.type)) continue;
    problems.push({ where: { path: `${at}.${k.key}` }, message: `${k.what}, not a ${m.type} target`, received: v, hint: k.hint(m) || undefined });
  }
}

/** A per-pixel target (shape): a grid of class indices or values in one field, nothing that sets another row shape. */
function checkPixelTarget(m: TargetMap, at: string, problems: Problem[]): void {
  const ranks = m.type === 'classification' ? [2] : m.type === 'regression' ? [2, 3] : [];
  if (!ranks.length) problems.push({ where: { path: at }, message: `a per-pixel target is a classification (a class index per pixel) or a regression, not ${m.type}` });
  else if (!ranks.includes(m.shape!.length)) problems.push({ where: { path: at }, message: 'a per-pixel target has the shape of the head\'s output grid', received: m.shape, allowed: m.type === 'classification' ? '[height, width]' : '[height, width] or [height, width, values]' });
  const other = (['columns', 'length', 'dim'] as const).filter((k) => m[k] !== undefined);
  if (other.length) problems.push({ where: { path: at }, message: `shape gives the row shape of a per-pixel target; ${other.join(', ')} cannot be given with it` });
}

export function targetMaps(c: FilesConfig): Record<string, TargetMap> {
  return c.tasks ? Object.fromEntries(Object.entries(c.tasks).map(([t, tc]) => [t, tc.target])) : c.targets ?? {};
}

/** data.sampling: a name, or {type, T}; T belongs to (and only to) temperature sampling. */
function samplingOf(s: unknown, problems: Problem[]): FilesConfig['sampling'] {
  if (s === undefined) return 'all';
  if (typeof s === 'string') return s as FilesConfig['sampling'];
  const { type, T } = s as { type: string; T?: number };
  if (type === 'temperature') {
    if (T === undefined) problems.push({ where: { path: 'data.sampling' }, message: 'temperature sampling needs T (p_t ∝ n_t^(1/T))', hint: 'e.g. sampling: {type: temperature, T: 2}' });
    return { type, T: T ?? 1 };
  }
  if (T !== undefined) problems.push({ where: { path: 'data.sampling.T' }, message: `T applies to temperature sampling only, not "${type}"` });
  return type as FilesConfig['sampling'];
}

/** Every file a files config names, with the spec path that names it (`data.train.path`, `data.tasks.t.val.paths.1`). */
export function namedFiles(config: Record<string, unknown>): Array<{ path: Array<string | number>; file: string }> {
  const c = config as unknown as Partial<FilesConfig>;
  const out: Array<{ path: Array<string | number>; file: string }> = [];
  const add = (s: SourceConfig | undefined, at: Array<string | number>) => {
    if (s?.path) out.push({ path: [...at, 'path'], file: s.path });
    s?.paths?.forEach((p, i) => out.push({ path: [...at, 'paths', i], file: p }));
    for (const [k, f] of Object.entries(s?.files ?? {})) out.push({ path: [...at, 'files', k], file: f });
  };
  for (const s of SPLITS) add(c[s], ['data', s]);
  for (const [t, tc] of Object.entries(c.tasks ?? {})) for (const s of SPLITS) add(tc[s], ['data', 'tasks', t, s]);
  return out;
}

/**
 * Fields that a target reads and an input reads too: the model is then given the label it is to
 * predict. `at` is the target's spec path (data.targets.<t>, or data.tasks.<t>.target).
 */
export function fieldsReadByInputAndTarget(config: Record<string, unknown>): Array<{ task: string; at: string; field: string; input: string }> {
  const c = config as unknown as Partial<FilesConfig>;
  const readers = new Map<string, string>();
  for (const [input, m] of Object.entries(c.inputs ?? {})) for (const f of fieldsOf(m)) if (!readers.has(f)) readers.set(f, input);
  const targets = c.tasks ? Object.entries(c.tasks).map(([t, tc]) => [t, tc.target, `data.tasks.${t}.target`] as const) : Object.entries(c.targets ?? {}).map(([t, m]) => [t, m, `data.targets.${t}`] as const);
  return targets.flatMap(([task, m, at]) => fieldsOf(m ?? {}).flatMap((field) => (readers.has(field) ? [{ task, at, field, input: readers.get(field)! }] : [])));
}
