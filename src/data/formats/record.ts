// Owns what every format reader yields and takes: a record (one example's raw fields, with the file
// and line or row it came from), an idx/npy array row, the reader options and the problem reporter.
import type { Problem, Where } from '../../errors';

export const FORMATS = ['csv', 'tsv', 'jsonl', 'json', 'parquet', 'arrow', 'idx', 'npy', 'images', 'conll'] as const;
export type Format = (typeof FORMATS)[number];

export interface DataRecord {
  fields: Record<string, unknown>;
  where: Where;
  /** Folder that relative file names inside the record (image paths) resolve against. */
  dir: string;
  /** conll: the line of each token, so that a bad tag is reported at its own line. */
  lines?: number[];
  /** The record's position in the source in file order (0-based), given by readers that can read out of order (parquet). */
  index?: number;
}

/** An array row of an idx/npy file: the values of one example and their shape. */
export interface ArrayCell {
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array | Int8Array | Int16Array | Float64Array;
}

export interface ReaderOptions {
  format: Format;
  /** Text formats and images: the files (or the image folder / list file), resolved. */
  paths: string[];
  /** idx, npy: one file per field, resolved. */
  files?: Record<string, string>;
  delimiter?: string;
  /** conll: names of the token columns, in order. */
  columns?: string[];
  /** Characters per read from disk. */
  chunkSize: number;
  /** Field names the mapping refers to (checked against a CSV header or the idx/npy files). */
  needed: string[];
  /** The spec key of each needed field (`data.targets.species`), so that a missing column names what asked for it. */
  owners?: Record<string, string>;
  /** Fields read too when the file has them (the optional labels of `mtl predict` INPUT); columnar formats read only named columns. */
  optional?: string[];
  /** parquet: read the row groups in this seed's random order (a shuffled streamed epoch); unset: file order. */
  order?: number;
  /** parquet with order: row groups decoded at once, their rows interleaved (memory: this many row groups). */
  interleave?: number;
}

export type Report = (p: Problem) => void;
