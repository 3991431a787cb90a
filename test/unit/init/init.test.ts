// mtl init: every template validates and builds as written, is commented block by block, and init
// refuses to overwrite a file or to use an unknown template.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { useBackend } from '../../helpers/backend';
import { initCommand } from '../../../src/cli/commands/init';
import { MtlError } from '../../../src/errors';
import { TEMPLATES } from '../../../src/cli/templates';
import { buildModel } from '../../../src/model/build';
import { validateSpecFile } from '../../../src/spec/validate';

before(async () => {
  await useBackend('cpu');
});

function capture() {
  const lines: string[] = [];
  return { lines, o: { out: (s: string) => lines.push(s), err: (s: string) => lines.push(s), isTTY: false } as never };
}

test('init: each template written validates, builds, and has a comment before every top-level block', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-init-'));
  try {
    assert.deepEqual(TEMPLATES.map((t) => t.name), ['image-pair', 'tabular', 'text', 'siamese']);
    for (const t of TEMPLATES) {
      const file = path.join(dir, `${t.name}.yaml`);
      const c = capture();
      await initCommand(file, { template: t.name }, c.o);
      assert.match(c.lines[0], new RegExp(`written: .*${t.name}\\.yaml \\(template ${t.name}\\)`));
      const spec = validateSpecFile(file);
      assert.ok(Object.keys(spec.resolved.tasks).length >= 2, t.name);
      const built = buildModel(spec.resolved);
      assert.equal(built.model.outputs.length, Object.keys(spec.resolved.tasks).length);
      built.model.dispose();
      const text = fs.readFileSync(file, 'utf8');
      const doc = parseDocument(text);
      for (const key of ['data', 'backbone', 'tasks', 'weighting', 'train']) {
        const at = text.search(new RegExp(`^${key}:`, 'm'));
        assert.ok(at > 0, `${t.name}: ${key}`);
        const before = text.slice(0, at).trimEnd().split('\n').pop()!;
        assert.ok(before.startsWith('#') || /^\s*[\w-]+:.*#/.test(before) || key === 'data', `${t.name}: a comment explains ${key} (line before: ${before})`);
      }
      assert.equal(doc.errors.length, 0);
      assert.match(text, /^# .+\n# .+\n/, `${t.name}: a header comment says what the spec trains`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('init: --list, an unknown template, an existing file', async () => {
  const c = capture();
  await initCommand(undefined, { list: true }, c.o);
  assert.equal(c.lines.length, TEMPLATES.length);
  assert.match(c.lines[0], /^image-pair\s+two image classifications.*\(default\)$/);
  await assert.rejects(initCommand('x.yaml', { template: 'tabluar' }, capture().o), (e: unknown) => e instanceof MtlError && e.kind === 'usage' && /did you mean "?tabular/.test(e.message));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-init-'));
  try {
    const file = path.join(dir, 'spec.yaml');
    fs.writeFileSync(file, 'keep me');
    await assert.rejects(initCommand(file, {}, capture().o), (e: unknown) => e instanceof MtlError && e.kind === 'usage' && /--force/.test(e.message));
    assert.equal(fs.readFileSync(file, 'utf8'), 'keep me');
    await initCommand(file, { force: true }, capture().o);
    assert.match(fs.readFileSync(file, 'utf8'), /^# Two image-classification tasks/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
