// plot-model and summary mark the layers a stage freezes (--stage NAME, default the first stage):
// configs/stages.yaml's stage `right` freezes the backbone and task left's head — counts by hand.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { plotCommand } from '../../../src/cli/commands/plot';
import { summaryCommand } from '../../../src/cli/commands/summary';
import type { Output } from '../../../src/cli/reporter';
import { MtlError } from '../../../src/errors';
import { packageRoot } from '../../../src/util/paths';
import { useBackend } from '../../helpers/backend';

const spec = path.join(packageRoot(), 'configs', 'stages.yaml');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-stage-plot-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function capture(): Output & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: (l) => lines.push(l), isTTY: false };
}

describe('stage marking in plot-model and summary', () => {
  before(() => useBackend('cpu'));

  it('summary --stage right: backbone and head left frozen; 656 + 50,208 + 330 parameters', async () => {
    const o = capture();
    await summaryCommand(spec, { json: true, stage: 'right' }, o);
    const s = JSON.parse(o.lines.join('\n'));
    const frozen = Object.fromEntries(s.layers.filter((l: { frozen?: string }) => l.frozen).map((l: { name: string; frozen: string }) => [l.name, l.frozen]));
    assert.deepEqual(frozen, { shared_1_conv2d: 'all', shared_4_dense: 'all', left: 'all' });
    // conv 9·9·1·8 + 8, dense 1568·32 + 32, head left 32·10 + 10.
    assert.deepEqual(s.stage, { name: 'right', index: 1, count: 3, frozenParams: 656 + 50208 + 330, inactive: ['left'] });
    const text = capture();
    await summaryCommand(spec, { stage: 'right' }, text);
    assert.ok(text.lines.some((l) => /^shared_4_dense \(Dense\) .* frozen /.test(l)));
    assert.ok(text.lines.includes('Stage "right" (2 of 3): 51,194 params frozen; tasks left out: left'));
    // As Keras counts a frozen layer: its weights are non-trainable in the totals and in the split.
    assert.deepEqual(s.total, { params: 51524, trainable: 330, nonTrainable: 51194 });
    assert.deepEqual(s.groups, { shared: { params: 50864, trainable: 0 }, left: { params: 330, trainable: 0 }, right: { params: 330, trainable: 330 } });
    assert.ok(text.lines.includes('Trainable params: 330'));
    assert.ok(text.lines.includes('Non-trainable params: 51,194'));
  });

  it('by default the first stage: only the inactive task\'s head is frozen', async () => {
    const o = capture();
    await summaryCommand(spec, { json: true }, o);
    const s = JSON.parse(o.lines.join('\n'));
    assert.deepEqual(s.layers.filter((l: { frozen?: string }) => l.frozen).map((l: { name: string }) => l.name), ['right']);
    assert.equal(s.stage.name, 'left');
  });

  it('plot-model --stage right: "frozen" in the three frozen boxes, the stage in the title, weight 0 for the inactive task', async () => {
    const o = capture();
    const file = path.join(tmp, 'right.svg');
    await plotCommand(spec, { output: file, stage: 'right' }, o);
    const svg = fs.readFileSync(file, 'utf8');
    assert.equal(svg.match(/>frozen</g)?.length, 3);
    assert.match(svg, /stages — stage right/);
    assert.match(o.lines[0], /stage right \(2 of 3\): 3 layers frozen/);
  });

  it('an unknown stage, or --stage on a spec without stages, is a usage error with a did-you-mean', async () => {
    await assert.rejects(summaryCommand(spec, { stage: 'rigth' }, capture()), (e: unknown) => e instanceof MtlError && e.kind === 'usage' && /unknown stage "rigth".*did you mean "right"/.test(e.message));
    await assert.rejects(summaryCommand(path.join(packageRoot(), 'configs', 'quickstart.yaml'), { stage: 'a' }, capture()), (e: unknown) => e instanceof MtlError && e.kind === 'usage' && /has no stages/.test(e.message));
  });
});
