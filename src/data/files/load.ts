// Owns loadFiles, the `files` data type's pipeline in four phases: prepare the sources (every task
// group × split, bound to its encoders), fit the encoders on the training rows or load what a previous
// run learnt (validating every row on the way), encode the splits (in memory or streamed), assemble
// the bundle (task-specific datasets behind one task sampler).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataError } from '../../errors';
import type { ReaderOptions } from '../formats/record';
import { arraySource, isBatchSource, type SplitData } from '../source';
import { TaskSampler } from '../task-sampler';
import type { ArraySet, DataBundle, DataContext } from '../types';
import { readFilesConfig, SPLITS, targetMaps, type FilesConfig, type SourceConfig, type SplitName } from './config';
import { CategoryEncoder } from './category-encoder';
import { EmbeddingEncoder } from './embedding-encoder';
import type { Encoder } from './encoder';
import { inputEncoder, targetEncoder } from './encoders';
import { FieldCensus } from './census';
import { changedFiles, fingerprintFiles, type FileFingerprint } from './fingerprint';
import { ProblemList } from './problems';
import { encodeRow, keptRecords, toArraySet, type Prepared, type Row } from './rows';
import { StreamSource } from './stream-source';
import { unseenAfterPass, type UnseenNotes } from './unseen';

export const DATA_STATE_VERSION = 1;

/** The encoders of a config: per input (in order), per task target, and all of them by state key. */
export interface Encoders {
  inputs: Array<[string, Encoder]>;
  targets: Record<string, Encoder>;
  all: Record<string, Encoder>;
}

/** A prepared source and where its data goes: the split, and the task of a task-specific dataset. */
interface Placed {
  task?: string;
  split: SplitName;
  p: Prepared;
}

type EncodedSplits = Record<SplitName, Array<{ task?: string; data: SplitData }>> & { unseen: UnseenNotes; idCounts: NonNullable<DataBundle['idCounts']> };

/** Everything create() builds; the bundle plus what `mtl data inspect` reports. */
export async function loadFiles(config: Record<string, unknown>, ctx: DataContext): Promise<DataBundle & { encoders: Record<string, Encoder> }> {
  const c = readFilesConfig(config);
  const encoders = makeEncoders(c);
  const placed = prepareSources(c, ctx, encoders);
  const problems = new ProblemList();
  const { states, sizes } = await fitOrLoadEncoders(placed, encoders.all, ctx.state, problems);
  const splits = await encodeSplits(placed, sizes, c.shuffleBuffer, problems, ctx.countIds ?? false);
  const idCounts = Object.keys(splits.idCounts).length ? { idCounts: splits.idCounts } : {};
  // The files as trained on are kept (a resumed run rewrites data-state.json with the trained ones).
  const now = await fingerprintFiles(placed.flatMap(({ p }) => [...p.reader.paths, ...Object.values(p.reader.files ?? {})]));
  const trained = (ctx.state as { files?: Record<string, FileFingerprint> } | undefined)?.files;
  const changed = ctx.state ? { dataChanged: changedFiles(trained, now) } : {};
  const files = ctx.state ? (trained ? { files: trained } : {}) : { files: now };
  return { ...assemble(c, encoders.targets, placed, splits), state: { version: DATA_STATE_VERSION, encoders: states, ...files }, encoders: encoders.all, unseen: splits.unseen, classNames: classNames(encoders.targets), ...idCounts, ...changed };
}

export function classNames(targets: Record<string, Encoder>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [t, e] of Object.entries(targets)) if (e instanceof CategoryEncoder && e.learns && e.names().length) out[t] = e.names();
  return out;
}

export function makeEncoders(c: FilesConfig): Encoders {
  const inputs: Array<[string, Encoder]> = Object.entries(c.inputs).map(([n, m]) => [n, inputEncoder(n, m)]);
  const targets: Record<string, Encoder> = Object.fromEntries(Object.entries(targetMaps(c)).map(([t, m]) => [t, targetEncoder(t, m)]));
  const all: Record<string, Encoder> = Object.fromEntries([...inputs.map(([n, e]) => [`inputs.${n}`, e] as const), ...Object.entries(targets).map(([t, e]) => [`targets.${t}`, e] as const)]);
  return { inputs, targets, all };
}

// ---------------------------------------------------------------- 1. prepare the sources

