// IDX files: round trips in every flavour, a clear data error with the file for each kind of damage,
// and the bundled and Debian Fashion-MNIST files read with the right dimensions.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, describe, it } from 'node:test';
import { MtlError } from '../../../../src/errors';
import { encodeIdx, readIdx, writeIdx, type IdxArray } from '../../../../src/data/formats/idx';
import { packageRoot } from '../../../../src/util/paths';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-idx-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function dataErrorFor(file: string, message: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof MtlError, `expected MtlError, got ${e}`);
    assert.equal(e.kind, 'data');
    assert.equal(e.problems[0].where.file, file);
    assert.match(e.message, message);
    return true;
  };
}

describe('IDX round trip', () => {
  const u8: IdxArray = { dtype: 'uint8', dims: [3, 2, 2], data: Uint8Array.from({ length: 12 }, (_, i) => (i * 37) % 256) };
  const f32: IdxArray = { dtype: 'float32', dims: [2, 3], data: Float32Array.from([0, -1.5, 3.25, 1e-7, 65504, -0]) };
  for (const arr of [u8, f32]) {
    for (const gzip of [true, false]) {
      it(`${arr.dtype}, ${gzip ? 'gzipped' : 'raw'}`, () => {
        const file = path.join(tmp, `rt-${arr.dtype}-${gzip}.idx`); // the name says nothing: detection is by magic
        writeIdx(file, arr, { gzip });
        const bytes = fs.readFileSync(file);
        assert.equal(bytes[0] === 0x1f && bytes[1] === 0x8b, gzip);
        const back = readIdx(file);
        assert.equal(back.dtype, arr.dtype);
        assert.deepEqual(back.dims, arr.dims);
        assert.deepEqual(back.data, arr.data);
      });
    }
  }

  it('other dtypes, big-endian on disk', () => {
    const cases: IdxArray[] = [
      { dtype: 'int8', dims: [4], data: Int8Array.from([-128, -1, 0, 127]) },
      { dtype: 'int16', dims: [2, 2], data: Int16Array.from([-32768, -2, 258, 32767]) },
      { dtype: 'int32', dims: [3], data: Int32Array.from([-2147483648, 16909060, 2147483647]) },
      { dtype: 'float64', dims: [2], data: Float64Array.from([Math.PI, -1e300]) },
    ];
    for (const arr of cases) {
      const file = path.join(tmp, `rt-${arr.dtype}.gz`);
      writeIdx(file, arr);
      assert.deepEqual(readIdx(file), arr);
    }
    const raw = encodeIdx({ dtype: 'int32', dims: [1], data: Int32Array.from([0x01020304]) });
    assert.deepEqual([...raw], [0, 0, 0x0c, 1, 0, 0, 0, 1, 1, 2, 3, 4]);
  });

  it('zero dimensions hold one value', () => {
    const file = path.join(tmp, 'scalar.idx');
    writeIdx(file, { dtype: 'float64', dims: [], data: Float64Array.from([2.5]) }, { gzip: false });
    assert.deepEqual(readIdx(file), { dtype: 'float64', dims: [], data: Float64Array.from([2.5]) });
  });
});

describe('IDX errors', () => {
  const write = (name: string, bytes: number[] | Buffer) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, Buffer.from(bytes as number[]));
    return file;
  };

  it('missing file', () => {
    const file = path.join(tmp, 'nope.gz');
    assert.throws(() => readIdx(file), dataErrorFor(file, /file not found/));
  });

  it('bad magic number, shown in hex with what is allowed', () => {
    const file = write('bad-magic', [0x50, 0x4b, 0x03, 0x04, 1, 2, 3]);
    assert.throws(() => readIdx(file), dataErrorFor(file, /bad magic number \(received "50 4b 03 04"; allowed: 00 00 <type code> <ndims>, type code one of 0x08 \(uint8\)/));
  });

  it('bad magic inside a gzip', () => {
    const file = write('bad-magic.gz', zlib.gzipSync(Buffer.from('hello world')));
    assert.throws(() => readIdx(file), dataErrorFor(file, /bad magic number \(received "68 65 6c 6c"/));
  });

  it('unknown type code', () => {
    const file = write('bad-type', [0, 0, 0x0a, 1, 0, 0, 0, 1, 7]);
    assert.throws(() => readIdx(file), dataErrorFor(file, /unknown IDX type code 0x0a \(allowed: 0x08 \(uint8\), 0x09 \(int8\), 0x0b \(int16\), 0x0c \(int32\), 0x0d \(float32\), 0x0e \(float64\)\)/));
  });

  it('truncated data', () => {
    const full = encodeIdx({ dtype: 'int16', dims: [2, 3], data: new Int16Array(6) });
    const file = write('truncated.gz', zlib.gzipSync(full.subarray(0, full.length - 5)));
    assert.throws(() => readIdx(file), dataErrorFor(file, /truncated file: expected 12 bytes of data .*found 7/));
  });

  it('truncated header', () => {
    const file = write('short-header', [0, 0, 8, 3, 0, 0, 0, 2]);
    assert.throws(() => readIdx(file), dataErrorFor(file, /truncated file: the header declares 3 dimensions/));
    const tiny = write('tiny', [0, 0]);
    assert.throws(() => readIdx(tiny), dataErrorFor(tiny, /truncated file/));
  });

  it('trailing data', () => {
    const file = write('long', [0, 0, 8, 1, 0, 0, 0, 1, 5, 6]);
    assert.throws(() => readIdx(file), dataErrorFor(file, /trailing data: expected 1 bytes of data .*found 2/));
  });

  it('corrupt gzip', () => {
    const gz = zlib.gzipSync(encodeIdx({ dtype: 'uint8', dims: [100], data: new Uint8Array(100).fill(7) }));
    const file = write('corrupt.gz', gz.subarray(0, gz.length - 12));
    assert.throws(() => readIdx(file), dataErrorFor(file, /corrupt gzip data/));
  });
});

describe('Fashion-MNIST files', () => {
  const expectDims = (dir: string, split: string, n: number) => {
    const images = readIdx(path.join(dir, `${split}-images-idx3-ubyte.gz`));
    const labels = readIdx(path.join(dir, `${split}-labels-idx1-ubyte.gz`));
    assert.equal(images.dtype, 'uint8');
    assert.deepEqual(images.dims, [n, 28, 28]);
    assert.deepEqual(labels.dims, [n]);
    assert.ok((labels.data as Uint8Array).every((l) => l < 10));
    return { images, labels };
  };

  it('the bundled subset', () => {
    const dir = path.join(packageRoot(), 'datasets', 'fashion-mnist');
    const train = expectDims(dir, 'train', 6000);
    expectDims(dir, 't10k', 1000);
    // Same per-class counts as datasets/fashion-mnist/README.md.
    const hist = new Array(10).fill(0);
    for (const l of train.labels.data) hist[l]++;
    assert.deepEqual(hist, [560, 643, 608, 612, 584, 594, 590, 617, 590, 602]);
  });

  const debian = '/usr/share/datasets/fashion-mnist';
  it('the Debian files (full set), of which the bundle is a prefix', (t) => {
    if (!fs.existsSync(debian)) return t.skip(`${debian} is absent (install dataset-fashion-mnist)`);
    const full = expectDims(debian, 't10k', 10000);
    const bundled = readIdx(path.join(packageRoot(), 'datasets', 'fashion-mnist', 't10k-images-idx3-ubyte.gz'));
    assert.deepEqual(bundled.data, full.images.data.subarray(0, 1000 * 784));
    expectDims(debian, 'train', 60000);
  });
});
