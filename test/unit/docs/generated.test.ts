// Generated docs must not go stale: schema/mtl.schema.json and the generated sections of README.md and
// docs/*.md (the spec reference, the component lists) are exactly what the registries produce today,
// each generated section is in one file, and every config in configs/ validates.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { docFiles, GENERATED, renderDoc, schemaFileText, specReferenceRows } from '../../../src/spec/docs';
import { validateSpecFile } from '../../../src/spec/validate';
import { packageRoot } from '../../../src/util/paths';
import { useBackend } from '../../helpers/backend';

const root = packageRoot();
const read = (f: string) => fs.readFileSync(path.join(root, f), 'utf8');

describe('generated docs and configs', () => {
  before(() => useBackend('cpu'));

  it('schema/mtl.schema.json is up to date (npm run docs regenerates it)', () => {
    assert.equal(read('schema/mtl.schema.json'), schemaFileText());
  });

  it('README.md and docs/*.md are up to date (npm run docs)', () => {
    const files = docFiles(root);
    assert.ok(files.includes('docs/spec.md') && files.includes('docs/components.md'), files.join(', '));
    for (const f of files) assert.equal(read(f), renderDoc(read(f)), `${f} is stale: run npm run docs`);
  });

  it('each generated section is in exactly one file: the spec reference in docs/spec.md, the components in docs/components.md', () => {
    const where = (name: string) => docFiles(root).filter((f) => read(f).includes(`<!-- ${name}:start -->`));
    assert.deepEqual(Object.keys(GENERATED).sort(), ['components', 'spec-reference']);
    assert.deepEqual(where('spec-reference'), ['docs/spec.md']);
    assert.deepEqual(where('components'), ['docs/components.md']);
  });

  it('the spec reference lists the keys users look for', () => {
    const spec = read('docs/spec.md');
    for (const key of ['train.optimizer', 'train.earlyStopping.patience', 'tasks.<name>.loss', 'inputs.<name>.shape', 'checkpoint.monitor', 'output.dir']) {
      assert.ok(specReferenceRows().some((r) => r.startsWith(`| \`${key}\` `)), key);
      assert.ok(spec.includes(`| \`${key}\` `), `docs/spec.md lacks ${key}`);
    }
    const components = read('docs/components.md');
    for (const type of ['dense', 'hard', 'mse', 'accuracy', 'gradnorm', 'adam', 'cosine', 'multifashion']) {
      assert.ok(components.includes(`| \`${type}\` |`), `docs/components.md lacks ${type}`);
    }
  });

  it('every relative link between README.md and docs/*.md points at a file and heading that exist', () => {
    // GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.
    const anchors = (f: string) => [...read(f).matchAll(/^#+ (.+)$/gm)].map((m) => '#' + m[1].toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'));
    let checked = 0;
    for (const f of docFiles(root)) {
      for (const m of read(f).matchAll(/\]\(([^)#\s]*)(#[^)\s]*)?\)/g)) {
        const [, target, anchor] = m;
        if (/^[a-z]+:/.test(target)) continue; // http:, https:, mailto:
        const file = target ? path.relative(root, path.join(root, path.dirname(f), target)) : f;
        assert.ok(fs.existsSync(path.join(root, file)), `${f} links to ${target}, which does not exist`);
        if (anchor) assert.ok(anchors(file).includes(anchor), `${f} links to ${file}${anchor}, which has no such heading`);
        checked++;
      }
    }
    assert.ok(checked > 20, `only ${checked} links found`);
  });

  it('README.md links every file in docs/ (a newcomer finds each reference from the first page)', () => {
    const readme = read('README.md');
    for (const f of docFiles(root).filter((x) => x.startsWith('docs/'))) assert.ok(readme.includes(`](${f})`), `README.md does not link ${f}`);
  });

  it('every config in configs/ starts with the schema line and validates', () => {
    const dir = path.join(root, 'configs');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    assert.ok(files.length >= 1);
    for (const f of files) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      assert.match(text.split('\n')[0], /^# yaml-language-server: \$schema=\.\.\/schema\/mtl\.schema\.json$/, f);
      assert.doesNotThrow(() => validateSpecFile(path.join(dir, f)), f);
    }
  });
});
