// "did you mean …": a suggestion must be a plausible typo or part of the name, never an unrelated name
// that merely has as many characters as the edit limit allows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { didYouMean, suggest } from '../../../src/util/suggest';

const METRICS = ['accuracy', 'top-k-accuracy', 'macro-f1', 'auc', 'mae', 'rmse', 'r2', 'token-accuracy', 'mean-iou', 'entity-precision', 'entity-recall', 'entity-f1', 'exact-match', 'frame-accuracy'];
const LOSSES = ['categorical-crossentropy', 'sparse-categorical-crossentropy', 'binary-crossentropy', 'mse', 'mae', 'huber', 'crf-nll'];

test('a short name is not "corrected" to a name sharing none of its characters', () => {
  // "f1" → "r2" rewrites both characters (distance 2 = its length); "f1" is a part of "macro-f1".
  assert.equal(suggest('f1', METRICS), 'macro-f1');
  assert.equal(suggest('iou', METRICS), 'mean-iou');
  assert.equal(suggest('xy', METRICS), undefined);
  assert.equal(suggest('q', ['r', 'rmse']), undefined);
});

test('typos and abbreviations are still suggested', () => {
  assert.equal(suggest('f2', METRICS), 'r2');
  assert.equal(suggest('R2', METRICS), 'r2');
  assert.equal(suggest('mea', METRICS), 'mae');
  assert.equal(suggest('Conv2D', ['conv2d', 'dense']), 'conv2d');
  assert.equal(suggest('lefft', ['left', 'right']), 'left');
  assert.equal(suggest('acc', ['accuracy', 'macro-f1']), 'accuracy');
  // Initials of a camelCase or hyphenated name: what Keras and PyTorch users type.
  assert.equal(suggest('lr', ['type', 'learningRate', 'beta1', 'weightDecay']), 'learningRate');
  assert.equal(suggest('wd', ['learningRate', 'weightDecay']), 'weightDecay');
  assert.equal(suggest('bs', ['epochs', 'batchSize']), 'batchSize');
  assert.equal(suggest('tka', METRICS), 'top-k-accuracy');
  // strict (data field names): typos only, no parts.
  assert.equal(suggest('f1', METRICS, { strict: true }), undefined);
  assert.equal(suggest('labl', ['label', 'tag'], { strict: true }), 'label');
});

test('a short name one edit from one candidate and the start of another names both, never just the other metric', () => {
  // "acc" (Keras's accuracy) is one substitution from "auc": a hint naming only "auc" sends a Keras user to AUC.
  assert.equal(didYouMean('acc', METRICS), 'did you mean "auc" or "accuracy"?');
  // Keras's "mse" metric: one edit from "mae" (delete s, insert a) and from "rmse" (insert r).
  assert.equal(didYouMean('mse', METRICS), 'did you mean "mae" or "rmse"?');
  assert.equal(didYouMean('mea', METRICS), 'did you mean "mae" or "mean-iou"?');
  // Longer names keep one suggestion: "adamm" is "adam" plus a letter, not "adamw".
  assert.equal(didYouMean('adamm', ['sgd', 'adam', 'adamw']), 'did you mean "adam"?');
  assert.equal(didYouMean('f1', METRICS), 'did you mean "macro-f1"?');
});

test("Keras's long names find mtl's short ones", () => {
  assert.equal(suggest('mean_squared_error', LOSSES), 'mse');
  assert.equal(suggest('mean-absolute-error', LOSSES), 'mae');
  assert.equal(suggest('sparse_categorical_crossentropy', LOSSES), 'sparse-categorical-crossentropy');
  assert.equal(suggest('root_mean_squared_error', METRICS), 'rmse');
  assert.equal(suggest('sparse_categorical_accuracy', METRICS), 'accuracy');
  assert.equal(suggest('binary_accuracy', METRICS), 'accuracy');
  // Keras's loss_weights, per task: tasks.<t>.weight.
  assert.equal(suggest('loss_weight', ['type', 'head', 'loss', 'metrics', 'weight']), 'weight');
  assert.equal(suggest('loss_weights', ['type', 'head', 'loss', 'metrics', 'weight']), 'weight');
});

test("names from Ludwig, LibMTL, torchjd and PyTorch find mtl's", () => {
  const TYPES = ['classification', 'binary', 'multilabel', 'regression'];
  const WEIGHTING = ['static', 'equal', 'uw', 'dwa', 'gls', 'rlw', 'mgda', 'pcgrad', 'imtl', 'upgrad'];
  // LibMTL's EW (equal weighting) was "did you mean uw?", one edit away and another method.
  assert.equal(didYouMean('EW', WEIGHTING), 'did you mean "equal"?');
  assert.equal(suggest('Mean', WEIGHTING), 'equal');
  assert.equal(suggest('IMTL_G', WEIGHTING), 'imtl');
  assert.equal(suggest('HPS', ['hard', 'soft', 'cross-stitch', 'mmoe']), 'hard');
  assert.equal(suggest('number', TYPES), 'regression');
  assert.equal(suggest('category', TYPES), 'classification');
  assert.equal(suggest('set', TYPES), 'multilabel');
  assert.equal(suggest('CrossEntropyLoss', LOSSES), 'sparse-categorical-crossentropy');
  assert.equal(suggest('softmax_cross_entropy', LOSSES), 'sparse-categorical-crossentropy');
  assert.equal(suggest('MSELoss', LOSSES), 'mse');
  // It was "huber"; with logits, validate then asks for fromLogits: true.
  assert.equal(suggest('BCEWithLogitsLoss', LOSSES), 'binary-crossentropy');
  // LibMTL's method arguments: update_weights_every was "diagnostics.every" (a nested key's hint).
  const NASH = ['method', 'gradSpace', 'updateEvery', 'diagnostics', 'maxNorm', 'optimIters'];
  assert.equal(suggest('update_weights_every', NASH), 'updateEvery');
  assert.equal(suggest('T', ['method', 'temperature']), 'temperature');
  assert.equal(suggest('calpha', ['method', 'c', 'rescale']), 'c');
  assert.equal(suggest('MoCo_beta_sigma', ['method', 'beta', 'betaSigma', 'gamma', 'gammaSigma', 'rho']), 'betaSigma');
  assert.equal(suggest('FAMO_w_lr', ['method', 'gamma', 'weightLr']), 'weightLr');
});
