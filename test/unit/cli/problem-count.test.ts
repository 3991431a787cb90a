// The count under a list of data problems: the data check stops at 20, so at the limit the count is of
// the problems found, not of all (movies.json with running time as an input: 1,992 empty cells, and
// the line under the first 20 said "21 problems", counting its own "stopped after 20 problems").
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../../src/cli/main';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-problem-count-'));

/** A spec over a CSV of `rows` rows whose first `empty` rows lack the input value. */
function spec(name: string, rows: number, empty: number): string {
  const lines = Array.from({ length: rows }, (_, i) => `${i < empty ? '' : i},${i % 2}`);
  fs.writeFileSync(path.join(dir, `${name}.csv`), `x,y\n${lines.join('\n')}\n`);
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    `name: ${name}
data:
  type: files
  train: {format: csv, path: ${name}.csv}
  inputs: {f: {columns: [x]}}
  targets: {y: {column: y, type: binary}}
inputs: {f: {shape: [1]}}
backbone: [{dense: {units: 2}}]
tasks:
  y: {type: binary, head: [{dense: {units: 1, activation: sigmoid}}], loss: binary-crossentropy}
train: {validation: none}
`,
  );
  return file;
}

async function stderrOf(args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await main(args, { out: () => {}, err: (s: string) => void lines.push(...s.split('\n')), isTTY: false });
  return { code, lines };
}

describe('the count under a list of data problems', () => {
  it('at the limit: 20 problem lines, and a count that says the check stopped there', async () => {
    const { code, lines } = await stderrOf(['data', 'inspect', spec('many', 60, 45)]);
    assert.equal(code, 3);
    assert.equal(lines.filter((l) => /many\.csv:\d+/.test(l)).length, 20);
    assert.equal(lines.at(-1), '20 problems, the first found: the check stops at 20, so later rows were not checked and may have more');
    assert.ok(!lines.some((l) => /^21 problems|stopped after/.test(l)), lines.join('\n'));
  });

  it('under the limit: the plain count', async () => {
    const { code, lines } = await stderrOf(['data', 'inspect', spec('few', 10, 3)]);
    assert.equal(code, 3);
    assert.equal(lines.at(-1), '3 problems');
  });
});
