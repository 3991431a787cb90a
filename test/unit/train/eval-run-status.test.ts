// `mtl eval` on a run that did not finish says so — on the first line and in --json (runStatus) — so a
// partial run is never taken for a finished one: an interrupted run (Ctrl-C after epoch 2 of 4), the
// same run as SIGKILL leaves it (still "running", no live process: eval's recovery marks it killed), and
// the run resumed to its end. Epoch counts by hand from where the run was stopped.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { evalCommand } from '../../../src/cli/commands/eval';
import { train } from '../../../src/train/loop';
import { interruptedRun, markKilled } from '../../helpers/partial-run';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-eval-status-'));

async function evalLines(run: string, json = false): Promise<string[]> {
  const out: string[] = [];
  await evalCommand(run, { checkpoint: 'best', split: 'test', backend: 'cpu', json }, { out: (l: string) => out.push(l), err: () => undefined, isTTY: false });
  return out;
}

describe('mtl eval: the run status', () => {
  it('names an interrupted, a killed and a completed run, with the epochs committed of those planned', async () => {
    const { spec, run } = await interruptedRun(tmp);

    const interrupted = await evalLines(run);
    assert.match(interrupted[0], /^run status: interrupted during epoch 3 of 4 \(2 whole epochs committed\) — evaluating checkpoint best \(epoch [12]\); a partial run, not a finished one \(continue it with: mtl train .*st\.yaml --resume .*run\)$/);
    assert.match(interrupted[1], /^test split, checkpoint best \(epoch [12]\),/);

    markKilled(run);
    const json = JSON.parse((await evalLines(run, true)).join('\n'));
    assert.deepEqual(json.runStatus, { status: 'killed', epochs: 2, plannedEpochs: 4, finished: false, spec: path.resolve(spec) });
    assert.equal(JSON.parse(fs.readFileSync(path.join(run, 'eval-test.json'), 'utf8')).runStatus.status, 'killed');
    assert.match((await evalLines(run))[0], /^run status: killed during epoch 3 of 4 \(2 whole epochs committed\) — evaluating checkpoint best/);

    await train(spec, { resume: run, backend: 'cpu' });
    assert.match((await evalLines(run))[0], /^run status: completed \(4 of 4 epochs\) — evaluating checkpoint best \(epoch \d\)$/);
    assert.equal(JSON.parse((await evalLines(run, true)).join('\n')).runStatus.finished, true);
  });
});
