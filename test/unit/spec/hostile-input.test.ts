// Hostile and careless inputs (issue 15, the input side): each is a usage/config error (exit 2) or a
// data error (exit 3) with a message, never a stack trace, a hang or a runaway allocation.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { before, describe, it } from 'node:test';
import { loadFiles } from '../../../src/data/files';
import { readIdx } from '../../../src/data/formats/idx';
import { EXIT_CODES, MtlError } from '../../../src/errors';
import { loadSpecFile, loadSpecText, MAX_SPEC_BYTES } from '../../../src/spec/load';
import { validateSpecText } from '../../../src/spec/validate';
import { makeRunDir } from '../../../src/train/run-folder';
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

  it('a number that is not finite is reported with its key path, in maps and lists', async () => {
    const e = (() => {
      try {
        loadSpecText('train:\n  epochs: .inf\nbackbone:\n  - dense: {units: 3}\n  - dense: {units: [1, .nan]}\n', 's.yaml');
      } catch (err) {
        return err as MtlError;
      }
      assert.fail('expected an error');
    })();
    assert.deepEqual(e.problems.map((p) => [p.where.line, p.where.path]), [[2, 'train.epochs'], [5, 'backbone[1].dense.units[1]']]);
  });

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

/** A MultiFashion spec (36×36 canvas; describe() reads no file) with the given backbone and data options. */
const fashionSpec = (backbone: string, data = '') => `data: {type: multifashion${data}}
inputs:
  image: {shape: [36, 36, 1]}
backbone:
${backbone}
tasks:
  left: {type: classification, head: [{dense: {units: 10, activation: softmax}}], loss: sparse-categorical-crossentropy}
  right: {type: classification, head: [{dense: {units: 10, activation: softmax}}], loss: sparse-categorical-crossentropy}
`;

describe('hostile sizes: shapes, parameters, rows', () => {
  const cases: Array<{ name: string; text: string; re: RegExp }> = [
    {
      name: 'a kernel larger than its input',
      text: fashionSpec('  - conv2d: {filters: 4, kernelSize: 40}\n  - flatten'),
      // 36 − 40 + 1 = −3 rows and columns.
      re: /s\.yaml:5 conv2d on input \(\?, 36, 36, 1\) gives output \(\?, -3, -3, 4\): a dimension is -3, so its window .* is larger than its input/,
    },
    {
      name: 'a pool larger than what reaches it',
      text: fashionSpec('  - conv2d: {filters: 4, kernelSize: 9}\n  - maxPooling2d: {poolSize: 30}\n  - flatten'),
      // 36 − 9 + 1 = 28 < 30: floor((28 − 30) / 30) + 1 = 0.
      re: /s\.yaml:6 maxPooling2d on input \(\?, 28, 28, 4\) gives output \(\?, 0, 0, 4\)/,
    },
    {
      name: 'units: 1e6 (a model too large for memory)',
      text: fashionSpec('  - conv2d: {filters: 4, kernelSize: 3}\n  - flatten\n  - dense: {units: 1e6}'),
      // conv 3·3·1·4 + 4 = 40; flatten 34·34·4 = 4,624; dense 4,624·10⁶ + 10⁶; two heads 2·(10⁶·10 + 10)
      // = 4,645,000,060 parameters, ×4 bytes = 18,580,000,240 bytes = 17.3 GiB.
      re: /the model needs 4,645,000,060 parameters \(17\.3 GiB as float32\), more than fits in memory/,
    },
    {
      name: 'trainSize: 1e9',
      text: fashionSpec('  - flatten', ', trainSize: 1e9'),
      // A row: 36·36 floats + 2 int labels = 1,296·4 + 2·4 = 5,192 bytes; 2 GiB / 5,192 = 413,613 rows.
      re: /s\.yaml:1 1,000,000,000 rows of 5,192 bytes need 4835\.4 GiB in memory 1000000000/,
    },
  ];
  for (const c of cases) {
    it(`${c.name} → exit 2 from validate`, async () => {
      const f = await failure(() => validateSpecText(c.text, 's.yaml'));
      assert.equal(f.code, 2);
      assert.match(f.text, c.re);
    });
  }

  it('a 50 MB spec of millions of keys → the 1 MB cap, before parsing', { timeout: 20000 }, async () => {
    const big = path.join(dir, 'keys.yaml');
    const fd = fs.openSync(big, 'w');
    const block = Array.from({ length: 100000 }, (_, i) => `key${i}: ${i}\n`).join('');
    let bytes = 0;
    while (bytes < 50 * 2 ** 20) bytes += fs.writeSync(fd, block.replace(/key/g, `k${bytes}_`));
    fs.closeSync(fd);
    const f = await failure(() => loadSpecFile(big));
    assert.equal(f.code, 2);
    assert.match(f.text, new RegExp(`is ${fs.statSync(big).size} bytes; a spec is at most 1048576 bytes`));
    fs.rmSync(big);
  });
});

