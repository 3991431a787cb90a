// Owns the PNG masks `mtl predict` writes for per-pixel tasks (a head ending in (batch, h, w, units)):
// one image per row and task — the predicted class map (classification) or the first output channel
// as grey levels (regression) — and, with labels, the gold one beside it; the row names the files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { TaskPrediction } from '../eval/predictions';
import { classMapPng, valueMapPng } from '../plot/masks';
import type { TaskType } from '../tasks';

/** Argmax over the last axis of a row-major [pixels, units] block starting at `from`. */
function classMap(v: ArrayLike<number>, from: number, pixels: number, units: number): Int32Array {
  const out = new Int32Array(pixels);
  for (let p = 0; p < pixels; p++) {
    let best = 0;
    for (let c = 1; c < units; c++) if (v[from + p * units + c] > v[from + p * units + best]) best = c;
    out[p] = best;
  }
  return out;
}

/** The first of `units` channels of each pixel. */
function firstChannel(v: ArrayLike<number>, from: number, pixels: number, units: number): Float32Array {
  return Float32Array.from({ length: pixels }, (_, p) => v[from + p * units]);
}

/**
 * Write the masks of one per-pixel task for a batch: `<dir>/<row>-<task>.png` (and `-label.png` when
 * `label` is given and the row is labelled); returns each row's prediction naming its files.
 */
export function writeMasks(dir: string, task: { name: string; type: TaskType }, pred: tf.Tensor, rowIds: number[], label?: { values: ArrayLike<number>; mask?: ArrayLike<number> }): TaskPrediction[] {
  fs.mkdirSync(dir, { recursive: true });
  const [b, h, w, units] = pred.shape as number[];
  const v = pred.dataSync();
  const pixels = h * w;
  const image = (x: ArrayLike<number>, from: number, perPixel: number) => (task.type === 'classification' ? classMapPng(classMap(x, from, pixels, perPixel), h, w) : valueMapPng(firstChannel(x, from, pixels, perPixel), h, w));
  const out: TaskPrediction[] = [];
  for (let i = 0; i < b; i++) {
    const file = path.join(dir, `${rowIds[i]}-${task.name}.png`);
    fs.writeFileSync(file, image(v, i * pixels * units, units));
    const row: Extract<TaskPrediction, { mask: string }> = { mask: file };
    const labelled = label && (label.mask === undefined || label.mask.length !== b || label.mask[i] !== 0);
    if (label && labelled) {
      // Class labels hold one index per pixel; regression labels as many values as the head has units.
      const per = label.values.length / b / pixels;
      const labelFile = path.join(dir, `${rowIds[i]}-${task.name}-label.png`);
      fs.writeFileSync(labelFile, task.type === 'classification' ? classMapPng(Array.prototype.slice.call(label.values, i * pixels, (i + 1) * pixels) as number[], h, w) : image(label.values, i * pixels * per, per));
      row.label = labelFile;
    } else if (label) row.label = null;
    out.push(row);
  }
  return out;
}
