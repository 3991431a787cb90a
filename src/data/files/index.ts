// Owns the `files` data type: the user's own data files (csv, tsv, jsonl, json, parquet, arrow, idx,
// npy, images, conll) mapped onto the spec's inputs and tasks, fitted on train (statistics and vocabularies, saved as
// RUN/data-state.json), validated row by row before training, held in memory or streamed in chunks
// through a seeded shuffle buffer, and task-specific sources (one dataset per task) with sampling.
// This folder's entry: the descriptor and what it describes without reading data; loading is in load.ts.
import type { DataBundle, DataContext, DataDescription, DataDescriptor, PredictEncoding } from '../types';
import { CategoryEncoder } from './category-encoder';
import { readFilesConfig, SPLITS, targetMaps, type SplitName } from './config';
import { EmbeddingEncoder } from './embedding-encoder';
import { inputEncoder, targetEncoder } from './encoders';
import { loadEncoderStates, loadFiles, makeEncoders } from './load';
import { filesSchema } from './schema';
import { TokenEncoder } from './token-encoder';
import { wordsById } from '../categorical';

export { loadFiles } from './load';
export { StreamSource, type StreamStats } from './stream-source';

export function describeFiles(config: Record<string, unknown>): DataDescription {
  const c = readFilesConfig(config);
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([n, m]) => {
    const e = inputEncoder(n, m);
    const ids =
      m.encoding === 'tokens' ? { ids: m.vocabulary ?? 10000, idsFrom: `data.inputs.${n}.vocabulary` }
      : m.encoding === 'embedding' ? { ids: EmbeddingEncoder.ids(m), idsFrom: m.hashing ? `data.inputs.${n}.hashing.buckets + 2` : `data.inputs.${n}.vocabulary` }
      : {};
    return [n, { shape: e.shape, dtype: e.dtype, ...ids }];
  }));
  const targets: DataDescription['targets'] = {};
  for (const [t, m] of Object.entries(targetMaps(c))) {
    const e = targetEncoder(t, m);
    const pixels = m.shape ? { pixels: [m.shape[0], m.shape[1]] as [number, number] } : {};
    const width = m.shape ? { dim: m.shape[2] ?? 1 } : { dim: e.shape[0] ?? 1 };
    targets[t] = { type: m.type, ...(m.type === 'classification' ? { classes: m.classes } : width), ...pixels, ...(e.perToken ? { steps: e.shape[0] } : {}), ...(m.categories === 'learn' ? { learntNames: true } : {}) };
  }
  const has = (s: SplitName) => (s === 'test' && c.testFraction !== undefined) || (c.tasks ? Object.values(c.tasks).every((tc) => tc[s]) : !!c[s]);
  return { inputs, targets, splits: SPLITS.filter((s) => s === 'train' || has(s)) };
}

/** `mtl predict RUN INPUT`: the spec's encoders with the run's learnt state; INPUT read like the training files. */
export function filesPredictEncoding(config: Record<string, unknown>, ctx: DataContext): PredictEncoding {
  const c = readFilesConfig(config);
  const enc = makeEncoders(c);
  loadEncoderStates(enc.all, ctx.state);
  const maps = targetMaps(c);
  const classNames: Record<string, string[]> = {};
  const targetScales: NonNullable<PredictEncoding['targetScales']> = {};
  for (const [t, e] of Object.entries(enc.targets)) {
    if (e instanceof CategoryEncoder && e.names().length) classNames[t] = e.names();
    const info = e.info() as { normalized?: boolean; mean?: number[]; std?: number[] };
    if (maps[t].type === 'regression' && info.normalized) targetScales[t] = { mean: info.mean!, std: info.std! };
  }
  // Token inputs: the vocabulary training learnt (data-state.json), for the words of a split's ids.
  const saved = (ctx.state as { encoders?: Record<string, { vocabulary?: string[] }> } | undefined)?.encoders ?? {};
  const vocabularies = Object.fromEntries(enc.inputs.filter(([, e]) => e instanceof TokenEncoder && saved[e.key]?.vocabulary).map(([n, e]) => [n, wordsById(saved[e.key].vocabulary!)]));
  const train = c.train ?? Object.values(c.tasks ?? {})[0]?.train;
  return { inputs: enc.inputs, targets: Object.entries(enc.targets), classNames, targetScales, vocabularies, ...(train ? { reader: { format: train.format, delimiter: train.delimiter, columns: train.columns } } : {}) };
}

export const filesData: DataDescriptor = {
  type: 'files',
  description: 'Your own data files: csv, tsv, jsonl, json, parquet, arrow, idx, npy, images or conll, mapped onto the inputs and tasks; fitted on train, streamed when large',
  schema: filesSchema,
  describe: describeFiles,
  predictEncoding: filesPredictEncoding,
  async create(config: Record<string, unknown>, ctx: DataContext): Promise<DataBundle> {
    const { encoders: _e, ...bundle } = await loadFiles(config, ctx);
    return bundle;
  },
};
