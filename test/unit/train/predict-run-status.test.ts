// `mtl predict` on a run that did not finish says so on stderr before any row (as eval does), after the
// same recovery eval runs: a run SIGKILL left ("running", no live process) reads as killed, with the
// epochs committed of those planned (by hand: stopped after epoch 2 of 4); a finished run adds no line.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { predictCommand } from '../../../src/cli/commands/predict';
import { train } from '../../../src/train/loop';
import { interruptedRun, markKilled } from '../../helpers/partial-run';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-predict-status-'));

async function predictErr(run: string): Promise<{ err: string[]; rows: number }> {
  const err: string[] = [];
  let rows = 0;
  const opts = { checkpoint: 'best', format: 'jsonl' as const, topK: '1', labels: false, backend: 'cpu' as const };
  await predictCommand(run, undefined, opts, { out: () => rows++, err: (l: string) => err.push(l), isTTY: false });
  return { err, rows };
}

describe('mtl predict: the run status', () => {
  it('names a killed run before predicting, and says nothing more of a completed one', async () => {
    const { spec, run } = await interruptedRun(tmp);
    markKilled(run);

    const killed = await predictErr(run);
    assert.match(killed.err[0], /^run status: killed during epoch 3 of 4 \(2 whole epochs committed\) — predicting with checkpoint best; a partial run, not a finished one \(continue it with: mtl train .*st\.yaml --resume .*run\)$/);
    assert.equal(killed.rows, 4, 'the 4 test rows are still predicted');
    assert.equal(JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8')).run.status, 'killed', "predict ran eval's recovery");

    await train(spec, { resume: run, backend: 'cpu' });
    const done = await predictErr(run);
    assert.equal(done.err.length, 1, `only the summary line: ${done.err.join(' | ')}`);
    assert.match(done.err[0], /^4 rows of the test split, checkpoint best/);
  });
});