/** Every (task group, split) source, bound to the encoders its rows feed; a held-out val reads train. */
function prepareSources(c: FilesConfig, ctx: DataContext, enc: Encoders): Placed[] {
  const fraction = typeof ctx.validation === 'number' ? ctx.validation : undefined;
  const groups: Array<{ task?: string; splits: Partial<Record<SplitName, SourceConfig>>; targets: Array<[string, Encoder]> }> = c.tasks
    ? Object.entries(c.tasks).map(([t, tc]) => ({ task: t, splits: { train: tc.train, val: tc.val, test: tc.test }, targets: [[t, enc.targets[t]]] as Array<[string, Encoder]> }))
    : [{ splits: { train: c.train, val: c.val, test: c.test }, targets: Object.entries(enc.targets) }];
  const placed: Placed[] = [];
  for (const g of groups) {
    for (const split of SPLITS) {
      // Splits drawn from the training file: test (data.testFraction), then val (train.validation).
      const draws = { seed: ctx.seed, val: g.splits.val ? undefined : fraction, test: g.splits.test ? undefined : c.testFraction };
      const drawn = draws.val !== undefined || draws.test !== undefined;
      let s = g.splits[split];
      let holdOut: Prepared['holdOut'];
      if (!s && split !== 'train' && draws[split] !== undefined) s = g.splits.train;
      if (s && drawn && (split === 'train' || s === g.splits.train)) holdOut = { ...draws, keep: split };
      if (!s) continue;
      const users = [...enc.inputs, ...g.targets];
      const needed = [...new Set(users.flatMap(([, e]) => e.fields))];
      const reader = { ...readerOptions(s, ctx, c, needed), owners: fieldOwners(users, g.task) };
      const streaming = s.streaming === true || (s.streaming !== false && totalBytes(reader.paths) > c.streamAbove * 1048576);
      const name = `${g.task ? `tasks.${g.task}.` : ''}${split}`;
      placed.push({ task: g.task, split, p: { name, reader, streaming, inputs: enc.inputs, targets: g.targets, holdOut } });
    }
  }
  return placed;
}

function totalBytes(paths: string[]): number {
  let n = 0;
  for (const p of paths) {
    try {
      n += fs.statSync(p).size;
    } catch {
      // missing files are reported by the reader with their name
    }
  }
  return n;
}

/** The spec key that names each field (the first encoder reading it): where a missing column was asked for. */
function fieldOwners(users: Array<[string, Encoder]>, task: string | undefined): Record<string, string> {
  const owners: Record<string, string> = {};
  for (const [, e] of users) {
    const key = task && e.key.startsWith('targets.') ? `tasks.${task}.target` : e.key;
    for (const f of e.fields) owners[f] ??= `data.${key}`;
  }
  return owners;
}

function readerOptions(s: SourceConfig, ctx: DataContext, c: FilesConfig, needed: string[]): ReaderOptions {
  const abs = (p: string) => path.resolve(ctx.specDir, p);
  return {
    format: s.format,
    paths: (s.paths ?? (s.path ? [s.path] : [])).map(abs),
    files: s.files ? Object.fromEntries(Object.entries(s.files).map(([k, v]) => [k, abs(v)])) : undefined,
    delimiter: s.delimiter,
    columns: s.columns,
    chunkSize: c.chunkSize,
    interleave: c.interleave,
    needed,
  };
}

// ---------------------------------------------------------------- 2. fit or load the encoders

/**
 * Fit on the training rows (or load what a previous run learnt), validating every row on the way.
 * Returns each encoder's state (by key) and the rows counted per training source.
 */
async function fitOrLoadEncoders(placed: Placed[], all: Record<string, Encoder>, saved: unknown, problems: ProblemList): Promise<{ states: Record<string, unknown>; sizes: Record<string, number> }> {
  const state = saved as { version?: number; encoders?: Record<string, unknown> } | undefined;
  const sizes: Record<string, number> = {};
  if (state) loadEncoderStates(all, state);
  else {
    for (const { p, split } of placed) if (split === 'train') sizes[p.name] = await fitOn(p, problems);
    problems.check();
  }
  const states: Record<string, unknown> = {};
  for (const [k, e] of Object.entries(all)) {
    const s = state ? state.encoders?.[k] : e.finish(problems.report);
    if (s !== undefined) states[k] = s;
  }
  problems.check();
  return { states, sizes };
}

/** Load what a previous run learnt (RUN/data-state.json) into every encoder that learns. */
export function loadEncoderStates(all: Record<string, Encoder>, saved: unknown): void {
  const state = saved as { version?: number; encoders?: Record<string, unknown> } | undefined;
  const learns = Object.values(all).some((e) => e.learns);
  if (!state && learns) throw dataError([{ where: { file: 'data-state.json' }, message: 'the run has no data state, so the preprocessing learnt in training is unknown', hint: 'train the run again with this version of mtl' }]);
  if (!state) return;
  if (state.version !== DATA_STATE_VERSION || !state.encoders) throw dataError([{ where: { file: 'data-state.json' }, message: 'unrecognised data state', received: state.version, allowed: String(DATA_STATE_VERSION) }]);
  for (const [k, e] of Object.entries(all)) if (e.learns) e.load(state.encoders[k]);
}

/** One fit pass over a training source; returns its row count. */
async function fitOn(p: Prepared, problems: ProblemList): Promise<number> {
  for (const [, e] of p.inputs) if ('checkOnFit' in e) (e as { checkOnFit: boolean }).checkOnFit = p.streaming;
  const census = censusOf(p);
  let n = 0;
  for await (const rec of keptRecords(p, problems.report)) {
    census.add(rec);
    for (const [, e] of [...p.inputs, ...p.targets]) e.fit(rec, problems.report);
    n++;
  }
  for (const x of census.problems(true)) problems.report(x);
  return n;
}

