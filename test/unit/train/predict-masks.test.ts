// `mtl predict` on per-pixel tasks: one PNG per row and task, read back here pixel by pixel — the
// argmax class in the palette (class 0 black), regression values as grey levels, the gold mask beside
// it, none for a row without a label.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import { PNG } from 'pngjs';
import { PALETTE } from '../../../src/plot/masks';
import { writeMasks } from '../../../src/train/predict-masks';
import { useBackend } from '../../helpers/backend';

before(() => useBackend('cpu'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-masks-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The RGB of every pixel of a PNG file, row-major. */
function rgb(file: string): { width: number; height: number; px: number[][] } {
  const png = PNG.sync.read(fs.readFileSync(file));
  return { width: png.width, height: png.height, px: Array.from({ length: png.width * png.height }, (_, p) => [png.data[4 * p], png.data[4 * p + 1], png.data[4 * p + 2]]) };
}

it('classification: the argmax class map per row, and the gold map when the row is labelled', () => {
  // 2 rows of 2×3 pixels, 3 classes; argmax row 0: 0 1 2 / 2 1 0, row 1: 1 1 1 / 0 0 2.
  const classes = [[0, 1, 2, 2, 1, 0], [1, 1, 1, 0, 0, 2]];
  const probs = classes.flatMap((row) => row.flatMap((c) => [0, 1, 2].map((k) => (k === c ? 0.6 : 0.2))));
  const gold = [2, 2, 2, 0, 0, 0, 1, 1, 1, 1, 1, 1];
  const pred = tf.tensor(probs, [2, 2, 3, 3]);
  const rows = writeMasks(tmp, { name: 'seg', type: 'classification' }, pred, [7, 8], { values: gold, mask: [1, 0] });
  pred.dispose();
  assert.deepEqual(rows, [
    { mask: path.join(tmp, '7-seg.png'), label: path.join(tmp, '7-seg-label.png') },
    { mask: path.join(tmp, '8-seg.png'), label: null },
  ]);
  for (const [r, id] of [[0, 7], [1, 8]]) {
    const img = rgb(path.join(tmp, `${id}-seg.png`));
    assert.deepEqual([img.width, img.height], [3, 2]);
    assert.deepEqual(img.px, classes[r].map((c) => [...PALETTE[c]]));
  }
  assert.deepEqual(rgb(path.join(tmp, '7-seg-label.png')).px, gold.slice(0, 6).map((c) => [...PALETTE[c]]));
  assert.deepEqual(PALETTE[0], [0, 0, 0]);
  assert.ok(!fs.existsSync(path.join(tmp, '8-seg-label.png')));
});

it('regression: values clipped to [0, 1] as grey levels, the label likewise', () => {
  const values = [0, 0.5, 1, 1.7, -0.2, 0.25];
  const pred = tf.tensor(values, [1, 2, 3, 1]);
  const rows = writeMasks(tmp, { name: 'unmix', type: 'regression' }, pred, [0], { values: [1, 1, 1, 0, 0, 0.5] });
  pred.dispose();
  assert.deepEqual(rows, [{ mask: path.join(tmp, '0-unmix.png'), label: path.join(tmp, '0-unmix-label.png') }]);
  const grey = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v)));
  assert.deepEqual(rgb(path.join(tmp, '0-unmix.png')).px, [0, 128, 255, 255, 0, 64].map((g) => [g, g, g]));
  assert.deepEqual(rgb(path.join(tmp, '0-unmix-label.png')).px, [1, 1, 1, 0, 0, 0.5].map((v) => [grey(v), grey(v), grey(v)]));
});
