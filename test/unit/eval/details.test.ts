// Detailed evaluation statistics on hand-worked cases.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfusionCounter, ResidualCounter } from '../../../src/eval/details';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≠ ${b}`);

describe('evaluation details', () => {
  it('confusion matrix, per-class precision/recall/F1 and macro averages', () => {
    const c = new ConfusionCounter();
    for (const [t, p] of [[0, 0], [0, 1], [1, 1], [1, 1], [2, 0]]) c.add(t, p);
    const d = c.result();
    assert.deepEqual(d.confusion, [[1, 1, 0], [0, 2, 0], [1, 0, 0]]);
    // class 0: P 1/2, R 1/2, F1 1/2; class 1: P 2/3, R 1, F1 0.8; class 2: never predicted → 0, 0, 0
    close(d.perClass[0].precision, 0.5);
    close(d.perClass[1].precision, 2 / 3);
    close(d.perClass[1].recall, 1);
    close(d.perClass[1].f1, 0.8);
    assert.deepEqual([d.perClass[2].precision, d.perClass[2].recall, d.perClass[2].f1, d.perClass[2].support], [0, 0, 0, 1]);
    close(d.macro.precision, (0.5 + 2 / 3) / 3);
    close(d.macro.recall, 0.5);
    close(d.macro.f1, 1.3 / 3);
    assert.equal(d.rows, 5);
  });

  it('a declared class count keeps classes never seen', () => {
    const c = new ConfusionCounter(4);
    c.add(1, 1);
    assert.equal(c.result().confusion.length, 4);
  });

  it('class names travel from the rows into the result, by index; unnamed classes stay empty', () => {
    const c = new ConfusionCounter(3);
    c.add(0, 2, 'cat', 'dog');
    c.add(0, 0, 'cat', 'cat');
    assert.deepEqual(c.result().names, ['cat', '', 'dog']);
    const plain = new ConfusionCounter();
    plain.add(1, 0);
    assert.equal(plain.result().names, undefined);
  });

  it('macro means are over the classes that occur in targets or predictions, as the macro-f1 metric and scikit-learn', () => {
    // A head of 4 classes; the split has rows of classes 0 and 1 only (movies: "Concert/Performance"
    // had no test film and was never predicted).
    const c = new ConfusionCounter(4);
    for (const [t, p] of [[0, 0], [0, 1], [1, 1]]) c.add(t, p);
    const d = c.result();
    // class 0: P 1, R 1/2, F1 2/3; class 1: P 1/2, R 1, F1 2/3; classes 2, 3 left out (before: /4 → 0.375, 0.375, 1/3)
    close(d.macro.precision, 0.75);
    close(d.macro.recall, 0.75);
    close(d.macro.f1, 2 / 3);
    // A class only predicted counts: F1 0 enters the mean.
    const e = new ConfusionCounter(3);
    for (const [t, p] of [[0, 0], [0, 2]]) e.add(t, p);
    // class 0: P 1, R 1/2, F1 2/3; class 2: P 0, R 0, F1 0; class 1 left out
    close(e.result().macro.f1, 1 / 3);
    close(e.result().macro.precision, 0.5);
  });

  it("the run's class names name every class, also one that no row has or gets", () => {
    const c = new ConfusionCounter(0, ['Action', 'Concert/Performance', 'Drama']);
    c.add(0, 2, 'Action', 'Drama');
    const d = c.result();
    assert.deepEqual(d.names, ['Action', 'Concert/Performance', 'Drama']);
    assert.deepEqual(d.confusion, [[0, 0, 1], [0, 0, 0], [0, 0, 0]]);
  });

  it('residual statistics per column', () => {
    const r = new ResidualCounter();
    r.add([1, 10], [0, 10]);
    r.add([2, 10], [2, 12]);
    r.add([4, 13], [2, 10]);
    const [a, b] = r.result().columns;
    // column 0 residuals 1, 0, 2; column 1 residuals 0, −2, 3
    close(a.bias, 1);
    close(a.mae, 1);
    close(a.rmse, Math.sqrt(5 / 3));
    close(a.residualStd, 1);
    close(a.maxAbs, 2);
    close(b.bias, 1 / 3);
    close(b.mae, 5 / 3);
    close(b.rmse, Math.sqrt(13 / 3));
    close(b.residualStd, Math.sqrt(57 / 9));
    close(b.maxAbs, 3);
  });
});
