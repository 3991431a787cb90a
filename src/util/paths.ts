// Owns locating files shipped with the package (bundled datasets, schema), wherever it is installed.
import * as fs from 'node:fs';
import * as path from 'node:path';

let root: string | undefined;

/** The folder holding mtl's package.json (works from src/ under ts and from dist/src/ when built). */
export function packageRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj) && JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'mtl') return (root = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the mtl package root');
    dir = up;
  }
}

export function packageVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version;
}
