// A seed-group or single-task folder given where one run is expected (eval, predict, plot-model,
// summary): the usage error names the runs inside it instead of only saying what is missing.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { formatProblem, MtlError } from '../../../src/errors';
import { loadRunSpec } from '../../../src/train/run-eval';

function failure(dir: string): string {
  try {
    loadRunSpec(dir);
  } catch (e) {
    assert.ok(e instanceof MtlError && e.kind === 'usage', String(e));
    return e.problems.map(formatProblem).join('\n');
  }
  assert.fail('expected a usage error');
}

test('a group folder is not a run: the message lists its runs', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-kinds-'));
  const seeds = path.join(root, 'seeds');
  fs.mkdirSync(seeds);
  fs.writeFileSync(path.join(seeds, 'seeds.json'), JSON.stringify({ version: 1, kind: 'seed-group', seeds: [7, 8], runs: ['seed-7', 'seed-8'] }));
  assert.equal(failure(seeds), `${seeds} is not a run folder (no config.resolved.yaml) (it is a seed-group folder (seeds.json); name one of its runs: ${path.join(seeds, 'seed-7')}, ${path.join(seeds, 'seed-8')})`);
  const single = path.join(root, 'single');
  fs.mkdirSync(single);
  fs.writeFileSync(path.join(single, 'single-task.json'), JSON.stringify({ version: 1, kind: 'single-task', tasks: { a: 'task-a', b: 'task-b' } }));
  assert.match(failure(single), /it is a single-task baseline folder \(single-task\.json\); name one of its runs: .*task-a, .*task-b\)$/);
  // Any other folder: the plain message.
  assert.equal(failure(root), `${root} is not a run folder (no config.resolved.yaml)`);
});
