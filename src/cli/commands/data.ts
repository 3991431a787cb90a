// `mtl data inspect SPEC`: loads the spec's data exactly as training would (same validation, same
// fitted encoders) and reports per split: rows, input shapes, per-task label distribution or value
// range, missing-label rate, and the vocabularies learnt from train.
import * as tf from '@tensorflow/tfjs';
import { disposeBatch } from '../../data/batching';
import { loadData, splitsFor } from '../../data/run-data';
import { toBatchSource } from '../../data/source';
import type { DataBundle } from '../../data/types';
import type { ResolvedSpec } from '../../spec/types';
import { validateSpecFile } from '../../spec/validate';
import { fmt, table, type Output } from '../reporter';

export interface TargetProfile {
  type: string;
  /** Rows with a label (for token-level targets: rows with at least one labelled token). */
  labelled: number;
  missing: number;
  missingRate: number;
  /**
   * classification: count per class (by name when the data learnt names); binary: count of 0 and of 1;
   * multilabel: per label (by name when the data has names), the labelled rows that have it.
   */
  distribution?: Record<string, number>;
  /** other tasks: over the labelled values. */
  range?: { min: number; max: number; mean: number };
}

export interface SplitProfile {
  rows: number;
  inputs: Record<string, { shape: number[]; dtype: string }>;
  targets: Record<string, TargetProfile>;
}

export interface DataReport {
  spec: string;
  data: string;
  source: string;
  splits: Record<string, SplitProfile>;
  /** Vocabulary and category sizes learnt from train (the files data type). */
  vocabularies: Record<string, number>;
  /** Labels no training row has, per split and task, with their counts (unseen: missing | other). */
  unseen: Record<string, Record<string, Record<string, number>>>;
  /** Embedded categorical inputs per split: values, out-of-vocabulary (id 1) and missing (id 0) counts. */
  ids: NonNullable<DataBundle['idCounts']>;
}

/** Labels shown per task in the table; the rest are counted (the JSON report has them all). */
const SHOWN_LABELS = 12;

/** Targets shown as counts per label rather than a value range: classes, and a binary task's 0/1. */
const counted = (type: string) => type === 'classification' || type === 'binary';

type EncoderState = { vocabulary?: string[]; categories?: string[]; other?: string };
/** A target's running statistics over a split: the value range, counts per value, multilabel positives per label. */
type TargetStats = { n: number; sum: number; min: number; max: number; counts: Map<number, number>; positives: number[] };

export async function inspectData(specFile: string): Promise<DataReport> {
  await tf.setBackend('cpu');
  const spec = validateSpecFile(specFile);
  const r = spec.resolved;
  const bundle = await loadData(spec, undefined, { countIds: true });
  const splits = splitsFor(r, bundle);
  const encoders = ((bundle.state as { encoders?: Record<string, EncoderState> } | undefined)?.encoders ?? {}) as Record<string, EncoderState>;
  const vocabularies: Record<string, number> = {};
  for (const [k, s] of Object.entries(encoders)) {
    if (s?.vocabulary) vocabularies[k] = s.vocabulary.length + 2; // + padding and out-of-vocabulary ids
    else if (s?.categories) vocabularies[k] = s.categories.length;
  }
  const report: DataReport = { spec: specFile, data: r.data.type, source: bundle.source, splits: {}, vocabularies, unseen: bundle.unseen ?? {}, ids: bundle.idCounts ?? {} };
  for (const name of ['train', 'val', 'test'] as const) {
    const data = splits[name];
    if (!data) continue;
    const prof: SplitProfile = { rows: 0, inputs: {}, targets: {} };
    const stats: Record<string, TargetStats> = {};
    for await (const b of toBatchSource(data).batches({ batchSize: 256, shuffle: false, seed: 0, epoch: 0 })) {
      prof.rows += b.size;
      for (const [n, t] of Object.entries(b.inputs)) prof.inputs[n] = { shape: t.shape.slice(1), dtype: t.dtype };
      for (const [t, y] of Object.entries(b.targets)) {
        const task = r.tasks[t];
        if (!task) continue;
        const s = (stats[t] ??= { n: 0, sum: 0, min: Infinity, max: -Infinity, counts: new Map(), positives: [] });
        const p = (prof.targets[t] ??= { type: task.type, labelled: 0, missing: 0, missingRate: 0 });
        const v = y.dataSync();
        const m = b.masks[t]?.dataSync();
        const per = v.length / Math.max(b.size, 1);
        const perTokenMask = m !== undefined && m.length !== b.size;
        for (let i = 0; i < b.size; i++) {
          let any = false;
          for (let j = 0; j < per; j++) {
            const k = i * per + j;
            if (m && !m[perTokenMask ? k : i]) continue;
            any = true;
            const x = v[k];
            if (counted(task.type)) s.counts.set(x, (s.counts.get(x) ?? 0) + 1);
            else if (task.type === 'multilabel') s.positives[j] = (s.positives[j] ?? 0) + (x === 1 ? 1 : 0);
            else {
              s.n++;
              s.sum += x;
              if (x < s.min) s.min = x;
              if (x > s.max) s.max = x;
            }
          }
          if (any) p.labelled++;
          else p.missing++;
        }
      }
      disposeBatch(b);
    }
    for (const [t, p] of Object.entries(prof.targets)) finishTarget(r, t, p, stats[t], encoders);
    report.splits[name] = prof;
  }
  return report;
}

