// Tests the metric descriptors on hand-computed cases: accuracy, top-k, macro-F1, AUC (with ties),
// mae, rmse, r2; and their keys, directions and schemas.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import { metrics } from '../../../src/metrics/index';
import type { MetricInput } from '../../../src/metrics/types';
import type { TaskType } from '../../../src/tasks';

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false });

function fill(type: string, config: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(config);
  const validate = ajv.compile(metrics.get(type).schema);
  if (!validate(copy)) throw new Error(ajv.errorsText(validate.errors));
  return copy;
}

/** Runs a metric on row-major nested arrays. */
function run(type: string, taskType: TaskType, yTrue: number[] | number[][], yPred: number[][], config: Record<string, unknown> = {}, classNames?: string[]): number {
  const n = yPred.length;
  const predDim = n ? yPred[0].length : 0;
  const input: MetricInput = {
    yTrue: taskType === 'classification' ? Int32Array.from(yTrue as number[]) : Float32Array.from((yTrue as (number | number[])[]).flat()),
    yPred: Float32Array.from(yPred.flat()),
    n,
    predDim,
  };
  return metrics.get(type).create(fill(type, config), { taskType, ...(classNames ? { classNames } : {}) })(input);
}

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} ≉ ${b}`);

describe('metric registry', () => {
  it('registers the metrics with keys, directions and task types', () => {
    assert.deepEqual(metrics.types(), ['accuracy', 'top-k-accuracy', 'macro-f1', 'auc', 'mae', 'rmse', 'r2', 'token-accuracy', 'mean-iou', 'entity-precision', 'entity-recall', 'entity-f1', 'exact-match', 'frame-accuracy']);
    const higher = Object.fromEntries(metrics.list().map((d) => [d.type, d.higherIsBetter]));
    assert.deepEqual(higher, {
      accuracy: true, 'top-k-accuracy': true, 'macro-f1': true, auc: true, mae: false, rmse: false, r2: true,
      'token-accuracy': true, 'mean-iou': true, 'entity-precision': true, 'entity-recall': true, 'entity-f1': true, 'exact-match': true, 'frame-accuracy': true,
    });
    assert.equal(metrics.get('top-k-accuracy').key(fill('top-k-accuracy', {})), 'top-5-accuracy');
    assert.equal(metrics.get('top-k-accuracy').key({ type: 'top-k-accuracy', k: 3 }), 'top-3-accuracy');
    assert.equal(metrics.get('auc').key({ type: 'auc' }), 'auc');
    assert.deepEqual(metrics.get('auc').taskTypes, ['binary', 'multilabel']);
    assert.deepEqual(metrics.get('r2').taskTypes, ['regression']);
  });

  it('has closed JSON schemas', () => {
    for (const d of metrics.list()) assert.deepEqual(JSON.parse(JSON.stringify(d.schema)), d.schema);
    assert.equal(ajv.validate(metrics.get('top-k-accuracy').schema, { k: 0 }), false);
    assert.equal(ajv.validate(metrics.get('auc').schema, { k: 2 }), false);
  });
});

describe('accuracy', () => {
  it('classification: argmax against the class index', () => {
    const pred = [
      [0.8, 0.1, 0.1],
      [0.2, 0.7, 0.1],
      [0.1, 0.2, 0.7],
      [0.3, 0.4, 0.3],
    ];
    close(run('accuracy', 'classification', [0, 1, 1, 1], pred), 0.75);
  });

  it('binary and multilabel: prediction > 0.5, averaged over every output', () => {
    close(run('accuracy', 'binary', [[1], [0], [1], [0]], [[0.9], [0.2], [0.4], [0.6]]), 0.5);
    close(run('accuracy', 'multilabel', [[1, 0], [0, 1]], [[0.9, 0.1], [0.8, 0.7]]), 0.75);
    close(run('accuracy', 'binary', [[1], [0]], [[0.5], [0.5]]), 0.5); // 0.5 is not above the threshold
  });

  it('is NaN without rows', () => assert.ok(Number.isNaN(run('accuracy', 'classification', [], []))));
});

describe('exact-match', () => {
  it('multilabel: a row counts only when all its labels are right', () => {
    // Row 1 all right; row 2 one label wrong; row 3 all right (0.5 is not above the threshold); row 4 all wrong.
    const yTrue = [[1, 0, 1], [1, 1, 0], [0, 0, 0], [1, 1, 1]];
    const yPred = [[0.9, 0.2, 0.6], [0.8, 0.3, 0.1], [0.5, 0.1, 0.4], [0.1, 0.2, 0.3]];
    close(run('exact-match', 'multilabel', yTrue, yPred), 2 / 4);
    close(run('accuracy', 'multilabel', yTrue, yPred), 8 / 12); // per label, for contrast
    // At 0.25: row 2's 0.3 becomes a right positive; row 3's 0.5 and 0.4 become wrong positives → rows 1 and 2.
    close(run('exact-match', 'multilabel', yTrue, yPred, { threshold: 0.25 }), 2 / 4);
  });
});

describe('top-k-accuracy', () => {
  it('counts the rows whose class is among the k highest', () => {
    const pred = [
      [0.5, 0.3, 0.2], // class 1 is 2nd: hit
      [0.5, 0.3, 0.2], // class 2 is 3rd: miss
      [0.1, 0.2, 0.7], // class 2 is 1st: hit
      [0.4, 0.3, 0.3], // class 2 ties for 2nd: hit (as tf.math.in_top_k)
    ];
    close(run('top-k-accuracy', 'classification', [1, 2, 2, 2], pred, { k: 2 }), 0.75);
    close(run('top-k-accuracy', 'classification', [1, 2, 2, 2], pred, { k: 1 }), 0.25);
    close(run('top-k-accuracy', 'classification', [1, 2, 2, 2], pred), 1); // k = 5 ≥ 3 classes
  });
});

describe('top-k-accuracy with unseen: other', () => {
  it('a gold <other> is never a hit, whatever k', () => {
    const pred = [[0.7, 0.2, 0.1], [0.1, 0.2, 0.7]];
    close(run('top-k-accuracy', 'classification', [0, 2], pred, { k: 3 }, ['a', 'b', '<other>']), 0.5);
    close(run('top-k-accuracy', 'classification', [0, 2], pred, { k: 3 }), 1);
  });
});

describe('macro-f1', () => {
  it('averages per-class F1 over the classes that occur', () => {
    // truth 0 0 0 1 1 2, predicted 0 0 1 1 2 2; class 3 never occurs and is left out.
    const pred = [0, 0, 1, 1, 2, 2].map((c) => [0, 1, 2, 3].map((j) => (j === c ? 0.9 : 0.03)));
    const f1 = [2 * 2 / (2 * 2 + 0 + 1), 2 * 1 / (2 * 1 + 1 + 1), 2 * 1 / (2 * 1 + 1 + 0)];
    close(run('macro-f1', 'classification', [0, 0, 0, 1, 1, 2], pred), (f1[0] + f1[1] + f1[2]) / 3);
    close((f1[0] + f1[1] + f1[2]) / 3, 0.6555556, 1e-6);
  });

  it('is 1 for perfect predictions', () => {
    close(run('macro-f1', 'classification', [0, 1], [[0.9, 0.1], [0.2, 0.8]]), 1);
  });

  it('a gold <other> (unseen: other) is never a true positive, even predicted as <other>', () => {
    // classes a, b, <other>; truth a a <other> <other>, predicted a b <other> a.
    // a: TP 1, FP 1 (row 4), FN 1 (row 2) → 2/4; b: FP 1 → 0; <other>: FN 2 (rows 3, 4), never TP → 0.
    const pred = [0, 1, 2, 0].map((c) => [0, 1, 2].map((j) => (j === c ? 0.9 : 0.05)));
    close(run('macro-f1', 'classification', [0, 0, 2, 2], pred, {}, ['a', 'b', '<other>']), 0.5 / 3);
    // Without the names the same rows count <other> as an ordinary class: its F1 is 2/(2+0+1) = 2/3.
    close(run('macro-f1', 'classification', [0, 0, 2, 2], pred), (0.5 + 0 + 2 / 3) / 3);
  });

  it('binary: macro over classes 0 and 1', () => {
    // truth 1 1 0 0 0, predicted 1 0 1 0 0: F1(1) = 2/(2+1+1) = 0.5, F1(0) = 4/(4+1+1) = 2/3.
    close(run('macro-f1', 'binary', [[1], [1], [0], [0], [0]], [[0.9], [0.2], [0.6], [0.1], [0.3]]), (0.5 + 2 / 3) / 2);
  });
});

describe('auc', () => {
  it('is 0.5 when every score is the same', () => {
    close(run('auc', 'binary', [[1], [0], [1], [0]], [[0.3], [0.3], [0.3], [0.3]]), 0.5);
  });

  it('matches a known case (0.75)', () => {
    close(run('auc', 'binary', [[0], [0], [1], [1]], [[0.1], [0.4], [0.35], [0.8]]), 0.75);
  });

  it('counts a tie between a positive and a negative as ½', () => {
    // positives 0.5, 0.7 vs negatives 0.5, 0.2: pairs ½ + 1 + 1 + 1 = 3.5 of 4.
    close(run('auc', 'binary', [[1], [0], [1], [0]], [[0.5], [0.5], [0.7], [0.2]]), 0.875);
  });

  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    close(run('auc', 'binary', [[0], [1]], [[0.2], [0.9]]), 1);
    close(run('auc', 'binary', [[1], [0]], [[0.2], [0.9]]), 0);
  });

  it('is NaN when the targets have only one class', () => {
    assert.ok(Number.isNaN(run('auc', 'binary', [[1], [1]], [[0.2], [0.9]])));
  });

  it('multilabel: averages over the labels that have both classes', () => {
    const yTrue = [[0, 1, 1], [0, 0, 1], [1, 1, 1], [1, 0, 1]];
    const yPred = [[0.1, 0.9, 0.5], [0.4, 0.2, 0.5], [0.35, 0.8, 0.5], [0.8, 0.3, 0.5]];
    // label 0: 0.75; label 1: 1; label 2: one class only, left out.
    close(run('auc', 'multilabel', yTrue, yPred), (0.75 + 1) / 2);
  });
});

describe('regression metrics', () => {
  const yTrue = [[1, 10], [2, 20], [3, 30]];

  it('r2 is 1 for perfect predictions and 0 for the mean predictor', () => {
    close(run('r2', 'regression', yTrue, yTrue), 1);
    close(run('r2', 'regression', yTrue, [[2, 20], [2, 20], [2, 20]]), 0);
  });

  it('r2 is 1 − SS_res/SS_tot per column, averaged', () => {
    // column 0: SS_tot 2, SS_res 1 → 0.5; column 1 perfect → 1.
    close(run('r2', 'regression', yTrue, [[1, 10], [2, 20], [4, 30]]), (0.5 + 1) / 2);
  });

  it('rmse per column, averaged', () => {
    // column 0 errors 0, 0, 3 → √3; column 1 errors 3, 4, 0 → √(25/3).
    close(run('rmse', 'regression', yTrue, [[1, 13], [2, 16], [6, 30]]), (Math.sqrt(3) + Math.sqrt(25 / 3)) / 2, 1e-5);
  });

  it('mae over every output', () => {
    close(run('mae', 'regression', yTrue, [[1, 13], [2, 16], [6, 30]]), 10 / 6, 1e-5);
  });
});
