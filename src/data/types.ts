// Owns the in-memory shape of a dataset split and the contract of a data recipe.
import type { Descriptor } from '../registry';
import type { TaskType } from '../tasks';

export interface Column {
  data: Float32Array | Int32Array;
  /** Shape of one row (without the batch axis); [] for a scalar per row. */
  shape: number[];
}

export interface TargetColumn extends Column {
  /** 1 where the row has a label for this task, 0 where it is missing; absent = all labelled. */
  mask?: Uint8Array;
}

export interface ArraySet {
  size: number;
  inputs: Record<string, Column>;
  targets: Record<string, TargetColumn>;
}

export interface DataBundle {
  train: ArraySet;
  val?: ArraySet;
  test?: ArraySet;
  /** Where the data came from, for the run record. */
  source: string;
}

/** What a recipe will produce, known without reading any file (used by `mtl validate`). */
export interface DataDescription {
  inputs: Record<string, { shape: number[]; dtype: 'float32' | 'int32' }>;
  targets: Record<string, { type: TaskType; classes?: number; dim?: number }>;
  splits: Array<'train' | 'val' | 'test'>;
}

export interface DataContext {
  seed: number;
  /** Folder of the spec file: relative paths in the data config resolve against it. */
  specDir: string;
}

export interface DataDescriptor extends Descriptor<Record<string, unknown>, Promise<DataBundle>, DataContext> {
  describe(config: Record<string, unknown>): DataDescription;
}
