// Auxiliary tasks: trained and reported, but out of the combined loss (the default monitor), of Δm%
// in compare and of predict unless asked; a spec whose every task is auxiliary is an error.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { MtlError } from '../../../src/errors';
import { compareRuns } from '../../../src/report/compare';
import { readRunGroup } from '../../../src/report/runs';
import { validateSpecText } from '../../../src/spec/validate';
import { train } from '../../../src/train/loop';
import { predictRun, type PredictionRow } from '../../../src/train/predict';
import { useBackend } from '../../helpers/backend';
import { TINY_SPEC } from '../../helpers/tiny';

const RIGHT = '    loss: {type: sparse-categorical-crossentropy, fromLogits: true}\n';
const aux = (extra = '') => TINY_SPEC.replace(RIGHT, `${RIGHT}    auxiliary: true\n    weight: 3\n`) + extra;

describe('auxiliary tasks', () => {
  before(() => useBackend('cpu'));

  it('are trained and reported, out of val.loss, Δm% and predict (unless --auxiliary)', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-aux-'));
    const f = path.join(tmp, 'spec.yaml');
    fs.writeFileSync(f, aux('train: {epochs: 2, batchSize: 4, validation: 0.25, evaluateTest: false}\n'));
    const run = path.join(tmp, 'run');
    await train(f, { out: run, backend: 'cpu' });
    const m = JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8'));
    for (const e of m.epochs) {
      // Combined = 1·left only; with right (weight 3) it would be left + 3·right.
      assert.ok(Math.abs(e.val.loss - e.val.tasks.left.loss) < 1e-6, `${e.val.loss} vs ${e.val.tasks.left.loss}`);
      assert.ok(Number.isFinite(e.val.tasks.right.loss) && e.val.tasks.right.loss > 0);
      assert.ok(Math.abs(e.train.loss - e.train.tasks.left.loss) < 1e-6);
    }
    assert.equal(m.tasks.right.auxiliary, true);
    assert.equal(m.tasks.left.auxiliary, undefined);
    // The right head trained: its weights differ from a fresh build's is implied by the loss falling.
    const rows: PredictionRow[] = [];
    await predictRun(run, { split: 'val', backend: 'cpu' }, (r) => rows.push(r));
    assert.ok(rows.length > 0);
    assert.deepEqual(Object.keys(rows[0].tasks), ['left']);
    const all: PredictionRow[] = [];
    await predictRun(run, { split: 'val', backend: 'cpu', auxiliary: true }, (r) => all.push(r));
    assert.deepEqual(Object.keys(all[0].tasks), ['left', 'right']);
    const g = readRunGroup(run);
    const c = compareRuns([g], { baseline: g, split: 'val' });
    assert.deepEqual(Object.keys(c.rows[0].deltaM!.tasks), ['left']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a spec whose every task is auxiliary is an error', () => {
    const both = aux().replace('    loss: sparse-categorical-crossentropy\n', '    loss: sparse-categorical-crossentropy\n    auxiliary: true\n');
    assert.throws(() => validateSpecText(both, 'a.yaml'), (e: unknown) => e instanceof MtlError && /every task is auxiliary/.test(e.message));
  });
});
