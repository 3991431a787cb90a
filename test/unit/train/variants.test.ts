// Spec variants for groups of runs: another seed; one task alone (other heads gone, static weighting,
// weight 1, a monitor naming a removed task falls back to val.loss).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { groupSeeds, seedVariant, singleTaskVariant } from '../../../src/train/variants';
import { useBackend } from '../../helpers/backend';
import { tinySpec } from '../../helpers/tiny';

before(async () => {
  await useBackend('cpu');
});

describe('spec variants', () => {
  const spec = tinySpec('weighting: {method: uw}\ncheckpoint: {monitor: val.right.accuracy, mode: max, keep: 2}\n');

  it('seedVariant changes the seed only', () => {
    const v = seedVariant(spec, 99);
    assert.equal(v.resolved.seed, 99);
    assert.deepEqual({ ...v.resolved, seed: spec.resolved.seed }, spec.resolved);
    assert.equal(v.specDir, spec.specDir);
    assert.deepEqual(groupSeeds(spec, 3), [3, 4, 5], 'the spec seed (3) and the two after it');
  });

  it('singleTaskVariant keeps one task with its head, loss and metrics', () => {
    const left = singleTaskVariant(spec, 'left');
    assert.deepEqual(Object.keys(left.resolved.tasks), ['left']);
    assert.deepEqual(left.resolved.tasks.left.head, spec.resolved.tasks.left.head);
    assert.deepEqual(left.resolved.tasks.left.loss, spec.resolved.tasks.left.loss);
    assert.equal(left.resolved.tasks.left.weight, 1);
    assert.equal(left.resolved.weighting.method, 'static');
    assert.deepEqual(left.resolved.backbone, spec.resolved.backbone);
    assert.deepEqual(left.resolved.train, spec.resolved.train);
    assert.equal(left.resolved.name, 'tiny-left');
    // The monitor named the right task: the left-only run watches its own val.loss.
    assert.deepEqual(left.resolved.checkpoint, { monitor: 'val.loss', mode: 'min', perTask: false, keep: 2, everySteps: null });
    assert.deepEqual(singleTaskVariant(spec, 'right').resolved.checkpoint, { monitor: 'val.right.accuracy', mode: 'max', perTask: false, keep: 2, everySteps: null });
  });

  it('an unknown task is a usage error naming the tasks', () => {
    assert.throws(() => singleTaskVariant(spec, 'middle'), /no task "middle" in the spec \(allowed: left, right\)/);
  });
});