describe('hostile output folders', () => {
  for (const out of ['/proc/mtl-hostile/run', '/proc/self/mtl-run']) {
    it(`--out ${out} → exit 2 at once (Node's recursive mkdir loops there)`, { timeout: 10000 }, async () => {
      const f = await failure(() => makeRunDir(out));
      assert.equal(f.code, 2);
      assert.match(f.text, /cannot write the run folder: its parent folder cannot hold new folders/);
    });
  }
});

describe('hostile sizes in data files', () => {
  /** A PNG whose IHDR declares width × height; the image data is one tiny IDAT (never reached). */
  const pngHeader = (width: number, height: number) => {
    const chunk = (type: string, data: Buffer) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(data.length);
      const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(zlib.crc32(body));
      return Buffer.concat([len, body, crc]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(width, 0);
    ihdr.writeUInt32BE(height, 4);
    ihdr[8] = 8; // bit depth
    ihdr[9] = 0; // grey
    return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(Buffer.alloc(0))), chunk('IEND', Buffer.alloc(0))]);
  };

  it('a PNG decompression bomb (100,000 × 100,000 declared) → exit 3 before decoding', async () => {
    fs.writeFileSync(path.join(dir, 'bomb.png'), pngHeader(100000, 100000));
    fs.writeFileSync(path.join(dir, 'images.csv'), 'file,label\nbomb.png,1\n');
    const cfg = { type: 'files', train: { format: 'images', path: 'images.csv' }, inputs: { image: { column: 'file', encoding: 'image', height: 8, width: 8, channels: 1 } }, targets: { y: { column: 'label', type: 'regression' } } };
    const f = await failure(() => loadFiles(cfg, { seed: 1, specDir: dir }));
    assert.equal(f.code, 3);
    // 10⁵ · 10⁵ = 10¹⁰ pixels = 10,000 megapixels.
    assert.match(f.text, /images\.csv:2 inputs\.image: image does not decode: the header declares 100000 × 100000 pixels \(10000 megapixels\); at most 50 megapixels/);
  });

  /** An IDX header: 00 00, type code, ndims, then each dimension as a big-endian uint32. */
  const idxHeader = (code: number, dims: number[]) => {
    const h = Buffer.alloc(4 + 4 * dims.length);
    h[2] = code;
    h[3] = dims.length;
    dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
    return h;
  };
  const idxCases: Array<{ name: string; bytes: () => Buffer; re: RegExp }> = [
    // 10⁹ uint8 items declared, 10 present: refused from the header and the file size, nothing read.
    { name: 'a small file claiming 1e9 items', bytes: () => Buffer.concat([idxHeader(0x08, [1e9]), Buffer.alloc(10)]), re: /truncated file: expected 1000000000 bytes of data for dims \[1000000000\] \(uint8\), found 10/ },
    // 4e9 · 4e9 · 8 bytes: far above the 2 GiB budget.
    { name: 'huge declared dimensions', bytes: () => Buffer.concat([idxHeader(0x0e, [4e9, 4e9]), Buffer.alloc(8)]), re: /the header declares dims \[4000000000, 4000000000\] \(float64\): 1\.28e\+20 bytes of data, more than the 2 GiB/ },
    // gzip: 10 values declared, 50 MB of zeros follow (≈ 50 KB compressed): inflation stops at 18 bytes.
    { name: 'a gzip bomb behind a small header', bytes: () => zlib.gzipSync(Buffer.concat([idxHeader(0x08, [10]), Buffer.alloc(50 * 2 ** 20)])), re: /unexpected trailing data: more than the 18 bytes the header declares/ },
  ];
  for (const c of idxCases) {
    it(`IDX: ${c.name} → exit 3`, async () => {
      const file = path.join(dir, 'x.idx');
      fs.writeFileSync(file, c.bytes());
      const f = await failure(() => readIdx(file));
      assert.equal(f.code, 3);
      assert.match(f.text, c.re);
    });
  }
  it('IDX: /dev/zero (a recipe folder may point anywhere) → exit 3, no hang', async () => {
    const f = await failure(() => readIdx('/dev/zero'));
    assert.equal(f.code, 3);
    assert.match(f.text, /not a regular file/);
  });
});
