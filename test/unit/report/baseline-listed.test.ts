// A run folder given both as a run and as --baseline is one run, the baseline: `mtl report c1 mmoe ple
// --baseline c1` said "written: report.html (4 runs, …)" for three folders and named c1 by its path
// ("runs/c1", as if two folders shared the name), and compare's baseline row read "runs/c1 [baseline]".
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../../src/cli/main';
import type { Output } from '../../../src/cli/reporter';
import { writeFixtures } from '../../helpers/run-folders';

function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), isTTY: false };
}

describe('a baseline also listed as a run', () => {
  const f = writeFixtures();

  it('compare: one baseline row under its folder name, then the other run', async () => {
    const o = capture();
    assert.equal(await main(['compare', f.single, f.group, '--baseline', f.single], o), 0, o.errors.join('\n'));
    const rows = o.lines.join('\n').split('\n').slice(2, 4).map((l) => l.split(/\s{2,}/)[0]);
    assert.deepEqual(rows, ['single [baseline]', 'group (3 seeds)']);
  });

  it('report: 2 runs, each named by its folder', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-report-baseline-')), 'r.html');
    const o = capture();
    assert.equal(await main(['report', f.single, f.group, '--baseline', f.single, '-o', out], o), 0, o.errors.join('\n'));
    assert.match(o.lines[0], /^written: .*r\.html \(2 runs, \d+ KiB\)$/);
    const html = fs.readFileSync(out, 'utf8');
    assert.deepEqual([...html.matchAll(/<h2>Run ([^<]*)<\/h2>/g)].map((m) => m[1]), ['single', 'group']);
  });
});
