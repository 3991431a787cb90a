// A z-scored regression task's metrics are in training standard deviations: the tables of `mtl train`
// and `mtl eval` say so under the table, with mae and rmse back in the data's units (by hand: sd 800,
// mae 0.5 → 400, rmse 0.25 → 200); a task that is not z-scored, or a classification task, gets no note.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { detailsText } from '../../../src/cli/commands/eval';
import { trainReporter } from '../../../src/cli/reporter';
import { unitNotes, zScoredTargets } from '../../../src/cli/units';

const run = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-units-'));
fs.writeFileSync(
  path.join(run, 'data-state.json'),
  JSON.stringify({
    version: 1,
    encoders: {
      'inputs.x': { mean: [1, 2], std: [3, 4], count: 9 },
      'targets.mass': { mean: [4200], std: [800], count: 9 },
      'targets.wide': { mean: [0, 0], std: [2, 5], count: 9 },
      'targets.species': { categories: ['a', 'b'] },
    },
  }),
);
const test = {
  loss: 1,
  samples: 9,
  tasks: { mass: { loss: 0.3, mae: 0.5, rmse: 0.25, r2: 0.8 }, wide: { loss: 0.1, mae: 0.2 }, raw: { loss: 9, mae: 3 }, species: { loss: 0.1, accuracy: 0.9 } },
};

describe('units of z-scored targets', () => {
  it('reads the z-scored targets (not the inputs) and converts mae and rmse back', () => {
    assert.deepEqual(zScoredTargets(run), { mass: [800], wide: [2, 5] });
    assert.deepEqual(zScoredTargets(path.join(run, 'nowhere')), {});
    assert.deepEqual(unitNotes(zScoredTargets(run), test), [
      "mass is z-scored (normalize: true): its loss, mae and rmse are on that scale (1 sd of the training values = 800.0000); in the data's units: mae 400.0000, rmse 200.0000",
      'wide is z-scored (normalize: true): its loss, mae and rmse are on that scale (1 sd of the training values, per column = 2.0000, 5.0000)',
    ]);
  });

  it("mtl train's summary prints the note under both tables", () => {
    const lines: string[] = [];
    const r = trainReporter({ out: (l) => lines.push(l), err: () => undefined, isTTY: false }, { progress: false, quiet: true, summary: true });
    const last = { epoch: 2, steps: 1, train: test, val: test } as never;
    r.end({ status: 'completed', best: { epoch: 2, value: 1, monitor: 'val.loss' }, test, last, runDir: run });
    const text = lines.join('\n');
    assert.equal(text.match(/in the data's units: mae 400\.0000, rmse 200\.0000/g)?.length, 2, text);
    assert.doesNotMatch(text, /raw is z-scored|species is z-scored/);
  });

  it('eval --details: a z-scored task\'s residuals say they are in standard deviations (cars mpg: bias −0.1286 read like miles per gallon)', () => {
    const d = { kind: 'regression' as const, rows: 3, columns: [{ bias: -0.5, mae: 0.5, rmse: 0.25, residualStd: 0.1, maxAbs: 1 }] };
    assert.match(detailsText('mass', d, zScoredTargets(run).mass), /^mass residuals \(prediction − target\) in training standard deviations \(z-scored: 1 sd = 800\.0000\), 3 rows:/);
    assert.match(detailsText('raw', d, zScoredTargets(run).raw), /^raw residuals \(prediction − target\), 3 rows:/);
  });
});
