// Owns the `multifashion` data recipe: two Fashion-MNIST items on one 36×36 canvas, one task per
// item (left = the item at the top-left, right = the item at the bottom-right).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataError, type Problem } from '../../errors';
import { mixSeed } from '../../util/random';
import { packageRoot } from '../../util/paths';
import { pixelInputs } from '../files/raw-encoder';
import { readIdx } from '../formats/idx';
import { bool, int, opts, str, type Options as OptionsOf } from '../../util/options';
import { readOptions } from '../options';
import { holdOut } from '../splits';
import type { ArraySet, DataBundle, DataContext, DataDescription, DataDescriptor } from '../types';
import { CANVAS, drawPairs, ITEM, type FashionSplit } from './multifashion-canvas';
import { DEFAULT_BACKGROUND, SEGMENT_CLASSES } from './multifashion-dense';
import { pairSource, type PairSet } from './multifashion-source';

/** Fashion-MNIST class names, by label index. */
export const classNames: readonly string[] = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export { CANVAS, composeCanvas, drawPairs, ITEM, OFFSET, type FashionSplit } from './multifashion-canvas';

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
  dense: bool({
    default: false,
    description: 'Add two per-pixel tasks on the 36×36 canvas: segmentation (3 classes per pixel: background, left item, right item — the item whose pixel is the maximum) and unmix (regression of the left item alone, 1 value per pixel)',
  }),
  background: int({
    minimum: 0,
    maximum: 254,
    default: DEFAULT_BACKGROUND,
    description: 'dense: a canvas pixel whose value (0–255) is at most this is background in the segmentation target',
  }),
});
const schema = recipeOptions.schema;
export type MultiFashionOptions = OptionsOf<typeof recipeOptions>;

const options = (config: Record<string, unknown>) => readOptions('multifashion', schema, config) as MultiFashionOptions;

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

/** The targets of the recipe: left and right, and with dense: true the two per-pixel ones. */
function targetsOf(dense: boolean): DataDescription['targets'] {
  const classification = { type: 'classification' as const, classes: 10 };
  if (!dense) return { left: classification, right: classification };
  return {
    left: classification,
    right: classification,
    segmentation: { type: 'classification', classes: SEGMENT_CLASSES.length, pixels: [CANVAS, CANVAS] },
    unmix: { type: 'regression', dim: 1, pixels: [CANVAS, CANVAS] },
  };
}

/** The train/val/test sources: train.validation's fraction is held out of the training pairs as an in-memory split would be. */
function sourcesOf(train: Omit<PairSet, 'rows'>, test: Omit<PairSet, 'rows'>, ctx: DataContext): NonNullable<DataBundle['sources']> {
  const all = (set: Omit<PairSet, 'rows'>) => Int32Array.from({ length: set.idx.length / 2 }, (_, k) => k);
  const test_ = pairSource({ ...test, rows: all(test) });
  if (typeof ctx.validation !== 'number') return { train: pairSource({ ...train, rows: all(train) }), test: test_ };
  const rows = holdOut(train.idx.length / 2, ctx.validation, ctx.seed);
  return { train: pairSource({ ...train, rows: rows.train }), val: pairSource({ ...train, rows: rows.val }), test: test_ };
}

const EMPTY: ArraySet = { size: 0, inputs: {}, targets: {} };

export const multifashionData: DataDescriptor = {
  type: 'multifashion',
  description: 'MultiFashion: two Fashion-MNIST items on a 36×36 canvas (top-left and bottom-right, overlapping); tasks left and right classify each (10 classes); dense: true adds per-pixel segmentation and unmix',
  schema,

  describe(config: Record<string, unknown>): DataDescription {
    const opts = options(config);
    return { inputs: { image: { shape: [CANVAS, CANVAS, 1], dtype: 'float32' } }, targets: targetsOf(opts.dense), splits: ['train', 'test'] };
  },

  /**
   * `mtl predict RUN INPUT`: rows hold the canvas itself (field image, 36×36 numbers in [0, 1], or a
   * uint8 idx/npy row of 0–255 pixels); labels are not read.
   */
  predictEncoding: (config) => ({
    inputs: pixelInputs(multifashionData.describe(config).inputs),
    classNames: { left: [...classNames], right: [...classNames], ...(options(config).dense ? { segmentation: [...SEGMENT_CLASSES] } : {}) },
  }),

  /** Canvases are composed per batch (src/data/recipes/multifashion-source.ts): the bundle holds batch sources. */
  async create(config: Record<string, unknown>, ctx: DataContext): Promise<DataBundle> {
    const opts = options(config);
    const dir = resolveDir(opts, ctx);
    checkFiles(dir, opts.dir === undefined);
    const seed = opts.seed ?? ctx.seed;
    const background = opts.dense ? { background: opts.background } : {};
    const trainSplit = loadSplit(dir, 'train');
    const testSplit = loadSplit(dir, 'test');
    const train = { split: trainSplit, idx: drawPairs(opts.trainSize, trainSplit.size, mixSeed(seed, 1)), ...background };
    const test = { split: testSplit, idx: drawPairs(opts.testSize, testSplit.size, mixSeed(seed, 2)), ...background };
    const sources = sourcesOf(train, test, ctx);
    return {
      train: EMPTY,
      ...(sources.val ? { val: EMPTY } : {}),
      test: EMPTY,
      sources,
      ...(opts.dense ? { classNames: { segmentation: [...SEGMENT_CLASSES] } } : {}),
      source: `${dir} (Fashion-MNIST, ${opts.trainSize} train / ${opts.testSize} test pairs${opts.dense ? ', dense' : ''})`,
    };
  },
};
