// "did you mean …": a suggestion must be a plausible typo or part of the name, never an unrelated name
// that merely has as many characters as the edit limit allows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { suggest } from '../../../src/util/suggest';

const METRICS = ['accuracy', 'top-k-accuracy', 'macro-f1', 'auc', 'mae', 'rmse', 'r2', 'token-accuracy', 'mean-iou', 'entity-precision', 'entity-recall', 'entity-f1', 'exact-match', 'frame-accuracy'];

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