/** A target's profile from its statistics: counts per label, or the value range. */
function finishTarget(r: ResolvedSpec, t: string, p: TargetProfile, s: TargetStats, encoders: Record<string, EncoderState>): void {
  p.missingRate = p.labelled + p.missing ? p.missing / (p.labelled + p.missing) : 0;
  const byKey = (counts: Map<number, number>, names?: string[]) => Object.fromEntries([...counts.entries()].sort((a, b) => a[0] - b[0]).map(([k, c]) => [names?.[k] ?? String(k), c]));
  const type = r.tasks[t].type;
  if (type === 'classification') {
    const st = encoders[`targets.${t}`];
    // Learnt names (with <other>), or the spec's categories list (a list is not saved: nothing is learnt).
    p.distribution = byKey(s.counts, st?.categories && st.other ? [...st.categories, st.other] : st?.categories ?? listedCategories(r, t));
  } else if (type === 'binary') {
    // Both labels always, so that a split without positives (or negatives) shows 1:0.
    p.distribution = byKey(new Map([[0, 0], [1, 0], ...s.counts]));
  } else if (type === 'multilabel') {
    // Every label of the row counts (+0 when off), so a label no row has still shows :0.
    p.distribution = byKey(new Map(s.positives.map((c, j) => [j, c])), multilabelNames(r, t, encoders));
  } else if (s.n) p.range = { min: s.min, max: s.max, mean: s.sum / s.n };
}

/** A files target's mapping (data.targets.<t>, or data.tasks.<t>.target). */
function targetMap(r: ResolvedSpec, t: string): { columns?: string[]; categories?: unknown } | undefined {
  const d = r.data as { targets?: Record<string, { columns?: string[]; categories?: unknown }>; tasks?: Record<string, { target?: { columns?: string[]; categories?: unknown } }> };
  return d.targets?.[t] ?? d.tasks?.[t]?.target;
}

/** The categories list a target names its classes with in the spec (class i = its i-th name). */
function listedCategories(r: ResolvedSpec, t: string): string[] | undefined {
  const c = targetMap(r, t)?.categories;
  return Array.isArray(c) ? (c as string[]) : undefined;
}

/** A multilabel target's label names: its columns or its categories (a list, or learnt on train); else none (indices). */
function multilabelNames(r: ResolvedSpec, t: string, encoders: Record<string, EncoderState>): string[] | undefined {
  return targetMap(r, t)?.columns ?? listedCategories(r, t) ?? encoders[`targets.${t}`]?.categories;
}

export async function dataInspectCommand(spec: string, opts: { json?: boolean }, o: Output): Promise<void> {
  const rep = await inspectData(spec);
  if (opts.json) {
    o.out(JSON.stringify(rep, null, 2));
    return;
  }
  o.out(`${rep.spec}: data ${rep.data} — ${rep.source}`);
  for (const [name, s] of Object.entries(rep.splits)) {
    o.out('');
    o.out(`${name}: ${s.rows} rows; inputs ${Object.entries(s.inputs).map(([n, i]) => `${n} [${i.shape.join(', ')}] ${i.dtype}`).join(', ')}`);
    const targets = Object.entries(s.targets);
    // The labels column is last and unpadded: a long tag list must not widen every other row.
    const lines = table(['task', 'type', 'labelled', 'missing'], targets.map(([t, p]) => [t, p.type, String(p.labelled), `${(100 * p.missingRate).toFixed(1)}%`])).split('\n');
    o.out(`${lines[0]}  labels`);
    o.out(`${lines[1]}  ------`);
    targets.forEach(([t, p], i) => o.out(`${lines[i + 2]}  ${labelSummary(p)}`));
    for (const [t, u] of Object.entries(rep.unseen[name] ?? {})) o.out(`unseen in ${name} (${t}): ${countList(u)}`);
    for (const [input, c] of Object.entries(rep.ids[name] ?? {})) o.out(`out of vocabulary in ${name} (${input}): ${c.oov} of ${c.values} values (${c.values ? ((100 * c.oov) / c.values).toFixed(1) : '0.0'}%); missing ${c.missing}`);
  }
  if (Object.keys(rep.vocabularies).length) {
    o.out('');
    o.out(`learnt on train: ${Object.entries(rep.vocabularies).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
}

function countList(counts: Record<string, number>): string {
  const e = Object.entries(counts);
  const shown = e.slice(0, SHOWN_LABELS).map(([k, c]) => `${k}:${c}`).join(' ');
  return e.length > SHOWN_LABELS ? `${shown} … (${e.length - SHOWN_LABELS} more; --json lists all)` : shown;
}

function labelSummary(p: TargetProfile): string {
  if (p.distribution) return countList(p.distribution);
  return p.range ? `${fmt(p.range.min)}..${fmt(p.range.max)} (mean ${fmt(p.range.mean)})` : '-';
}
