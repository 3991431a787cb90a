// Δm% on hand-worked cases: mixed directions, a metric missing in one run, a zero baseline, a task
// with only a loss, a negative baseline. Expected values computed by hand in the comments.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deltaM, type Direction } from '../../../src/eval/delta-m';

const DIR: Record<string, Direction> = { accuracy: 'higher', r2: 'higher', rmse: 'lower', mae: 'lower' };
const direction = (_task: string, key: string) => DIR[key];
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≠ ${b}`);

const baseline = { A: { loss: 0.5, accuracy: 0.8 }, B: { loss: 3, rmse: 2.0, mae: 1.0 } };

describe('deltaM', () => {
  it('mixed directions: mean over tasks of the mean over each task\'s metrics', () => {
    // A: accuracy (0.88 − 0.8)/0.8 = +10 %  (loss left out: A has a metric)
    // B: rmse −(1.5 − 2)/2 = +25 %, mae −(1.2 − 1)/1 = −20 %  → B = +2.5 %
    // Δm = (10 + 2.5)/2 = 6.25
    const d = deltaM({ A: { loss: 0.4, accuracy: 0.88 }, B: { loss: 9, rmse: 1.5, mae: 1.2 } }, baseline, { direction });
    close(d.value, 6.25);
    close(d.tasks.A, 10);
    close(d.tasks.B, 2.5);
    assert.deepEqual(d.terms.map((t) => `${t.task}.${t.metric}`), ['A.accuracy', 'B.rmse', 'B.mae']);
    assert.deepEqual(d.skipped, []);
  });

  it('the baseline against itself is 0', () => {
    assert.equal(deltaM(baseline, baseline, { direction }).value, 0);
  });

  it('a metric missing in the run is left out and listed', () => {
    // B: only rmse: +25 %; Δm = (10 + 25)/2 = 17.5
    const d = deltaM({ A: { accuracy: 0.88 }, B: { rmse: 1.5 } }, baseline, { direction });
    close(d.value, 17.5);
    assert.deepEqual(d.skipped, [{ task: 'B', metric: 'mae', reason: 'missing in run' }]);
  });

  it('a zero baseline value is left out (relative change undefined) and listed', () => {
    // B: mae baseline 0 → skipped; rmse +25 %; Δm = (10 + 25)/2 = 17.5
    const d = deltaM({ A: { accuracy: 0.88 }, B: { rmse: 1.5, mae: 0.3 } }, { A: { accuracy: 0.8 }, B: { rmse: 2, mae: 0 } }, { direction });
    close(d.value, 17.5);
    assert.deepEqual(d.skipped, [{ task: 'B', metric: 'mae', reason: 'zero baseline' }]);
  });

  it('a task with only a loss uses it (lower is better); a negative baseline keeps the sign of improvement', () => {
    // C: −(1.5 − 2)/2 = +25 %; D: r2 (−0.25 − (−0.5))/|−0.5| = +50 %; Δm = 37.5
    const d = deltaM({ C: { loss: 1.5 }, D: { r2: -0.25 } }, { C: { loss: 2 }, D: { r2: -0.5 } }, { direction });
    close(d.tasks.C, 25);
    close(d.tasks.D, 50);
    close(d.value, 37.5);
  });

  it('includeLoss counts losses as metrics', () => {
    // A: accuracy +10, loss −(0.4 − 0.5)/0.5 = +20 → 15; Δm over A only = 15
    const d = deltaM({ A: { loss: 0.4, accuracy: 0.88 } }, { A: { loss: 0.5, accuracy: 0.8 } }, { direction, includeLoss: true });
    close(d.value, 15);
  });

  it('unknown directions, non-finite values and run-only metrics are skipped with reasons; nothing comparable gives NaN', () => {
    const d = deltaM({ A: { weird: 1, accuracy: NaN, extra: 2 } }, { A: { weird: 2, accuracy: 0.5 } }, { direction: (_t, k) => (k === 'accuracy' ? 'higher' : undefined) });
    assert.ok(Number.isNaN(d.value));
    assert.deepEqual(d.skipped.map((s) => `${s.metric}:${s.reason}`), ['weird:unknown direction', 'accuracy:not finite', 'extra:missing in baseline']);
  });
});
