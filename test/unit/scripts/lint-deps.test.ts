// The import checker (scripts/lint-deps.js) on small source trees written here: it must pass a tree whose
// imports run down, and name file:line of each import that runs back up, whatever its syntax.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../../../src/util/paths';

interface Result {
  problems: string[];
  allowed: string[];
  stale: string[];
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const lint = require(path.join(packageRoot(), 'scripts/lint-deps.js')) as {
  check(srcRoot: string, allowList?: string[], base?: string): Result;
  LAYERS: string[][];
};

/** A throwaway tree: `files` maps paths under src/ to their text. Returns the tree's root. */
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-lint-deps-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, 'src', rel)), { recursive: true });
    fs.writeFileSync(path.join(root, 'src', rel), text);
  }
  return root;
}

const check = (root: string, allow: string[] = []) => lint.check(path.join(root, 'src'), allow, root);
/** `file:line` of each problem (the message after it is for people). */
const where = (r: Result) => r.problems.map((p) => p.split(' ')[0]);

describe('scripts/lint-deps.js', () => {
  it('passes imports that run down or stay in their layer, packages, and text that only looks like an import', () => {
    const root = tree({
      'cli/main.ts': "import { train } from '../train/loop';\nimport * as fs from 'node:fs';\nimport { Command } from 'commander';\n",
      'train/loop.ts': "import type { ResolvedSpec } from '../spec/types';\nimport { buildModel } from '../model/build';\nexport const train = 1;\n",
      'model/build.ts': "import { evaluate } from '../eval/evaluate';\nimport { dense } from '../layers/dense';\nexport const buildModel = 1;\n",
      'eval/evaluate.ts': "import { MtlError } from '../errors';\nexport const evaluate = 1;\n",
      'layers/dense.ts': "import { registry } from '../registry';\nexport const dense = 1;\n",
      'registry.ts': "import { didYouMean } from './util/suggest';\nexport const registry = 1;\n",
      'util/suggest.ts': 'export const didYouMean = 1;\n',
      'errors.ts': "// import { train } from './train/loop';\nexport const a = 1; // require('./cli/main')\n/* import '../cli/main';\n require('./cli/main') */\nexport const MtlError = \"import x from './train/loop'\".length + /['\"]/.source.length;\n",
      'spec/types.ts': "import type { TaskType } from '../tasks';\nexport type ResolvedSpec = { t: TaskType };\n",
      'tasks.ts': "export type TaskType = 'binary';\n",
    });
    const r = check(root);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.allowed, []);
  });

  it('names file:line of every import that runs back up, in each syntax (import type, multi-line, export-from, require, import())', () => {
    const root = tree({
      'model/build.ts': "import * as tf from '@tensorflow/tfjs';\n\nimport { saveModel } from '../train/checkpoint';\n",
      'spec/docs.ts': "import type {\n  Output,\n} from '../cli/reporter';\nexport { REGISTRIES } from '../cli/list';\n",
      'layers/dense.ts': "const m = require('../losses/mse');\nasync function f() {\n  return import('../architectures/hard');\n}\n",
      'util/fs.ts': "import '../errors';\nimport { configError } from '../registry';\n",
      'spec/types.ts': "import type { GraphSpec } from '../model/graph-spec';\n",
      'train/checkpoint.ts': 'export const saveModel = 1;\n',
      'cli/reporter.ts': 'export type Output = 1;\n',
      'cli/list.ts': 'export const REGISTRIES = 1;\n',
      'losses/mse.ts': 'export {};\n',
      'architectures/hard.ts': 'export {};\n',
      'registry.ts': 'export {};\n',
      'errors.ts': 'export {};\n',
      'model/graph-spec.ts': 'export {};\n',
    });
    const r = check(root);
    assert.deepEqual(where(r).sort(), [
      'src/layers/dense.ts:1', // require('../losses/mse'): losses is one layer up
      'src/layers/dense.ts:3', // import('../architectures/hard')
      'src/model/build.ts:3', // model → train
      'src/spec/docs.ts:3', // `import type` spanning lines 1–3: reported where its specifier is
      'src/spec/docs.ts:4', // export … from '../cli/list'
      'src/spec/types.ts:1', // spec/types sits at the bottom: it may not import model
      'src/util/fs.ts:2', // util → registry; the side-effect import of errors (same layer) passes
    ]);
    assert.match(r.problems.find((p) => p.startsWith('src/model/build.ts:3'))!, /'\.\.\/train\/checkpoint'.*train\/checkpoint\.ts is in layer 3 \(train\)/);
  });

  it('reports a module that is in no layer', () => {
    const r = check(tree({ 'newfolder/x.ts': 'export {};\n' }));
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0], /^src\/newfolder\/x\.ts:1 newfolder is in no layer/);
  });

  it('an allow-list entry turns exactly that import into a warning and is reported stale once nothing matches it', () => {
    const root = tree({
      'eval/evaluate.ts': "import { maskedMean } from '../train/step';\nimport { loop } from '../train/loop';\n",
      'train/step.ts': 'export {};\n',
      'train/loop.ts': 'export {};\n',
    });
    const r = check(root, ['eval/evaluate.ts -> train/step.ts', 'model/pretrained.ts -> train/checkpoint.ts']);
    assert.deepEqual(where(r), ['src/eval/evaluate.ts:2']);
    assert.equal(r.allowed.length, 1);
    assert.match(r.allowed[0], /^src\/eval\/evaluate\.ts:1 /);
    assert.deepEqual(r.stale, ['model/pretrained.ts -> train/checkpoint.ts']);
  });

  it('encodes the documented order, top to bottom', () => {
    assert.deepEqual(lint.LAYERS, [
      ['cli', 'index'],
      ['report'],
      ['train'],
      ['spec'],
      ['eval', 'model'],
      ['registries'],
      ['architectures', 'losses'],
      ['layers', 'metrics', 'weighting', 'optim', 'data', 'plot', 'backend'],
      ['registry'],
      ['util', 'errors', 'tasks', 'spec/types'],
    ]);
  });
});
