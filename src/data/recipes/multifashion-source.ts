// Owns serving MultiFashion pairs batch by batch: a batch's canvases (and, with dense: true, its
// per-pixel targets) are composed from the uint8 items when the batch is asked for, so no float copy
// of a split is ever held — the full 60,000-pair run keeps only the items (47 MB) and the pair indices.
import * as tf from '@tensorflow/tfjs';
import { epochRows, type Batch, type BatchOptions } from '../batching';
import type { BatchSource } from '../source';
import { CANVAS, CANVAS_PIXELS, composeCanvas, itemPixels, type FashionSplit } from './multifashion-canvas';
import { segmentPixels, unmixPixels } from './multifashion-dense';

export interface PairSet {
  split: FashionSplit;
  /** Pair k is items idx[2k] (left) and idx[2k+1] (right). */
  idx: Int32Array;
  /** The pairs this source serves, in row order (a validation hold-out serves some of them). */
  rows: Int32Array;
  /** dense: true — the background threshold (0–255) of the segmentation target. */
  background?: number;
}

export const pairTargetNames = (dense: boolean): string[] => (dense ? ['left', 'right', 'segmentation', 'unmix'] : ['left', 'right']);

/**
 * The batch of the pairs at `rows` (positions in set.rows). Values are bit-identical to composing the
 * whole split up front and slicing it: the same arithmetic on the same uint8 pixels.
 */
export function pairBatch(set: PairSet, rows: ArrayLike<number>): Batch {
  const b = rows.length;
  const image = new Float32Array(b * CANVAS_PIXELS);
  const left = new Int32Array(b);
  const right = new Int32Array(b);
  const dense = set.background !== undefined;
  const seg = new Int32Array(dense ? b * CANVAS_PIXELS : 0);
  const unmix = new Float32Array(dense ? b * CANVAS_PIXELS : 0);
  for (let k = 0; k < b; k++) {
    const pair = set.rows[rows[k]];
    const first = itemPixels(set.split, set.idx[2 * pair]);
    const second = itemPixels(set.split, set.idx[2 * pair + 1]);
    composeCanvas(first, second, image, k * CANVAS_PIXELS);
    left[k] = set.split.labels[set.idx[2 * pair]];
    right[k] = set.split.labels[set.idx[2 * pair + 1]];
    if (dense) {
      segmentPixels(first, second, set.background!, seg, k * CANVAS_PIXELS);
      unmixPixels(first, unmix, k * CANVAS_PIXELS);
    }
  }
  const targets: Record<string, tf.Tensor> = { left: tf.tensor1d(left, 'int32'), right: tf.tensor1d(right, 'int32') };
  if (dense) {
    targets.segmentation = tf.tensor(seg, [b, CANVAS, CANVAS], 'int32');
    targets.unmix = tf.tensor(unmix, [b, CANVAS, CANVAS, 1], 'float32');
  }
  const masks = Object.fromEntries(Object.keys(targets).map((t) => [t, undefined]));
  return { size: b, inputs: { image: tf.tensor(image, [b, CANVAS, CANVAS, 1], 'float32') }, targets, masks };
}

/** The pairs of `set` as a batch source: the same batch order as an in-memory split of set.rows.length rows. */
export function pairSource(set: PairSet): BatchSource {
  return {
    kind: 'batch-source',
    size: set.rows.length,
    targetNames: pairTargetNames(set.background !== undefined),
    async *batches(opts: BatchOptions) {
      for (const rows of epochRows(set.rows.length, opts)) yield pairBatch(set, rows);
    },
  };
}
