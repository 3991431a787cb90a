// Owns the `multifashion` data recipe: two Fashion-MNIST items on one 36×36 canvas, one task per
// item (left = the item at the top-left, right = the item at the bottom-right).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataError, type Problem } from '../../errors';
import { mixSeed, mulberry32, randInt } from '../../util/random';
import { packageRoot } from '../../util/paths';
import { readIdx } from '../formats/idx';
import { int, opts, str, type Options as OptionsOf } from '../../util/options';
import { readOptions } from '../options';
import type { ArraySet, DataBundle, DataContext, DataDescription, DataDescriptor } from '../types';

/** Fashion-MNIST class names, by label index. */
export const classNames: readonly string[] = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export const ITEM = 28;
export const CANVAS = 36;
/** The second item's offset (rows and columns) from the top-left corner. */
export const OFFSET = CANVAS - ITEM;
const PIXELS = ITEM * ITEM;
const CANVAS_PIXELS = CANVAS * CANVAS;

export const FILES = {
  train: { images: 'train-images-idx3-ubyte.gz', labels: 'train-labels-idx1-ubyte.gz' },
  test: { images: 't10k-images-idx3-ubyte.gz', labels: 't10k-labels-idx1-ubyte.gz' },
} as const;

export const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

export function bundledDir(): string {
  return path.join(packageRoot(), 'datasets', 'fashion-mnist');
}

const recipeOptions = opts({
  dir: str({
    minLength: 1,
    description: `Folder holding the four Fashion-MNIST .gz IDX files (relative to the spec file). Default: the bundled subset (6000 train / 1000 test images); for the full set use ${DEBIAN_DIR} (Debian package dataset-fashion-mnist)`,
  }),
  trainSize: int({ minimum: 1, default: 6000, description: 'Number of training pairs to compose' }),
  testSize: int({ minimum: 1, default: 1000, description: 'Number of test pairs to compose' }),
  seed: int({ description: 'Seed for drawing the pairs. Default: the spec seed' }),
});
const schema = recipeOptions.schema;
export type MultiFashionOptions = OptionsOf<typeof recipeOptions>;

const options = (config: Record<string, unknown>) => readOptions('multifashion', schema, config) as MultiFashionOptions;

/**
 * Compose one canvas: `first` (28×28 uint8) at rows/cols 0..27, `second` at rows/cols 8..35,
 * overlapped by pixel-wise maximum and scaled to [0, 1]. Writes CANVAS² floats at out[outOffset..].
 */
export function composeCanvas(first: ArrayLike<number>, second: ArrayLike<number>, out: Float32Array = new Float32Array(CANVAS_PIXELS), outOffset = 0): Float32Array {
  out.fill(0, outOffset, outOffset + CANVAS_PIXELS);
  for (let r = 0; r < ITEM; r++) {
    const row = outOffset + r * CANVAS;
    for (let c = 0; c < ITEM; c++) out[row + c] = first[r * ITEM + c];
  }
  for (let r = 0; r < ITEM; r++) {
    const row = outOffset + (r + OFFSET) * CANVAS + OFFSET;
    for (let c = 0; c < ITEM; c++) {
      const v = second[r * ITEM + c];
      if (v > out[row + c]) out[row + c] = v;
    }
  }
  for (let i = outOffset; i < outOffset + CANVAS_PIXELS; i++) out[i] /= 255;
  return out;
}

/** The item indices of `count` pairs, each drawn independently and uniformly from `n` items. */
export function drawPairs(count: number, n: number, seed: number): Int32Array {
  const rand = mulberry32(seed);
  const idx = new Int32Array(2 * count);
  for (let k = 0; k < 2 * count; k++) idx[k] = randInt(rand, n);
  return idx;
}

export interface FashionSplit {
  /** N×28×28 uint8 pixels. */
  images: Uint8Array;
  /** N labels in 0..9. */
  labels: Uint8Array;
  size: number;
}

/** Build `count` composed pairs from a split; pair k uses items idx[2k] (left) and idx[2k+1] (right). */
export function composePairs(split: FashionSplit, count: number, seed: number): ArraySet {
  const idx = drawPairs(count, split.size, seed);
  const image = new Float32Array(count * CANVAS_PIXELS);
  const left = new Int32Array(count);
  const right = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const a = idx[2 * k];
    const b = idx[2 * k + 1];
    composeCanvas(split.images.subarray(a * PIXELS, (a + 1) * PIXELS), split.images.subarray(b * PIXELS, (b + 1) * PIXELS), image, k * CANVAS_PIXELS);
    left[k] = split.labels[a];
    right[k] = split.labels[b];
  }
  return {
    size: count,
    inputs: { image: { data: image, shape: [CANVAS, CANVAS, 1] } },
    targets: { left: { data: left, shape: [] }, right: { data: right, shape: [] } },
  };
}

