// File formats below the `files` data type: CSV quoting across chunk boundaries, NPY headers and
// dtypes, PNG/JPEG decoding with bilinear resizing, and the record readers on the committed fixtures.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { MtlError, type Problem } from '../../../../src/errors';
import { CsvParser, parseCsv, type CsvRow } from '../../../../src/data/formats/csv';
import { decodeImage, encodePng, resizeBilinear } from '../../../../src/data/formats/image';
import { decodeNpy, encodeNpy } from '../../../../src/data/formats/npy';
import { readRecords } from '../../../../src/data/formats/readers';
import type { DataRecord, ReaderOptions } from '../../../../src/data/formats/record';
import { packageRoot } from '../../../../src/util/paths';

const FIX = path.join(packageRoot(), 'test/fixtures/data');

describe('CSV parser', () => {
  const text = 'a,b,c\r\n1,"x, y",3\n2,"say ""hi""","two\nlines"\n\n3,,\n4,last,no-newline';
  const expected = [
    { fields: ['a', 'b', 'c'], line: 1 },
    { fields: ['1', 'x, y', '3'], line: 2 },
    { fields: ['2', 'say "hi"', 'two\nlines'], line: 3 },
    { fields: ['3', '', ''], line: 6 },
    { fields: ['4', 'last', 'no-newline'], line: 7 },
  ];

  it('handles quotes, embedded delimiters, doubled quotes, newlines, CRLF and blank lines', () => {
    assert.deepEqual(parseCsv(text), expected);
  });

  it('gives the same rows whatever the chunk boundaries', () => {
    for (const size of [1, 2, 3, 7]) {
      const p = new CsvParser(',');
      const rows: CsvRow[] = [];
      for (let i = 0; i < text.length; i += size) p.feed(text.slice(i, i + size), rows);
      p.end(rows);
      assert.deepEqual(rows, expected, `chunk size ${size}`);
    }
  });

  it('reports an unterminated quote', () => {
    const p = new CsvParser(',');
    p.feed('a,"open\n');
    assert.equal(p.openQuote, true);
  });
});

describe('NPY', () => {
  const cases = [
    { dtype: 'float32' as const, shape: [2, 3], data: Float32Array.from([1.5, -2, 3, 4, 5, 6.25]) },
    { dtype: 'int32' as const, shape: [3], data: Int32Array.from([7, -8, 9]) },
    { dtype: 'uint8' as const, shape: [2, 2], data: Uint8Array.from([0, 255, 17, 3]) },
  ];
  for (const c of cases) {
    it(`round-trips ${c.dtype} ${JSON.stringify(c.shape)}`, () => {
      const back = decodeNpy(encodeNpy(c), 'x.npy');
      assert.equal(back.dtype, c.dtype);
      assert.deepEqual(back.shape, c.shape);
      assert.deepEqual([...back.data], [...c.data]);
    });
  }

  it('rejects a bad magic, an unsupported dtype and truncated data, naming the file', () => {
    const good = encodeNpy(cases[0]);
    const badDtype = Buffer.from(good.toString('latin1').replace("'<f4'", "'>f4'"), 'latin1');
    for (const [buf, re] of [
      [Buffer.from('not numpy at all'), /bad magic/],
      [badDtype, /unsupported dtype ">f4"/],
      [good.subarray(0, good.length - 4), /expected 24 bytes of data/],
    ] as const) {
      assert.throws(() => decodeNpy(buf, 'x.npy'), (e: unknown) => e instanceof MtlError && e.kind === 'data' && re.test(e.message) && e.problems[0].where.file === 'x.npy');
    }
  });
});

describe('images', () => {
  it('decodes PNG and JPEG fixtures to RGBA', () => {
    const png = decodeImage(fs.readFileSync(path.join(FIX, 'images/light/0.png')));
    assert.deepEqual([png.width, png.height, png.data[0], png.data[3]], [4, 4, 200, 255]);
    const jpg = decodeImage(fs.readFileSync(path.join(FIX, 'images/light/2.jpg')));
    assert.deepEqual([jpg.width, jpg.height], [8, 8]);
    assert.ok(Math.abs(jpg.data[0] - 220) <= 3, `jpeg red ${jpg.data[0]}`);
    assert.throws(() => decodeImage(Buffer.from('hello')), /neither a PNG nor a JPEG/);
  });

  it('resizes bilinearly with half-pixel centres', () => {
    // A 2×1 image: black, white. Upsampled to 4 columns: samples at -0.25, 0.25, 0.75, 1.25 (clamped).
    const img = { width: 2, height: 1, data: Uint8Array.from([0, 0, 0, 255, 255, 255, 255, 255]) };
    const out = resizeBilinear(img, 1, 4, 1);
    assert.deepEqual([...out].map((v) => +v.toFixed(4)), [0, 0.25, 0.75, 1]);
    // Downsampling a constant image keeps the constant; RGB keeps the channels apart.
    const rgb = { width: 4, height: 4, data: Uint8Array.from({ length: 64 }, (_, i) => [51, 102, 204, 255][i % 4]) };
    assert.deepEqual([...resizeBilinear(rgb, 2, 2, 3)].map((v) => +v.toFixed(4)), [0.2, 0.4, 0.8, 0.2, 0.4, 0.8, 0.2, 0.4, 0.8, 0.2, 0.4, 0.8]);
  });

  it('round-trips a PNG through encodePng', () => {
    const img = { width: 3, height: 2, data: Uint8Array.from({ length: 24 }, (_, i) => (i * 11) % 256) };
    assert.deepEqual([...decodeImage(encodePng(img)).data], [...img.data]);
  });
});

