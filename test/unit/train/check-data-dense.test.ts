// A per-pixel target whose rows do not match the head's output grid is a data error (exit 3) found
// before training starts (setup calls checkData before it creates the run folder).
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { MtlError } from '../../../src/errors';
import { buildModel } from '../../../src/model/build';
import { validateSpecText } from '../../../src/spec/validate';
import { checkData } from '../../../src/train/check-data';
import type { ArraySet } from '../../../src/data/types';
import { useBackend } from '../../helpers/backend';

before(() => useBackend('cpu'));

const SPEC = `name: d
data: {type: multifashion, dense: true, trainSize: 8, testSize: 4}
inputs:
  image: {shape: [36, 36, 1]}
backbone: [{conv2d: {filters: 2, kernelSize: 3, padding: same}}]
tasks:
  left: {type: classification, head: [flatten, {dense: {units: 10, activation: softmax}}], loss: sparse-categorical-crossentropy}
  right: {type: classification, head: [flatten, {dense: {units: 10, activation: softmax}}], loss: sparse-categorical-crossentropy}
  segmentation: {type: classification, head: [{conv2d: {filters: 3, kernelSize: 1, activation: softmax}}], loss: sparse-categorical-crossentropy}
  unmix: {type: regression, head: [{conv2d: {filters: 1, kernelSize: 1}}], loss: mae}
`;

/** Two rows with a segmentation grid of side `seg` and an unmix row of shape `unmix`. */
function rows(seg: number, unmix: number[]): ArraySet {
  const n = 2;
  const size = (s: number[]) => n * s.reduce((a, b) => a * b, 1);
  return {
    size: n,
    inputs: { image: { data: new Float32Array(n * 1296), shape: [36, 36, 1] } },
    targets: {
      left: { data: new Int32Array(n), shape: [] },
      right: { data: new Int32Array(n), shape: [] },
      segmentation: { data: new Int32Array(size([seg, seg])), shape: [seg, seg] },
      unmix: { data: new Float32Array(size(unmix)), shape: unmix },
    },
  };
}

it('per-pixel targets: the head grid must match the rows (data error naming the task and both shapes)', () => {
  const spec = validateSpecText(SPEC, 'd.yaml').resolved;
  const built = buildModel(spec);
  try {
    checkData({ train: rows(36, [36, 36, 1]), source: 'x' }, spec, built);
    checkData({ train: rows(36, [36, 36]), source: 'x' }, spec, built);
    assert.throws(
      () => checkData({ train: rows(18, [36, 36, 1]), test: rows(36, [36, 36, 2]), source: 'x' }, spec, built),
      (e: unknown) => {
        assert.ok(e instanceof MtlError && e.kind === 'data', String(e));
        assert.equal(e.problems.length, 2);
        assert.match(e.problems[0].message, /the per-pixel target of task "segmentation" does not match its head's output/);
        assert.equal(e.problems[0].received, 'rows of shape [18,18]');
        assert.equal(e.problems[0].allowed, '[36,36] (the head outputs (batch, 36, 36, 3))');
        assert.deepEqual(e.problems[1].where, { path: 'data.test' });
        assert.match(e.problems[1].message, /task "unmix"/);
        return true;
      },
    );
  } finally {
    built.model.dispose();
  }
});
