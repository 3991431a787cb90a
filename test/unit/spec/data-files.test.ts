// `mtl validate` warns about a data file that does not exist (it said "ok", and only data inspect or
// train then stopped with ENOENT): the spec line of the path, and a did-you-mean among the folder's
// names. Lines and columns by hand from the spec text below; files that exist get no warning.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { validateCommand } from '../../../src/cli/commands/validate';
import { missingDataFiles } from '../../../src/spec/data-files';
import { validateSpecFile } from '../../../src/spec/validate';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-data-files-'));
fs.writeFileSync(path.join(dir, 'penguins-clean.csv'), 'x,y\n1,2\n');
fs.writeFileSync(path.join(dir, 'extra.csv'), 'x,y\n1,2\n');
const SPEC = `name: f
data:
  type: files
  train: {format: csv, path: penguins-cleaned.csv}
  test: {format: csv, paths: [extra.csv, nope/more.csv]}
  inputs: {x: {column: x}}
  targets: {y: {column: y, type: regression}}
inputs:
  x: {shape: [1]}
backbone: [{dense: {units: 2}}]
tasks:
  y: {type: regression, head: [{dense: {units: 1}}], loss: mse}
`;
const spec = path.join(dir, 'spec.yaml');
fs.writeFileSync(spec, SPEC);

describe('validate: data files that do not exist', () => {
  it('names each missing file at its spec line, with a did-you-mean', () => {
    const ps = missingDataFiles(validateSpecFile(spec));
    assert.deepEqual(
      ps.map((p) => [p.where.line, p.where.col, p.where.path, p.message, p.hint]),
      [
        [4, 30, 'data.train.path', `no such file: ${path.join(dir, 'penguins-cleaned.csv')}`, 'did you mean "penguins-clean.csv"?'],
        [5, 42, 'data.test.paths.1', `no such file: ${path.join(dir, 'nope', 'more.csv')}`, `no folder ${path.join(dir, 'nope')}`],
      ],
    );
  });

  it('mtl validate prints them as warnings and still says ok', async () => {
    const out: string[] = [];
    const err: string[] = [];
    await validateCommand(spec, {}, { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false });
    assert.match(out.join('\n'), /^ok: /);
    assert.equal(err.length, 2);
    assert.match(err[0], /^warning: .*spec\.yaml:4:30 data\.train\.path: no such file: .*penguins-cleaned\.csv \(did you mean "penguins-clean\.csv"\?\) — data inspect and train stop there$/);
  });
});
