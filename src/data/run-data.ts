// Owns the data of one run: loading a spec's recipe (optionally with a previous run's data state) and
// choosing its train/val/test splits per train.validation; training, eval and `mtl data` share it.
import { splitValidation } from './splits';
import { dataRecipes } from './index';
import type { SplitData } from './source';
import type { DataBundle } from './types';

export type Validation = number | 'test' | 'none';

/** The parts of a validated spec (src/spec/types.ts Spec) that data loading reads. */
export interface RunDataSpec {
  specDir: string;
  resolved: { seed: number; data: { type: string; [option: string]: unknown }; train: { validation: Validation } };
}

/** `state`: a run's data-state.json, so that eval encodes the data exactly as training did; `countIds`: see DataContext. */
export async function loadData(spec: RunDataSpec, state?: unknown, opts: { countIds?: boolean } = {}): Promise<DataBundle> {
  const r = spec.resolved;
  return dataRecipes.get(r.data.type).create(r.data, { seed: r.seed, specDir: spec.specDir, validation: r.train.validation, ...(state !== undefined ? { state } : {}), ...(opts.countIds ? { countIds: true } : {}) });
}

/** Validation split per train.validation: a held-out fraction, the test split, or none. */
export function splitsFor(r: RunDataSpec['resolved'], bundle: DataBundle): { train: SplitData; val?: SplitData; test?: SplitData } {
  const v = r.train.validation;
  const src = bundle.sources;
  if (src) return { train: src.train, val: v === 'none' ? undefined : v === 'test' ? src.test : src.val, test: src.test };
  if (typeof v === 'number' && !bundle.val) {
    const { train, val } = splitValidation(bundle.train, v, r.seed);
    return { train, val, test: bundle.test };
  }
  if (v === 'test') return { train: bundle.train, val: bundle.test, test: bundle.test };
  return { train: bundle.train, val: v === 'none' ? undefined : bundle.val, test: bundle.test };
}
