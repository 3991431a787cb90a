// When early stopping ends a run, the summary names what early stopping watched — its monitor, best
// value and epoch, patience — not the best checkpoint's monitor, which a spec may set to another
// quantity. minDelta 1000 makes every epoch after the first fail to improve: by hand, the best is
// epoch 1's val.left.loss, and patience 2 stops the run after epoch 3.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { trainReporter } from '../../../src/cli/reporter';
import { train } from '../../../src/train/loop';
import { TINY_SPEC } from '../../helpers/tiny';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-es-msg-'));

describe('early stopping: the stop message', () => {
  it("names early stopping's monitor, its best value and epoch, and patience", async () => {
    const file = path.join(tmp, 'es.yaml');
    fs.writeFileSync(file, `${TINY_SPEC}train: {epochs: 6, batchSize: 4, validation: 0.5, earlyStopping: {monitor: val.left.loss, patience: 2, minDelta: 1000}}\ncheckpoint: {monitor: val.right.accuracy, mode: max}\n`);
    const out: string[] = [];
    const reporter = trainReporter({ out: (l) => out.push(l), err: () => undefined, isTTY: false }, { progress: false, quiet: true, summary: true });
    const res = await train(file, { out: path.join(tmp, 'run'), backend: 'cpu', reporter });
    assert.equal(res.status, 'early-stopped');
    assert.equal(res.epochs.length, 3);
    const leftLoss = res.epochs[0].val!.tasks.left.loss;
    assert.deepEqual(res.stoppedEarly, { monitor: 'val.left.loss', mode: 'min', best: leftLoss, bestEpoch: 1, patience: 2, minDelta: 1000, sinceImprovement: 2 });
    const text = out.join('\n');
    assert.ok(text.includes(`stopped early after epoch 3: early stopping's val.left.loss (min) did not improve on the best ${leftLoss.toFixed(4)} (epoch 1) by more than minDelta 1000 for 2 epochs (patience 2)`), text);
    // The checkpoint's own monitor is reported as such, on its own line.
    assert.match(text, /\nbest checkpoint: epoch \d \(val\.right\.accuracy \d\.\d{4}\)/);
    assert.doesNotMatch(text, /stopped early: best epoch/);
    const m = JSON.parse(fs.readFileSync(path.join(tmp, 'run', 'metrics.json'), 'utf8'));
    assert.equal(m.run.status, 'early-stopped');
    assert.deepEqual(m.stoppedEarly, res.stoppedEarly);
  });
});
