// The columnar formats — parquet (by row group), arrow (IPC file and stream, by record batch) and json
// (one array of objects) — on small files written by test/helpers/columnar-files: the values, null
// cells as masked labels, timestamp parts, bounded memory while streaming, and bad inputs reported
// with file and row as data errors (exit 3).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { disposeBatch } from '../../../../src/data/batching';
import { loadFiles, StreamSource } from '../../../../src/data/files';
import { parquetStats } from '../../../../src/data/formats/parquet';
import { readRecords } from '../../../../src/data/formats/readers';
import type { DataRecord, Format } from '../../../../src/data/formats/record';
import { MtlError, type Problem } from '../../../../src/errors';
import { useBackend } from '../../../helpers/backend';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { columns, writeArrow, writeParquet } from '../../../helpers/columnar-files';

before(() => useBackend('cpu'));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-columnar-'));
const at = (f: string) => path.join(dir, f);
const small = columns(10);
writeParquet(at('small.parquet'), small, 4);
writeArrow(at('small.arrow'), small, 'file');
writeArrow(at('small.arrows'), small, 'stream');
fs.writeFileSync(at('small.json'), JSON.stringify(small.x.map((x, i) => ({ x, cat: small.cat[i], label: small.label[i] }))));

async function read(format: Format, file: string, needed: string[]): Promise<{ recs: DataRecord[]; problems: Problem[] }> {
  const recs: DataRecord[] = [];
  const problems: Problem[] = [];
  for await (const r of readRecords({ format, paths: [file], chunkSize: 1024, needed }, (p) => problems.push(p))) recs.push(r);
  return { recs, problems };
}