const censusOf = (p: Prepared) => new FieldCensus(p.holdOut?.keep === 'train' ? `${p.name} (after the hold-out)` : p.name, p.reader.paths[0] ?? Object.values(p.reader.files ?? {})[0], p.inputs, p.targets);

// ---------------------------------------------------------------- 3. encode the splits

/**
 * Encode the in-memory sources; count and check the streamed ones (a streamed training file whose fit
 * pass counted its rows is not read again — unless `countIds` asks for its embedded inputs' id counts).
 * Every split must keep a row.
 */
async function encodeSplits(placed: Placed[], sizes: Record<string, number>, shuffleBuffer: number, problems: ProblemList, idPass: boolean): Promise<EncodedSplits> {
  const out: EncodedSplits = { train: [], val: [], test: [], unseen: {}, idCounts: {} };
  for (const { task, split, p } of placed) {
    if (p.streaming) {
      let n = 0;
      const embedded = idPass && p.inputs.some(([, e]) => e instanceof EmbeddingEncoder);
      if (sizes[p.name] !== undefined && !p.holdOut && !embedded) n = sizes[p.name];
      else {
        for await (const rec of keptRecords(p, problems.report)) {
          encodeRow(p, rec, problems.report);
          n++;
        }
      }
      unseenAfterPass(p, split, out.unseen, problems.report);
      countIds(p, split, out.idCounts);
      out[split].push({ task, data: new StreamSource(p, n, shuffleBuffer) });
    } else {
      const rows: Row[] = [];
      const census = censusOf(p);
      for await (const rec of keptRecords(p, problems.report)) {
        census.add(rec);
        const row = encodeRow(p, rec, problems.report);
        if (row) rows.push(row);
      }
      if (split !== 'train') for (const x of census.problems(false)) problems.report(x);
      unseenAfterPass(p, split, out.unseen, problems.report);
      countIds(p, split, out.idCounts);
      out[split].push({ task, data: toArraySet(p, rows) });
    }
  }
  problems.check();
  for (const split of SPLITS) {
    for (const { task, data } of out[split]) {
      if (data.size === 0) throw dataError([{ where: { path: `data.${task ? `tasks.${task}.` : ''}${split}` }, message: `the ${split} split${task ? ` of task ${task}` : ''} has no rows` }]);
    }
  }
  return out;
}

/** The id counts of the pass just made over `p`, added to its split's (none for a streamed train that was not read again). */
function countIds(p: Prepared, split: SplitName, into: EncodedSplits['idCounts']): void {
  for (const [name, e] of p.inputs) {
    if (!(e instanceof EmbeddingEncoder)) continue;
    const c = e.drainCounts();
    if (!c.values && !c.missing) continue;
    const sum = ((into[split] ??= {})[name] ??= { values: 0, oov: 0, missing: 0 });
    sum.values += c.values;
    sum.oov += c.oov;
    sum.missing += c.missing;
  }
}

// ---------------------------------------------------------------- 4. assemble the bundle

/** The splits as a bundle: in memory when every split is, otherwise as batch sources (tasks: one sampler per split). */
function assemble(c: FilesConfig, targetEncs: Record<string, Encoder>, placed: Placed[], out: EncodedSplits): Omit<DataBundle, 'state'> {
  const shapes = Object.fromEntries(Object.entries(targetEncs).map(([t, e]) => [t, { shape: e.shape, dtype: e.dtype, perToken: e.perToken }]));
  const groups = c.tasks ? Object.keys(c.tasks).length : 1;
  const combine = (split: SplitName): SplitData | undefined => {
    const parts = out[split];
    if (!parts.length) return undefined;
    if (!c.tasks) return parts[0].data;
    if (parts.length < groups) return undefined;
    return new TaskSampler(parts.map((x) => ({ task: x.task!, source: isBatchSource(x.data) ? x.data : arraySource(x.data) })), shapes, split === 'train' ? c.sampling : 'sequential');
  };
  const files = placed.filter((x) => x.split === 'train').flatMap((x) => x.p.reader.paths.length ? x.p.reader.paths : Object.values(x.p.reader.files ?? {}));
  const train = combine('train')!;
  const val = combine('val');
  const test = combine('test');
  const inMemory = [train, val, test].every((x) => x === undefined || !isBatchSource(x));
  const empty: ArraySet = { size: 0, inputs: {}, targets: {} };
  const src = (x: SplitData | undefined) => (x === undefined ? undefined : isBatchSource(x) ? x : arraySource(x));
  return {
    ...(inMemory
      ? { train: train as ArraySet, val: val as ArraySet | undefined, test: test as ArraySet | undefined }
      : { train: empty, val: val && empty, test: test && empty, sources: { train: src(train)!, val: src(val), test: src(test) } }),
    source: `${files.join(', ')} (files${placed.some((x) => x.p.streaming) ? ', streamed' : ''})`,
  };
}