async function collect(opts: Partial<ReaderOptions> & Pick<ReaderOptions, 'format'>): Promise<{ records: DataRecord[]; problems: Problem[] }> {
  const problems: Problem[] = [];
  const records: DataRecord[] = [];
  for await (const r of readRecords({ paths: [], chunkSize: 16, needed: [], ...opts }, (p) => problems.push(p))) records.push(r);
  return { records, problems };
}

describe('record readers on the fixtures', () => {
  const table: Array<{ name: string; opts: Partial<ReaderOptions> & Pick<ReaderOptions, 'format'>; rows: number; check: (r: DataRecord[]) => void }> = [
    { name: 'csv', opts: { format: 'csv', paths: [path.join(FIX, 'tiny.csv')] }, rows: 6, check: (r) => assert.deepEqual([r[3].fields.note, r[3].where.line, r[4].where.line], ['two\nlines', 5, 7]) },
    { name: 'tsv', opts: { format: 'tsv', paths: [path.join(FIX, 'tiny.tsv')] }, rows: 3, check: (r) => assert.equal(r[1].fields.species, 'virginica') },
    { name: 'jsonl', opts: { format: 'jsonl', paths: [path.join(FIX, 'tiny.jsonl')] }, rows: 4, check: (r) => assert.deepEqual([r[2].fields.price, r[2].where.line, r[1].fields.price], [30, 4, null]) },
    {
      name: 'conll',
      opts: { format: 'conll', paths: [path.join(FIX, 'tiny.conll')] },
      rows: 3,
      check: (r) => assert.deepEqual(r[1].fields, { label: 'travel', token: ['fly', 'to', 'New', 'York'], tag: ['O', 'O', 'B-LOC', 'I-LOC'] }),
    },
    { name: 'idx', opts: { format: 'idx', files: { image: path.join(FIX, 'tiny-images.idx'), label: path.join(FIX, 'tiny-labels.idx') } }, rows: 4, check: (r) => assert.deepEqual((r[1].fields.image as { shape: number[] }).shape, [2, 3]) },
    { name: 'npy', opts: { format: 'npy', files: { x: path.join(FIX, 'tiny-x.npy') } }, rows: 4, check: (r) => assert.deepEqual([...(r[3].fields.x as { data: Float32Array }).data], [10, 11, 12]) },
    { name: 'images (class folders)', opts: { format: 'images', paths: [path.join(FIX, 'images')] }, rows: 5, check: (r) => assert.deepEqual(r.map((x) => x.fields.label), ['dark', 'dark', 'light', 'light', 'light']) },
    { name: 'images (list file)', opts: { format: 'images', paths: [path.join(FIX, 'images/list.csv')] }, rows: 3, check: (r) => assert.equal(r[2].fields.file, 'light/2.jpg') },
  ];
  for (const c of table) {
    it(c.name, async () => {
      const { records, problems } = await collect(c.opts);
      assert.deepEqual(problems, []);
      assert.equal(records.length, c.rows);
      c.check(records);
    });
  }

  it('reports a missing column with the header line and a suggestion, and ragged rows with their line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-readers-'));
    const f = path.join(dir, 'bad.csv');
    fs.writeFileSync(f, 'length,width,species\n1,2,a\n1,2\n3,4,b\n');
    let r = await collect({ format: 'csv', paths: [f], needed: ['lenght'] });
    assert.equal(r.records.length, 0);
    assert.deepEqual(r.problems[0].where, { file: f, line: 1 });
    assert.match(r.problems[0].hint ?? '', /did you mean "length"/);
    r = await collect({ format: 'csv', paths: [f], needed: ['length'] });
    assert.equal(r.records.length, 2);
    assert.deepEqual(r.problems.map((p) => [p.where.line, p.message]), [[3, 'ragged row: 2 fields, the header has 3']]);
  });
});
