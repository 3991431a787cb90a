// Hostile and careless inputs (issue 15, the input side): each is a usage/config error (exit 2) or a
// data error (exit 3) with a message, never a stack trace, a hang or a runaway allocation.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { loadFiles } from '../../../src/data/files';
import { EXIT_CODES, MtlError } from '../../../src/errors';
import { loadSpecFile, loadSpecText, MAX_SPEC_BYTES } from '../../../src/spec/load';
import { useBackend } from '../../helpers/backend';

before(() => useBackend('cpu'));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-hostile-'));
const fifo = path.join(dir, 'fifo');
execFileSync('mkfifo', [fifo]);

/** The error thrown: its exit code and messages (with position). */
async function failure(f: () => unknown): Promise<{ code: number; text: string }> {
  try {
    await f();
  } catch (e) {
    assert.ok(e instanceof MtlError, `not an MtlError: ${String(e)}`);
    return { code: EXIT_CODES[e.kind], text: e.problems.map((p) => `${p.where.file ?? ''}:${p.where.line ?? ''} ${p.message} ${p.received ?? ''}`).join('\n') };
  }
  assert.fail('expected an error');
}

const bomb = (() => {
  let s = 'a: &a [x, x, x, x, x, x, x, x, x]\n';
  for (let i = 1; i < 9; i++) s += `${'abcdefghi'[i]}: &${'abcdefghi'[i]} [${Array(9).fill(`*${'abcdefghi'[i - 1]}`).join(', ')}]\n`;
  return s;
})();

describe('hostile specs', () => {
  const cases: Array<{ name: string; run: () => unknown; code: number; re: RegExp }> = [
    { name: 'YAML alias bomb', run: () => loadSpecText(bomb, 's.yaml'), code: 2, re: /aliases expand too far \(more than 100 copies\)/ },
    { name: 'epochs: .inf', run: () => loadSpecText('train:\n  epochs: .inf\n', 's.yaml'), code: 2, re: /s\.yaml:2 numbers must be finite \.inf/ },
    { name: 'epochs: 1e400', run: () => loadSpecText('train:\n  epochs: 1e400\n', 's.yaml'), code: 2, re: /numbers must be finite 1e400/ },
    { name: 'learningRate: .nan', run: () => loadSpecText('train: {optimizer: {learningRate: .nan}}\n', 's.yaml'), code: 2, re: /numbers must be finite \.nan/ },
    { name: '__proto__ key', run: () => loadSpecText('weighting: {__proto__: {method: static}}\n', 's.yaml'), code: 2, re: /"__proto__" cannot be used as a key or name/ },
    { name: 'a task named constructor', run: () => loadSpecText('tasks:\n  constructor: {type: binary}\n', 's.yaml'), code: 2, re: /s\.yaml:2 "constructor" cannot be used/ },
    { name: 'a FIFO as the spec', run: () => loadSpecFile(fifo), code: 2, re: /is not a regular file/ },
    { name: '/dev/zero as the spec', run: () => loadSpecFile('/dev/zero'), code: 2, re: /is not a regular file/ },
  ];
  for (const c of cases) {
    it(`${c.name} → exit ${c.code}`, async () => {
      const f = await failure(c.run);
      assert.equal(f.code, c.code);
      assert.match(f.text, c.re);
    });
  }

  it('a spec above 1 MB is refused before parsing', async () => {
    const big = path.join(dir, 'big.yaml');
    fs.writeFileSync(big, `name: x\n#${'-'.repeat(MAX_SPEC_BYTES)}\n`);
    const f = await failure(() => loadSpecFile(big));
    assert.equal(f.code, 2);
    assert.match(f.text, /is 1048586 bytes; a spec is at most 1048576 bytes/);
  });
});

describe('hostile data paths', () => {
  for (const [name, file] of [['a FIFO', fifo], ['/dev/zero', '/dev/zero']]) {
    it(`${name} as a data file → exit 3, no hang`, async () => {
      const cfg = { type: 'files', train: { format: 'csv', path: file }, inputs: { x: { column: 'a' } }, targets: { y: { column: 'b', type: 'regression' } } };
      const f = await failure(() => loadFiles(cfg, { seed: 1, specDir: dir }));
      assert.equal(f.code, 3);
      assert.match(f.text, /not a regular file/);
    });
  }

  it('values that are not finite float32 numbers (1e308, 1e39, NaN in npy) → exit 3 at their line or row', async () => {
    fs.writeFileSync(path.join(dir, 'over.jsonl'), '{"x": 1, "y": 1}\n{"x": 1e308, "y": 2}\n{"x": 1e39, "y": 1}\n');
    const target = { y: { field: 'y', type: 'regression' } };
    const j = await failure(() => loadFiles({ type: 'files', train: { format: 'jsonl', path: 'over.jsonl' }, inputs: { x: { field: 'x', normalize: true } }, targets: target }, { seed: 1, specDir: dir }));
    assert.equal(j.code, 3);
    assert.equal(j.text, `${path.join(dir, 'over.jsonl')}:2 inputs.x: value 1e+308 in "x" is not a finite float32 number \n${path.join(dir, 'over.jsonl')}:3 inputs.x: value 1e+39 in "x" is not a finite float32 number `);
    // npy v1.0: magic, version, header length, a header padded to 64 bytes, then little-endian float32 values.
    const npy = (name: string, values: number[]) => {
      const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${values.length},), }`.padEnd(64 - 10 - 1, ' ') + '\n';
      const h = Buffer.alloc(10);
      Buffer.from([0x93]).copy(h, 0);
      h.write('NUMPY', 1, 'latin1');
      h[6] = 1;
      h[7] = 0;
      h.writeUInt16LE(header.length, 8);
      fs.writeFileSync(path.join(dir, name), Buffer.concat([h, Buffer.from(header, 'latin1'), Buffer.from(new Float32Array(values).buffer)]));
    };
    npy('x.npy', [1, NaN, 3]);
    npy('y.npy', [1, 2, 3]);
    const n = await failure(() => loadFiles({ type: 'files', train: { format: 'npy', files: { x: 'x.npy', y: 'y.npy' } }, inputs: { x: { field: 'x' } }, targets: target }, { seed: 1, specDir: dir }));
    assert.equal(n.code, 3);
    assert.match(n.text, /x\.npy: inputs\.x: value NaN in "x" is not a finite float32 number/);
  });
});