describe('columnar formats: values', () => {
  for (const [format, file] of [['parquet', 'small.parquet'], ['arrow', 'small.arrow'], ['arrow', 'small.arrows'], ['json', 'small.json']] as const) {
    it(`${format} (${file}) gives every row with its values, nulls kept, rows numbered from 1`, async () => {
      const { recs, problems } = await read(format, at(file), ['x', 'cat', 'label']);
      assert.deepEqual(problems, []);
      assert.equal(recs.length, 10);
      assert.deepEqual(recs.map((r) => r.fields.x), [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5]);
      assert.deepEqual(recs.map((r) => r.fields.cat), ['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c', 'a']);
      assert.deepEqual(recs.map((r) => r.fields.label), [0, 1, 2, null, 1, 2, 0, null, 2, 0]);
      assert.deepEqual(recs.map((r) => r.where.row), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });
  }

  it('json: a dotted name that stops at text or a number in every row is one problem naming what the rows hold; one object reaching it is enough', async () => {
    const rows = [{ d: 'Jun 12 1998', m: { p: 3 }, n: 5 }, { d: null, m: 7, n: 6 }, { d: 'Aug 07 1998', n: { q: 1 } }];
    fs.writeFileSync(at('paths.json'), JSON.stringify(rows));
    const text = await read('json', at('paths.json'), ['d.year']);
    assert.deepEqual(text.problems.map((p) => [p.message, p.hint]), [
      ['no row has a field "d.year": "d" holds text (e.g. "Jun 12 1998"), which has no field "year"', '.year is read from a parquet or arrow timestamp column or from text holding ISO 8601 dates: 2012-01-31, 2012-01-31T13:45, 2012-01-31 13:45:30.5, optionally ending in Z or an offset (+01:00); write the dates so, or add a column holding the year to the file'],
    ]);
    assert.equal(text.recs.length, 0, 'nothing read');
    const number = await read('json', at('paths.json'), ['n.q.r']);
    assert.deepEqual(number.problems.map((p) => [p.message, p.hint]), [['no row has a field "n.q.r": "n" holds number (e.g. 5), which has no field "q.r"', 'a dotted name reads a field of a JSON object']]);
    // Row 1 reaches m.p (row 2's 7 is then a cell without it); a name no row has at all is the census's.
    for (const name of ['m.p', 'm.z']) assert.deepEqual((await read('json', at('paths.json'), [name])).problems, [], name);
  });

  it('parquet and arrow timestamps give their UTC parts (row 6: 2024-03-06 05:00, a Wednesday)', async () => {
    for (const f of ['small.parquet', 'small.arrow']) {
      const { recs } = await read(f.endsWith('parquet') ? 'parquet' : 'arrow', at(f), ['when.hour']);
      assert.deepEqual(recs[5].fields.when, { time: Date.UTC(2024, 2, 6, 5), year: 2024, month: 3, day: 6, weekday: 3, hour: 5, minute: 300 }, f);
    }
  });

  it('a null label is a masked target; categories and timestamp parts feed inputs', async () => {
    const cfg = {
      type: 'files',
      inputs: { x: { columns: ['x', 'when.hour'] }, cat: { column: 'cat', encoding: 'category' } },
      targets: { label: { column: 'label', type: 'classification', classes: 3 } },
      train: { format: 'parquet', path: 'small.parquet' },
    };
    const b = await loadFiles(cfg, { seed: 1, specDir: dir });
    assert.deepEqual([...b.train.targets.label.mask!], [1, 1, 1, 0, 1, 1, 1, 0, 1, 1]);
    assert.deepEqual([...b.train.inputs.x.data].slice(0, 6), [0, 0, 0.5, 1, 1, 2]);
    assert.deepEqual([...b.train.inputs.cat.data].slice(0, 4), [1, 2, 3, 1]);
  });

  it('a binary target with above: 1 where the number exceeds it (x > 2: rows 6..10)', async () => {
    const cfg = {
      type: 'files',
      inputs: { x: { column: 'x' } },
      targets: { late: { column: 'x', type: 'binary', above: 2 } },
      train: { format: 'arrow', path: 'small.arrows' },
    };
    const b = await loadFiles(cfg, { seed: 1, specDir: dir });
    assert.deepEqual([...b.train.targets.late.data], [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });
});

describe('parquet streaming', () => {
  it('reads a 12-group file one row group at a time, holding at most shuffleBuffer + batchSize encoded rows', async () => {
    const n = 6000;
    writeParquet(at('big.parquet'), columns(n), 500);
    const cfg = {
      type: 'files',
      inputs: { x: { column: 'x' } },
      targets: { label: { column: 'label', type: 'classification', classes: 3 } },
      train: { format: 'parquet', path: 'big.parquet', streaming: true },
      shuffleBuffer: 100,
    };
    const b = await loadFiles(cfg, { seed: 3, specDir: dir });
    const src = b.sources!.train as StreamSource;
    assert.equal(src.size, n);
    parquetStats.largestGroup = 0;
    const seen = new Set<number>();
    for await (const batch of src.batches({ batchSize: 32, shuffle: true, seed: 3, epoch: 0 })) {
      for (const v of batch.inputs.x.dataSync()) seen.add(v * 2);
      disposeBatch(batch);
    }
    assert.equal(seen.size, n);
    assert.ok(src.stats.maxRowsHeld <= 100 + 32, `held ${src.stats.maxRowsHeld}`);
    assert.equal(parquetStats.largestGroup, 500);
  });

  it('decodes a row group only when its rows are needed', async () => {
    const before = parquetStats.rowsDecoded;
    const it = readRecords({ format: 'parquet', paths: [at('big.parquet')], chunkSize: 1024, needed: ['x'] }, () => undefined)[Symbol.asyncIterator]();
    for (let i = 0; i < 501; i++) await it.next();
    assert.equal(parquetStats.rowsDecoded - before, 1000);
    await it.return!(undefined);
  });
});

describe('columnar formats: bad inputs', () => {
  const load = (format: string, file: string, inputs: Record<string, unknown> = { x: { column: 'x' } }) =>
    loadFiles({ type: 'files', inputs, targets: { label: { column: 'label', type: 'classification', classes: 3 } }, train: { format, path: file } }, { seed: 1, specDir: dir });
  const dataError = (re: RegExp, where: { file: string; row?: number }) => (e: unknown) => {
    assert.ok(e instanceof MtlError && e.kind === 'data', String(e));
    const p = e.problems.find((q) => re.test(q.message));
    assert.ok(p, `${re} in ${JSON.stringify(e.problems)}`);
    assert.equal(p.where.file, at(where.file));
    assert.equal(p.where.row, where.row);
    return true;
  };

  it('a missing column names the file, the spec key that asked for it, and suggests the near one', async () => {
    for (const f of ['small.parquet', 'small.arrow', 'small.json']) {
      await assert.rejects(load(f.split('.')[1], f, { x: { column: 'xx' } }), (e: unknown) => {
        dataError(/no column "xx"/, { file: f })(e);
        assert.match((e as MtlError).problems[0].hint ?? '', /"x"/);
        assert.equal((e as MtlError).problems[0].where.path, 'data.inputs.x');
        return true;
      });
    }
    // A target's column, and a dotted field (a timestamp's part) whose column is missing.
    await assert.rejects(loadFiles({ type: 'files', inputs: { x: { columns: ['x', 'when.hour'] } }, targets: { label: { column: 'Label', type: 'classification', classes: 3 } }, train: { format: 'json', path: 'small.json' } }, { seed: 1, specDir: dir }), (e: unknown) => {
      const paths = Object.fromEntries((e as MtlError).problems.map((p) => [p.message, p.where.path]));
      assert.deepEqual(paths, { 'no column "when" in the file': 'data.inputs.x', 'no column "Label" in the file': 'data.targets.label' });
      return true;
    });
  });

  it('a text column where numbers are needed names file and row', async () => {
    await assert.rejects(load('parquet', 'small.parquet', { x: { column: 'cat' } }), dataError(/non-numeric value/, { file: 'small.parquet', row: 1 }));
  });

  it('a parquet file whose footer is damaged', async () => {
    const b = fs.readFileSync(at('small.parquet'));
    fs.writeFileSync(at('corrupt.parquet'), Buffer.concat([b.subarray(0, b.length - 12), Buffer.from('xxxxxxxxPAR1')]));
    await assert.rejects(load('parquet', 'corrupt.parquet'), dataError(/not a readable parquet file/, { file: 'corrupt.parquet' }));
  });

  it('an arrow stream cut short names the first row it could not deliver', async () => {
    writeArrow(at('two.arrows'), columns(8), 'stream');
    // One record batch, cut in its body.
    const t = fs.readFileSync(at('two.arrows'));
    fs.writeFileSync(at('cut.arrows'), t.subarray(0, Math.floor(t.length * 0.6)));
    await assert.rejects(load('arrow', 'cut.arrows'), dataError(/stops being readable/, { file: 'cut.arrows', row: 1 }));
  });

  it('an arrow stream cut exactly after a complete record batch (no end-of-stream marker) is a data error', async () => {
    // Two record batches (3 and 2 rows); the stream ends with the 8-byte marker ff ff ff ff 00 00 00 00.
    const one = tableFromArrays({ x: Float64Array.from([1, 2, 3]), label: Int32Array.from([0, 1, 2]) });
    const full = tableToIPC(one.concat(tableFromArrays({ x: Float64Array.from([4, 5]), label: Int32Array.from([1, 0]) })), 'stream');
    const first = tableToIPC(one, 'stream');
    assert.equal(Buffer.from(full.subarray(full.length - 8)).toString('hex'), 'ffffffff00000000');
    // The first batch's stream is a prefix of the two-batch stream, up to its own marker.
    assert.ok(Buffer.from(full.subarray(0, first.length - 8)).equals(Buffer.from(first.subarray(0, first.length - 8))));
    const cases: Array<[string, Uint8Array, number]> = [
      ['after batch 1 of 2', full.subarray(0, first.length - 8), 4],
      ['after the last batch', full.subarray(0, full.length - 8), 6],
      ['inside the marker', full.subarray(0, full.length - 4), 6],
    ];
    for (const [name, bytes, row] of cases) {
      fs.writeFileSync(at('boundary.arrows'), bytes);
      await assert.rejects(load('arrow', 'boundary.arrows'), dataError(new RegExp(`ends after row ${row - 1} without its end-of-stream marker`), { file: 'boundary.arrows', row }), name);
    }
    // The whole stream, marker included, reads all five rows.
    fs.writeFileSync(at('whole.arrows'), full);
    const { recs, problems } = await read('arrow', at('whole.arrows'), ['x']);
    assert.deepEqual(problems, []);
    assert.deepEqual(recs.map((r) => r.fields.x), [1, 2, 3, 4, 5]);
  });

  it('json that is not an array', async () => {
    fs.writeFileSync(at('obj.json'), '{"x": 1}');
    await assert.rejects(load('json', 'obj.json'), dataError(/one JSON array of objects/, { file: 'obj.json' }));
  });
});