/** Read and check one split's image and label files. */
export function loadSplit(dir: string, split: 'train' | 'test'): FashionSplit {
  const imagesFile = path.join(dir, FILES[split].images);
  const labelsFile = path.join(dir, FILES[split].labels);
  const images = readIdx(imagesFile);
  const labels = readIdx(labelsFile);
  const problems: Problem[] = [];
  if (images.dtype !== 'uint8' || images.dims.length !== 3 || images.dims[1] !== ITEM || images.dims[2] !== ITEM) {
    problems.push({ where: { file: imagesFile }, message: 'not a Fashion-MNIST image file', received: `${images.dtype} [${images.dims.join(', ')}]`, allowed: `uint8 [N, ${ITEM}, ${ITEM}]` });
  }
  if (labels.dtype !== 'uint8' || labels.dims.length !== 1) {
    problems.push({ where: { file: labelsFile }, message: 'not a Fashion-MNIST label file', received: `${labels.dtype} [${labels.dims.join(', ')}]`, allowed: 'uint8 [N]' });
  }
  if (problems.length) throw dataError(problems);
  const n = images.dims[0];
  if (labels.dims[0] !== n) {
    throw dataError([{ where: { file: labelsFile }, message: `${labels.dims[0]} labels for ${n} images in ${FILES[split].images}`, hint: 'the image and label files must come from the same split' }]);
  }
  if (n === 0) throw dataError([{ where: { file: imagesFile }, message: 'the file holds no images' }]);
  const lab = labels.data as Uint8Array;
  for (let i = 0; i < n; i++) {
    if (lab[i] >= classNames.length) {
      throw dataError([{ where: { file: labelsFile, row: i + 1 }, message: `label ${lab[i]} is not a Fashion-MNIST class`, allowed: `0..${classNames.length - 1}` }]);
    }
  }
  return { images: images.data as Uint8Array, labels: lab, size: n };
}

function resolveDir(opts: MultiFashionOptions, ctx: DataContext): string {
  return opts.dir === undefined ? bundledDir() : path.resolve(ctx.specDir, opts.dir);
}

export function checkFiles(dir: string, bundled: boolean): void {
  const missing = [FILES.train.images, FILES.train.labels, FILES.test.images, FILES.test.labels].filter((f) => !fs.existsSync(path.join(dir, f)));
  if (!missing.length) return;
  const hint = bundled
    ? 'the bundled subset is missing from this installation; reinstall mtl, or set data.dir to a folder with the Fashion-MNIST files'
    : `install the Debian package dataset-fashion-mnist (then use dir: ${DEBIAN_DIR}), or omit data.dir to use the bundled subset`;
  throw dataError(missing.map((f) => ({ where: { file: path.join(dir, f) }, message: 'Fashion-MNIST file not found', hint })));
}

export const multifashionData: DataDescriptor = {
  type: 'multifashion',
  description: 'MultiFashion: two Fashion-MNIST items on a 36×36 canvas (top-left and bottom-right, overlapping); tasks left and right classify each (10 classes)',
  schema,

  describe(config: Record<string, unknown>): DataDescription {
    options(config);
    return {
      inputs: { image: { shape: [CANVAS, CANVAS, 1], dtype: 'float32' } },
      targets: { left: { type: 'classification', classes: 10 }, right: { type: 'classification', classes: 10 } },
      splits: ['train', 'test'],
    };
  },

  /** `mtl predict RUN INPUT`: rows hold the canvas itself (field image, 36×36 numbers in [0, 1]); labels are not read. */
  predictEncoding: () => ({ classNames: { left: [...classNames], right: [...classNames] } }),

  async create(config: Record<string, unknown>, ctx: DataContext): Promise<DataBundle> {
    const opts = options(config);
    const dir = resolveDir(opts, ctx);
    checkFiles(dir, opts.dir === undefined);
    const seed = opts.seed ?? ctx.seed;
    const train = composePairs(loadSplit(dir, 'train'), opts.trainSize, mixSeed(seed, 1));
    const test = composePairs(loadSplit(dir, 'test'), opts.testSize, mixSeed(seed, 2));
    return { train, test, source: `${dir} (Fashion-MNIST, ${opts.trainSize} train / ${opts.testSize} test pairs)` };
  },
};
