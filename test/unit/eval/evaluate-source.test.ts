// evaluateSource lets the event loop run between batches (so Ctrl-C is handled during a long
// evaluation) and stops after the current batch when its signal aborts; unaborted, it sees every row once.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadData, splitsFor } from '../../../src/data/run-data';
import { evaluateSource, taskRuntimes } from '../../../src/eval/evaluate';
import { buildModel } from '../../../src/model/build';
import { useBackend } from '../../helpers/backend';
import { tinySpec } from '../../helpers/tiny';

describe('evaluateSource', () => {
  before(() => useBackend('cpu'));

  it('yields between batches, stops when aborted, and equals evaluateSet otherwise', async () => {
    const spec = tinySpec();
    const bundle = await loadData({ ...spec, resolved: { ...spec.resolved, data: { ...spec.resolved.data, trainSize: 40 } } });
    const set = splitsFor(spec.resolved, bundle).train;
    const built = buildModel(spec.resolved);
    const tasks = taskRuntimes(spec.resolved, bundle.classNames);
    const batches = Math.ceil((set.size ?? 0) / 4);
    assert.ok(batches >= 8, `${batches} batches`);
    let ticks = 0;
    const tick = () => {
      ticks++;
      timer = setImmediate(tick);
    };
    let timer = setImmediate(tick);
    const whole = await evaluateSource(built.model, built.inputNames, tasks, set, 4);
    clearImmediate(timer);
    // One turn of the loop per batch at least (a synchronous evaluation gives none until it returns).
    assert.ok(ticks >= batches - 1, `${ticks} event-loop turns for ${batches} batches`);
    assert.equal(whole.samples, set.size, 'every row, once');

    const ac = new AbortController();
    let seen = 0;
    const stopAfter2 = () => {
      if (++seen === 2) ac.abort();
      else t2 = setImmediate(stopAfter2);
    };
    let t2 = setImmediate(stopAfter2);
    const part = await evaluateSource(built.model, built.inputNames, tasks, set, 4, ac.signal);
    clearImmediate(t2);
    assert.equal(part.samples, 8, 'two batches of 4, then stopped');
    built.model.dispose();
  });
});
