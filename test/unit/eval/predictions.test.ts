// predict's row decoding on hand-made outputs: class names and top-k order, regression values
// denormalised by hand (output · std + mean), token tags cut to the real tokens, and entity spans of
// a hand-made BIO sequence by the CoNLL chunk rules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeTask, entitiesOf, kindOf } from '../../../src/eval/predictions';

describe('predict row decoding', () => {
  it('classification: class index and name, top-k most probable first, label and its name; masked label is null', () => {
    const rows = decodeTask(
      { type: 'classification', values: [0.2, 0.5, 0.3, 0.7, 0.1, 0.2], shape: [2, 3], labels: { values: [2, 0], mask: [1, 0] } },
      { names: ['flat', 'house', 'studio'] },
      2,
    );
    assert.deepEqual(rows[0], {
      class: 1,
      name: 'house',
      probability: 0.5,
      top: [
        { class: 1, name: 'house', probability: 0.5 },
        { class: 2, name: 'studio', probability: 0.3 },
      ],
      label: 2,
      labelName: 'studio',
    });
    assert.equal((rows[1] as { name: string }).name, 'flat');
    assert.equal((rows[1] as { label: null }).label, null);
    assert.equal('labelName' in rows[1], false);
  });

  it('classification without names: indices only', () => {
    const [r] = decodeTask({ type: 'classification', values: [0.1, 0.9], shape: [1, 2] }, {}, 1);
    assert.deepEqual(r, { class: 1, probability: 0.9, top: [{ class: 1, probability: 0.9 }] });
  });

  it('regression: value = output · std + mean per column, labels too (hand-computed)', () => {
    // Column 0: mean 250, std 111.80339887 (prices 100..400); column 1: mean −3, std 0.5.
    const scale = { mean: [250, -3], std: [111.80339887498948, 0.5] };
    const rows = decodeTask({ type: 'regression', values: [0.5, -2, -1.5, 4], shape: [2, 2], labels: { values: [1, 0, 0, 0], mask: [1, 0] } }, { scale }, 3);
    // 0.5·111.80339887 + 250 = 305.9017; −2·0.5 − 3 = −4; −1.5·111.80339887 + 250 = 82.29490; 4·0.5 − 3 = −1.
    assert.deepEqual(rows[0], { value: [305.9017, -4], label: [361.8034, -3] });
    assert.deepEqual(rows[1], { value: [82.2949, -1], label: null });
  });

  it('regression without statistics: the output as it is', () => {
    assert.deepEqual(decodeTask({ type: 'regression', values: [1.25], shape: [1, 1] }, {}, 3), [{ value: [1.25] }]);
    // Not z-scored: float32 values still shown to 7 significant digits (Math.fround(7.1) = 7.099999904632568).
    assert.deepEqual(decodeTask({ type: 'regression', values: Float32Array.of(7.1, 34.99996185), shape: [1, 2], labels: { values: Float32Array.of(7.1, 35) } }, {}, 3), [{ value: [7.1, 34.99996], label: [7.1, 35] }]);
    // Probabilities are not rounded.
    assert.deepEqual(decodeTask({ type: 'binary', values: Float32Array.of(0.1), shape: [1, 1] }, {}, 3), [{ probabilities: [Math.fround(0.1)], predicted: [0] }]);
  });

  it('binary and multilabel: each probability predicted 1 only above the threshold (0.5, or the accuracy metric\'s), as accuracy counts it', () => {
    // 0.5 itself is not above 0.5: accuracy counts yPred > threshold as positive.
    const values = [0.2, 0.5, 0.51, 0.9, 0.7, 0.3];
    const rows = decodeTask({ type: 'multilabel', values, shape: [2, 3], labels: { values: [0, 1, 1, 1, 0, 0] } }, {}, 3);
    assert.deepEqual(rows, [
      { probabilities: [0.2, 0.5, 0.51], predicted: [0, 0, 1], label: [0, 1, 1] },
      { probabilities: [0.9, 0.7, 0.3], predicted: [1, 1, 0], label: [1, 0, 0] },
    ]);
    const at = decodeTask({ type: 'binary', values: [0.65, 0.8], shape: [2, 1] }, { threshold: 0.7 }, 3);
    assert.deepEqual(at.map((r) => ('predicted' in r ? r.predicted : null)), [[0], [1]]);
  });

  it('tokens: classes cut to the row\'s real tokens, tag names, entity spans with their words', () => {
    const names = ['O', 'B-city', 'I-city', 'B-date', 'I-date'];
    // 1 row, 5 steps, 5 tags; argmax per step: B-city, I-city, O, B-date, (padding) B-city.
    const oneHot = (c: number) => names.map((_, k) => (k === c ? 1 : 0));
    const values = [1, 2, 0, 3, 1].flatMap(oneHot);
    const [r] = decodeTask({ type: 'classification', values, shape: [1, 5, 5], lengths: [4], words: [['new', 'york', 'on', 'friday']], labels: { values: [1, 2, 0, 0, 0], mask: [1, 1, 1, 1, 0] } }, { names }, 3);
    assert.deepEqual(r, {
      classes: [1, 2, 0, 3],
      tags: ['B-city', 'I-city', 'O', 'B-date'],
      entities: [
        { type: 'city', start: 0, end: 2, text: 'new york' },
        { type: 'date', start: 3, end: 4, text: 'friday' },
      ],
      label: [1, 2, 0, 0],
      labelTags: ['B-city', 'I-city', 'O', 'O'],
    });
  });

  it('entity spans of a hand-made BIO sequence (conlleval: I-x after another type opens a new entity)', () => {
    const tags = ['O', 'B-city', 'I-city', 'I-city', 'O', 'B-date', 'I-time', 'I-time', 'B-date', 'B-date'];
    assert.deepEqual(entitiesOf(tags), [
      { type: 'city', start: 1, end: 4 },
      { type: 'date', start: 5, end: 6 },
      { type: 'time', start: 6, end: 8 },
      { type: 'date', start: 8, end: 9 },
      { type: 'date', start: 9, end: 10 },
    ]);
    assert.equal(entitiesOf(['PER', 'O']), undefined, 'not BIO tags: no spans');
  });

  it('entity spans of a hand-made BIOES sequence (E-x and S-x close a chunk; I-x/E-x after a closed one opens one; <other> is its own)', () => {
    //            0        1    2        3        4        5        6        7        8        9        10         11
    const tags = ['S-PER', 'O', 'B-LOC', 'I-LOC', 'E-LOC', 'I-LOC', 'E-ORG', 'B-PER', 'E-PER', 'S-LOC', '<other>', 'I-LOC'];
    const words = 'ann met in new south wales near acme john smith paris xyzzy rome'.split(' ');
    assert.deepEqual(entitiesOf(tags, words), [
      { type: 'PER', start: 0, end: 1, text: 'ann' },
      { type: 'LOC', start: 2, end: 5, text: 'in new south' },
      { type: 'LOC', start: 5, end: 6, text: 'wales' },
      { type: 'ORG', start: 6, end: 7, text: 'near' },
      { type: 'PER', start: 7, end: 9, text: 'acme john' },
      { type: 'LOC', start: 9, end: 10, text: 'smith' },
      { type: '<other>', start: 10, end: 11, text: 'paris' },
      { type: 'LOC', start: 11, end: 12, text: 'xyzzy' },
    ]);
    // S-x then I-x of the same type: S closed the first, so the I opens a second entity.
    assert.deepEqual(entitiesOf(['S-LOC', 'I-LOC', 'E-LOC']), [
      { type: 'LOC', start: 0, end: 1 },
      { type: 'LOC', start: 1, end: 3 },
    ]);
    // Through decodeTask: BIOES names [O, B-LOC, I-LOC, E-LOC, S-LOC], argmax per token.
    const names = ['O', 'B-LOC', 'I-LOC', 'E-LOC', 'S-LOC'];
    const onehot = (c: number) => names.map((_, j) => (j === c ? 0.9 : 0.025));
    const [r] = decodeTask({ type: 'classification', values: [1, 2, 3, 0, 4].flatMap(onehot), shape: [1, 5, 5], lengths: [5], words: [['new', 'south', 'wales', 'and', 'paris']] }, { names }, 1);
    assert.deepEqual((r as { entities: unknown }).entities, [
      { type: 'LOC', start: 0, end: 3, text: 'new south wales' },
      { type: 'LOC', start: 4, end: 5, text: 'paris' },
    ]);
  });

  it('output kinds', () => {
    assert.equal(kindOf({ type: 'classification', shape: [2, 3] }), 'class');
    assert.equal(kindOf({ type: 'classification', shape: [2, 4, 3], lengths: [4, 4] }), 'tokens');
    assert.equal(kindOf({ type: 'classification', shape: [2, 8, 8, 3] }), 'positions');
    assert.equal(kindOf({ type: 'binary', shape: [2, 1] }), 'probabilities');
    assert.equal(kindOf({ type: 'regression', shape: [2, 1] }), 'values');
  });
});
