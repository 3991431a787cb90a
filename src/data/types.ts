// Owns the in-memory shape of a dataset split and the contract of a data recipe.
import type { Descriptor } from '../registry';
import type { TaskType } from '../tasks';
import type { Encoder } from './files/encoder';
import type { Format } from './formats/record';
import type { BatchSource } from './source';

export interface Column {
  data: Float32Array | Int32Array;
  /** Shape of one row (without the batch axis); [] for a scalar per row. */
  shape: number[];
}

export interface TargetColumn extends Column {
  /**
   * 1 where there is a label for this task, 0 where it is missing; absent = all labelled.
   * Either one value per row (length = size), or one per target element (length = data.length) for a
   * token-level target of shape [steps]: then 0 marks padding or unlabelled tokens, and the per-token
   * loss and metrics count only the tokens with mask 1.
   */
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
  /**
   * Batch sources (streamed files, task-specific datasets): when set, training and evaluation read
   * these and train/val/test are empty placeholders.
   */
  sources?: { train: BatchSource; val?: BatchSource; test?: BatchSource };
  /** What the recipe learnt from the training data (JSON), saved as RUN/data-state.json for eval. */
  state?: unknown;
  /** Per task, class names by index when the data learnt them (categories: learn; `<other>` last under unseen: other). */
  classNames?: Record<string, string[]>;
  /**
   * Embedded categorical inputs: per split and input, the values encoded, how many were out of
   * vocabulary (id 1) and how many missing (id 0), for `mtl data inspect`.
   */
  idCounts?: Record<string, Record<string, { values: number; oov: number; missing: number }>>;
  /** Labels of val/test that no training row has (unseen: missing | other): split → task → label → count. */
  unseen?: Record<string, Record<string, Record<string, number>>>;
  /** Loaded with a run's state: one line per data file that differs from the one the run trained on. */
  dataChanged?: string[];
}

/** What a recipe will produce, known without reading any file (used by `mtl validate`). */
export interface DataDescription {
  /**
   * ids: int32 inputs whose values are ids below this bound (token and category vocabularies); an
   * embedding reading the input needs inputDim ≥ ids. `idsFrom` says which option sets the bound.
   */
  inputs: Record<string, { shape: number[]; dtype: 'float32' | 'int32'; ids?: number; idsFrom?: string }>;
  /**
   * learntNames: the target's class names are learnt from the training data (categories: learn), so
   * an entity metric may say `tags: learn`.
   */
  /**
   * steps: a token-level classification target (one class index per step, row shape [steps]); its
   * head ends in (batch, steps, classes).
   */
  /**
   * pixels: a per-pixel target on an [h, w] grid — one class index (classification, row shape [h, w])
   * or `dim` values (regression, row shape [h, w, dim]) per pixel; its head ends in (batch, h, w, classes | dim).
   */
  targets: Record<string, { type: TaskType; classes?: number; dim?: number; steps?: number; pixels?: [number, number]; learntNames?: boolean }>;
  splits: Array<'train' | 'val' | 'test'>;
}

export interface DataContext {
  seed: number;
  /** Folder of the spec file: relative paths in the data config resolve against it. */
  specDir: string;
  /** train.validation, for recipes that hold out validation rows themselves (before fitting on train). */
  validation?: number | 'test' | 'none';
  /** A previous run's DataBundle.state: reuse it instead of fitting on train again. */
  state?: unknown;
  /**
   * `mtl data inspect`: count the embedded inputs' ids (DataBundle.idCounts) in a streamed training
   * file too — one more pass over it, which training skips (its rows are encoded as the epochs read them).
   */
  countIds?: boolean;
}

/**
 * How `mtl predict RUN INPUT` reads a user's file with what the run learnt (ctx.state): an encoder
 * per model input (default: the raw values of a field named like the input) and per task target
 * (labels are optional in INPUT), class names, the statistics of z-scored regression targets (so that
 * predictions are given in the target's units) and the reader settings of the recipe's own files.
 */
export interface PredictEncoding {
  inputs?: Array<[string, Encoder]>;
  targets?: Array<[string, Encoder]>;
  classNames?: Record<string, string[]>;
  targetScales?: Record<string, { mean: number[]; std: number[] }>;
  reader?: { format: Format; delimiter?: string; columns?: string[] };
  /**
   * Token inputs: the word of each id (index = id; 0 padding, 1 out of vocabulary), so that a split
   * of the run's own data (token ids only) shows entity text as INPUT's words do.
   */
  vocabularies?: Record<string, string[]>;
}

export interface DataDescriptor extends Descriptor<Record<string, unknown>, Promise<DataBundle>, DataContext> {
  describe(config: Record<string, unknown>): DataDescription;
  /** For `mtl predict RUN INPUT`; without it INPUT holds the model inputs' raw values and no labels. */
  predictEncoding?(config: Record<string, unknown>, ctx: DataContext): PredictEncoding;
}
