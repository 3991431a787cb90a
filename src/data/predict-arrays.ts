// Owns `mtl predict` INPUT in the formats that keep one file per field (idx, npy): which file holds
// each field — a folder of files named after the fields (<field>.npy, <field>.idx, <field>.idx.gz), or
// the files given one by one (--input FIELD=PATH) — the format, and the check that every field's rows
// have the shape its encoder reads. Every row of an array file has the same shape, so a wrong one is a
// problem of the file (exit 3 naming it), not of each row.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataError, usageError } from '../errors';
import { didYouMean } from '../util/suggest';
import { CategoryEncoder } from './files/category-encoder';
import { EmbeddingEncoder } from './files/embedding-encoder';
import type { Encoder } from './files/encoder';
import { prod } from './files/fields';
import { NumericEncoder } from './files/numeric-encoder';
import { RawInputEncoder } from './files/raw-encoder';
import type { ArrayCell, DataRecord } from './formats/record';

/** The fields INPUT must hold (the model inputs') and may hold (the labels'). */
export interface FieldNeeds {
  needed: string[];
  optional: string[];
}

const FILE_NAMES = (f: string) => `${f}.npy, ${f}.idx or ${f}.idx.gz`;

/** The files of `dir` named after a field: the name starts with "<field>." (hidden files left out). */
export function folderFields(dir: string, needs: FieldNeeds): Record<string, string> {
  const names = fs.readdirSync(dir).filter((n) => !n.startsWith('.') && fs.statSync(path.join(dir, n)).isFile());
  const files: Record<string, string> = {};
  for (const f of [...needs.needed, ...needs.optional]) {
    const matches = names.filter((n) => n.startsWith(`${f}.`));
    if (matches.length > 1) throw dataError([{ where: { file: dir }, message: `several files for field "${f}"`, received: matches.join(', '), hint: 'keep one file per field' }]);
    if (matches.length) files[f] = path.join(dir, matches[0]);
  }
  for (const f of needs.needed) {
    if (files[f]) continue;
    const stems = names.map((n) => n.split('.')[0]);
    throw dataError([{ where: { file: dir }, message: `no file for field "${f}" (a model input)`, received: names.length ? names.join(', ') : 'an empty folder', allowed: FILE_NAMES(f), hint: didYouMean(f, stems) ?? (needs.optional.length ? `labels are optional: ${needs.optional.join(', ')}` : undefined) }]);
  }
  return files;
}

/** `--input FIELD=PATH` pairs: every model input named, no field the run does not read. */
export function namedFields(pairs: Record<string, string>, needs: FieldNeeds): Record<string, string> {
  const known = [...needs.needed, ...needs.optional];
  for (const f of Object.keys(pairs)) {
    if (!known.includes(f)) throw usageError([{ where: {}, message: `--input ${f}=…: the run reads no field "${f}"`, allowed: known.join(', '), hint: didYouMean(f, known) }]);
  }
  const missing = needs.needed.filter((f) => pairs[f] === undefined);
  if (missing.length) throw usageError([{ where: {}, message: `no --input for the model input field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`, hint: `give --input ${missing[0]}=PATH${needs.optional.length ? `; labels are optional: ${needs.optional.join(', ')}` : ''}` }]);
  return Object.fromEntries(Object.entries(pairs).map(([f, p]) => [f, path.resolve(p)]));
}

/**
 * One format for every field file: --input-format idx|npy, else by name (.npy; .idx, .idx.gz, the
 * MNIST family's -ubyte(.gz)), else `fallback` (the spec's format when it is idx or npy), else idx.
 */
export function arrayFormat(files: Record<string, string>, given?: string, fallback?: string): 'idx' | 'npy' {
  if (given === 'idx' || given === 'npy') return given;
  if (given !== undefined) throw usageError([{ where: {}, message: `--input-format ${given}: files given one per field are idx or npy`, allowed: 'idx, npy' }]);
  const other = fallback === 'npy' ? 'npy' : 'idx';
  const kinds = new Set(Object.values(files).map((f) => (/\.npy$/i.test(f) ? 'npy' : /(\.idx|-ubyte)(\.gz)?$/i.test(f) ? 'idx' : other)));
  if (kinds.size > 1) throw usageError([{ where: {}, message: 'the field files mix .npy and idx files', received: Object.values(files).map((f) => path.basename(f)).join(', '), hint: 'write every field in one format' }]);
  return kinds.has('npy') ? 'npy' : 'idx';
}

/** Values per row an encoder reads from each of its fields, when fixed: numbers of its shape, or one category. */
function valuesPerRow(e: Encoder): number | undefined {
  if (e instanceof RawInputEncoder || e instanceof NumericEncoder) return e.fields.length === 1 ? prod(e.shape) : 1;
  if ((e instanceof CategoryEncoder || e instanceof EmbeddingEncoder) && !e.perToken && prod(e.shape) <= 1) return 1;
  return undefined;
}

/** The first record's rows against each encoder's shape: a field file whose rows hold another number of values is a data error naming it. */
export function checkArrayRows(rec: DataRecord, files: Record<string, string>, encoders: Array<[string, Encoder]>): void {
  for (const [, e] of encoders) {
    const want = valuesPerRow(e);
    if (want === undefined) continue;
    for (const f of e.fields) {
      const cell = rec.fields[f] as ArrayCell | undefined;
      if (!files[f] || !cell) continue;
      if (cell.data.length === want) continue;
      const shape = cell.shape.length ? `[${cell.shape.join(', ')}]` : 'a scalar';
      throw dataError([{ where: { file: files[f] }, message: `${e.key}: each row of "${f}" is ${shape} (${cell.data.length} value${cell.data.length === 1 ? '' : 's'})`, allowed: `${want} value${want === 1 ? '' : 's'} per row${e.shape.length ? ` (shape [${e.shape.join(', ')}])` : ''}`, hint: 'the first axis of an idx/npy file is the example; the rest is one row' }]);
    }
  }
}
