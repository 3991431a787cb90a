// Masked averaging of task losses (moved with maskedMean from the train step to src/losses/masked.ts).
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { maskedMean } from '../../../src/losses/masked';
import { useBackend } from '../../helpers/backend';

describe('maskedMean', () => {
  before(() => useBackend('cpu'));

  it('maskedMean averages over labelled rows only', () => {
    const v = maskedMean(tf.tensor1d([1, 2, 3, 4]), tf.tensor1d([1, 0, 1, 0])).dataSync()[0];
    assert.equal(v, 2);
    assert.equal(maskedMean(tf.tensor1d([1, 2, 3, 4])).dataSync()[0], 2.5);
    assert.equal(maskedMean(tf.tensor1d([1, 2]), tf.tensor1d([0, 0])).dataSync()[0], 0);
  });
});
