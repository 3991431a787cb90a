// Generated docs must not go stale: schema/mtl.schema.json and the README's reference sections are
// exactly what the registries produce today, and every config in configs/ validates.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { renderReadme, schemaFileText, specReferenceRows } from '../../../src/spec/docs';
import { validateSpecFile } from '../../../src/spec/validate';
import { packageRoot } from '../../../src/util/paths';
import { useBackend } from '../../helpers/backend';

const root = packageRoot();

describe('generated docs and configs', () => {
  before(() => useBackend('cpu'));

  it('schema/mtl.schema.json is up to date (npm run docs regenerates it)', () => {
    assert.equal(fs.readFileSync(path.join(root, 'schema/mtl.schema.json'), 'utf8'), schemaFileText());
  });

  it('the README spec reference and component lists are up to date (npm run docs)', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    assert.equal(readme, renderReadme(readme));
    for (const key of ['train.optimizer', 'train.earlyStopping.patience', 'tasks.<name>.loss', 'inputs.<name>.shape', 'checkpoint.monitor', 'output.dir']) {
      assert.ok(specReferenceRows().some((r) => r.startsWith(`| \`${key}\` `)), key);
      assert.ok(readme.includes(`| \`${key}\` `), `README lacks ${key}`);
    }
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
