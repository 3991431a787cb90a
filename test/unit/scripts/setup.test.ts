// scripts/setup.js removes what a moved or deleted source left in dist/ (tsc never deletes), and only that.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../../../src/util/paths';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const setup = require(path.join(packageRoot(), 'scripts/setup.js')) as { removeOrphans(dir: string, base: string): void };

describe('scripts/setup.js removeOrphans', () => {
  it('deletes compiled files without a source and the folders left empty; keeps the rest', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-setup-'));
    const files = {
      'src/data/files/index.ts': '', // the source moved from src/data/files.ts to here
      'src/a.ts': '',
      'dist/src/data/files.js': '', // orphan: would shadow files/index.js
      'dist/src/data/files.js.map': '',
      'dist/src/data/files.d.ts': '',
      'dist/src/data/files/index.js': '',
      'dist/src/a.js': '',
      'dist/src/a.d.ts.map': '',
      'dist/src/gone/b.js': '', // a deleted folder
      'dist/src/notes.txt': '', // not compiler output: left alone
    };
    for (const [f, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(base, f)), { recursive: true });
      fs.writeFileSync(path.join(base, f), text);
    }
    setup.removeOrphans(path.join(base, 'dist', 'src'), base);
    const left = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? left(path.join(dir, e.name)) : [path.relative(base, path.join(dir, e.name))]));
    assert.deepEqual(left(path.join(base, 'dist')).sort(), ['dist/src/a.d.ts.map', 'dist/src/a.js', 'dist/src/data/files/index.js', 'dist/src/notes.txt']);
  });
});
