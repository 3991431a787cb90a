// Owns the census of a training pass: which fields the records have at all and how many rows label
// each target, so that a misspelt field or a task without a labelled training row is a data error
// (with a did-you-mean) instead of a column of missing labels that trains on nothing.
import type { Problem } from '../../errors';
import { didYouMean } from '../../util/suggest';
import type { DataRecord } from '../formats/record';
import type { Encoder } from './encoder';
import { getField, isMissing } from './fields';

/** Counts, over one source's records, the rows having each field and the rows labelling each target. */
export class FieldCensus {
  private readonly keys = new Set<string>();
  private readonly has = new Map<string, number>();
  private readonly labelled = new Map<string, number>();
  private rows = 0;

  constructor(private readonly source: string, private readonly file: string | undefined, private readonly inputs: Array<[string, Encoder]>, private readonly targets: Array<[string, Encoder]>) {}

  add(rec: DataRecord): void {
    this.rows++;
    for (const k of Object.keys(rec.fields)) this.keys.add(k);
    for (const [, e] of [...this.inputs, ...this.targets]) for (const f of e.fields) if (getField(rec, f) !== undefined) this.has.set(f, (this.has.get(f) ?? 0) + 1);
    for (const [t, e] of this.targets) if (e.fields.some((f) => !isMissing(getField(rec, f)))) this.labelled.set(t, (this.labelled.get(t) ?? 0) + 1);
  }

  /** A field no record has; a target no training row labels (`training`: this source trains). */
  problems(training: boolean): Problem[] {
    if (this.rows === 0) return [];
    const out: Problem[] = [];
    const known = [...this.keys].sort();
    for (const [, e] of [...this.inputs, ...this.targets]) {
      for (const f of e.fields) {
        if (this.has.get(f)) continue;
        out.push({ where: { file: this.file, path: `data.${e.key}` }, message: `no row of ${this.source} has a field "${f}"`, allowed: known.join(', '), hint: didYouMean(f, known, { strict: true }) });
      }
    }
    if (out.length || !training) return out;
    for (const [t, e] of this.targets) {
      if (this.labelled.get(t)) continue;
      out.push({ where: { file: this.file, path: `data.${e.key}` }, message: `task ${t} has no labelled row in ${this.source} (all ${this.rows} rows have an empty "${e.fields.join(', ')}")`, hint: 'a task needs labelled training rows' });
    }
    return out;
  }
}
