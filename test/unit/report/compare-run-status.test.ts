// `mtl compare` names every run it compares that did not finish (killed, interrupted, failed, running)
// with eval's run-status line, in the text and in --json, and says why it fell back to validation
// metrics; a finished run adds no line. The report's runs table names a killed run killed. Expected
// epochs by hand: the helper stops after epoch 2 of 4.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../../src/cli/main';
import type { Output } from '../../../src/cli/reporter';
import { reportHtml } from '../../../src/report/html';
import { readRunGroup } from '../../../src/report/runs';
import { interruptedRun, markKilled } from '../../helpers/partial-run';
import { writeFixtures } from '../../helpers/run-folders';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-compare-status-'));

async function compare(args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const o: Output = { out: (l) => lines.push(l), err: (l) => lines.push(`stderr: ${l}`), isTTY: false };
  const code = await main(['compare', ...args], o);
  return { code, lines: lines.join('\n').split('\n') };
}

const bestEpoch = (run: string) => JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8')).best.epoch as number;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('mtl compare: the status of runs that did not finish', () => {
  const f = writeFixtures();

  it('an interrupted run, then the same run killed: its status line, the val fallback named, nothing written', async () => {
    const { spec, run } = await interruptedRun(tmp);
    const best = bestEpoch(run);

    const text = await compare([f.single, run]);
    assert.equal(text.code, 0);
    const notes = text.lines.slice(text.lines.findIndex((l) => l.startsWith('final metrics')));
    assert.equal(notes[0], `final metrics: validation split, best epoch (no test metrics in ${path.relative(process.cwd(), run)}); seed groups: mean ± sample std (n − 1)`);
    // (The tiny run's validation labels are one class each: its accuracies are also named as no better than a constant.)
    assert.deepEqual(notes.slice(1).filter((l) => !/no better than answering/.test(l)), [
      `run: run status: interrupted during epoch 3 of 4 (2 whole epochs committed) — comparing the validation metrics of its best epoch (epoch ${best}); a partial run, not a finished one (continue it with: mtl train ${spec} --resume ${run})`,
    ]);

    const json = JSON.parse((await compare([f.single, run, '--json'])).lines.join('\n'));
    assert.deepEqual(json.withoutTest, [run]);
    assert.deepEqual(json.rows[0].runStatus.map((s: { status: string; finished: boolean }) => [s.status, s.finished]), [['completed', true]]);
    const [s] = json.rows[1].runStatus;
    assert.deepEqual({ dir: s.dir, status: s.status, epochs: s.epochs, plannedEpochs: s.plannedEpochs, finished: s.finished, comparedEpoch: s.comparedEpoch }, { dir: run, status: 'interrupted', epochs: 2, plannedEpochs: 4, finished: false, comparedEpoch: best });

    markKilled(run);
    const killed = await compare([run]);
    assert.match(killed.lines.join('\n'), new RegExp(`^run: run status: killed during epoch 3 of 4 \\(2 whole epochs committed\\) — comparing the validation metrics of its best epoch \\(epoch ${best}\\); a partial run`, 'm'));
    assert.equal(JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8')).run.status, 'running', 'compare reads, it does not recover');
    // The report's runs table says it too (it printed metrics.json's "running").
    const html = await reportHtml([readRunGroup(run)], { modelFigure: async () => ({ error: 'none' }) });
    const overview = html.slice(html.indexOf('<th>status</th>'), html.indexOf('</table>'));
    assert.match(overview, /<td>killed<\/td>/);
    assert.doesNotMatch(overview, /running/);
  });

  it('a failed member of a seed group and a run still training (live lock) are named; finished runs are not', async () => {
    const seed = path.join(f.group, 'seed-12');
    const m = JSON.parse(fs.readFileSync(path.join(seed, 'metrics.json'), 'utf8'));
    fs.writeFileSync(path.join(seed, 'metrics.json'), JSON.stringify({ ...m, run: { ...m.run, status: 'failed', reason: 'non-finite', spec: 'fx.yaml' } }));
    fs.appendFileSync(path.join(seed, 'config.resolved.yaml'), 'train: {epochs: 5}\n');
    const live = path.join(tmp, 'live');
    fs.cpSync(f.single, live, { recursive: true });
    const lm = JSON.parse(fs.readFileSync(path.join(live, 'metrics.json'), 'utf8'));
    fs.writeFileSync(path.join(live, 'metrics.json'), JSON.stringify({ ...lm, run: { ...lm.run, status: 'running' }, test: undefined }));
    fs.appendFileSync(path.join(live, 'config.resolved.yaml'), 'train: {epochs: 3}\n');
    fs.writeFileSync(path.join(live, '.lock'), String(process.ppid));

    const { code, lines } = await compare([f.single, f.group, live, '--split', 'val']);
    assert.equal(code, 0);
    const status = lines.filter((l) => / run status: /.test(l));
    // seed-12 trained 2 of 5 epochs, best epoch 2; the live run 2 of 3, best epoch 2 (the fixtures' numbers)
    assert.deepEqual(status, [
      `group (seed-12): run status: failed (non-finite) during epoch 3 of 5 (2 whole epochs committed) — comparing the validation metrics of its best epoch (epoch 2); a partial run, not a finished one (continue it with: mtl train fx.yaml --resume ${seed})`,
      `live: run status: running (process ${process.ppid}) during epoch 3 of 3 (2 whole epochs committed) — comparing the validation metrics of its best epoch (epoch 2); a partial run, not a finished one (training is still going on)`,
    ]);
    assert.doesNotMatch(lines.join('\n'), new RegExp(`^(single|group \\(seed-1[13]\\)):`, 'm'));
    const md = await compare([f.group, '--markdown']);
    assert.match(md.lines.join('\n'), new RegExp(`^- group \\(seed-12\\): run status: failed \\(non-finite\\) during epoch 3 of 5 .*--resume ${esc(seed)}\\)$`, 'm'));
  });
});
