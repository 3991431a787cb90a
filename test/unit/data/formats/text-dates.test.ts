// Dates written as ISO 8601 text (vega-datasets' seattle-weather.csv "2012-01-01", cars.json's
// "Year": "1970-01-01") give `date.year`, `.month`, `.day`, `.weekday`, `.hour`, `.minute`, `.time` in
// csv, json and jsonl as parquet/arrow timestamps do; text that is no such date is a data error at its
// line, never a value. Expected parts worked out by hand from the calendar.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { loadFiles } from '../../../../src/data/files';
import { isoDate } from '../../../../src/data/formats/dates';
import { MtlError } from '../../../../src/errors';
import { useBackend } from '../../../helpers/backend';
import { tableFromArrays, tableToIPC } from 'apache-arrow';

before(() => useBackend('cpu'));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-text-dates-'));
const write = (name: string, text: string) => {
  fs.writeFileSync(path.join(dir, name), text);
  return name;
};
const PARTS = ['d.year', 'd.month', 'd.day', 'd.weekday', 'd.hour', 'd.minute'];

describe('isoDate', () => {
  it('reads dates and date-times as UTC, moves an offset to UTC, refuses impossible and other text', () => {
    assert.equal(isoDate('2012-01-31')?.getTime(), Date.UTC(2012, 0, 31));
    assert.equal(isoDate('2012-01-31 13:45:30.5')?.getTime(), Date.UTC(2012, 0, 31, 13, 45, 30, 500));
    assert.equal(isoDate('2012-01-31T13:45Z')?.getTime(), Date.UTC(2012, 0, 31, 13, 45));
    // 23:30 at −02:00 is 01:30 UTC the next day (1 February); +0530 is 5 h 30 min ahead of UTC.
    assert.equal(isoDate('2012-01-31T23:30:00-02:00')?.getTime(), Date.UTC(2012, 1, 1, 1, 30));
    assert.equal(isoDate('2012-01-31T05:30+0530')?.getTime(), Date.UTC(2012, 0, 31, 0, 0));
    for (const bad of ['2012-02-30', '2011-02-29', '2012-13-01', '2012-01-31T24:00', '2012-1-31', 'Jun 12 1998', '31/01/2012', '2012', '']) assert.equal(isoDate(bad), undefined, bad);
    assert.equal(isoDate('2012-02-29')?.getTime(), Date.UTC(2012, 1, 29), 'a leap day');
  });
});

describe('text dates as fields', () => {
  // 2012-01-01 was a Sunday (0); 2024-03-06 a Wednesday (3); 01:30 UTC on 1 Feb 2012, a Wednesday (3).
  const expected = [
    [2012, 1, 1, 0, 0, 0],
    [2024, 3, 6, 3, 5, 300],
    [2012, 2, 1, 3, 1, 90],
  ];
  const text = ['2012-01-01', '2024-03-06T05:00:00Z', '2012-01-31T23:30:00-02:00'];
  const sources = {
    csv: write('d.csv', `d,y\n${text.map((t, i) => `${t},${i}`).join('\n')}\n`),
    json: write('d.json', JSON.stringify(text.map((d, y) => ({ d, y })))),
    jsonl: write('d.jsonl', text.map((d, y) => JSON.stringify({ d, y })).join('\n')),
    arrow: 'd.arrow',
  };
  fs.writeFileSync(path.join(dir, 'd.arrow'), tableToIPC(tableFromArrays({ d: text, y: Float64Array.from([0, 1, 2]) }), 'file'));
  for (const [format, file] of Object.entries(sources)) {
    it(`${format}: d.year … d.minute of ISO 8601 text, as for a timestamp`, async () => {
      const b = await loadFiles({ type: 'files', inputs: { x: { columns: PARTS } }, targets: { y: { column: 'y', type: 'regression' } }, train: { format, path: file } }, { seed: 1, specDir: dir });
      const x = Array.from(b.train.inputs.x.data as Float32Array);
      assert.deepEqual(x, expected.flat());
    });
  }

  it('a weekday read as a category and time in ms', async () => {
    const b = await loadFiles({ type: 'files', inputs: { t: { columns: ['d.time'] }, w: { column: 'd.weekday', encoding: 'category' } }, targets: { y: { column: 'y', type: 'regression' } }, train: { format: 'csv', path: sources.csv } }, { seed: 1, specDir: dir });
    assert.deepEqual(Array.from(b.train.inputs.t.data as Float32Array), [Date.UTC(2012, 0, 1), Date.UTC(2024, 2, 6, 5), Date.UTC(2012, 1, 1, 1, 30)].map(Math.fround));
    const w = Array.from(b.train.inputs.w.data as Int32Array);
    assert.ok(w[1] === w[2] && w[0] !== w[1], `Sunday, Wednesday, Wednesday: ${w}`);
  });

  it('text that is no ISO date is a data error at its line (never a category "Jun 12 1998"); an empty date is a missing value', async () => {
    const file = write('bad.csv', 'd,y\n2012-01-01,0\nJun 12 1998,1\n,2\n2012-02-30,3\n');
    for (const encoding of ['numeric', 'category']) {
      const cfg = { type: 'files', inputs: { w: { column: 'd.weekday', encoding } }, targets: { y: { column: 'y', type: 'regression' } }, train: { format: 'csv', path: file } };
      await assert.rejects(loadFiles(cfg, { seed: 1, specDir: dir }), (e: unknown) => {
        assert.ok(e instanceof MtlError && e.kind === 'data', String(e));
        const lines = e.problems.map((p) => [p.where.line, p.where.path, p.message]);
        assert.deepEqual(lines.filter(([l]) => l !== 4), [
          [3, 'data.inputs.w', '"d" holds "Jun 12 1998", which is not a date mtl reads, so "d.weekday" has no value'],
          [5, 'data.inputs.w', '"d" holds "2012-02-30", which is not a date mtl reads, so "d.weekday" has no value'],
        ]);
        assert.match(String(lines.find(([l]) => l === 4)?.[2]), /"d\.weekday" is empty/, 'an empty date is a missing input');
        return true;
      });
    }
  });

  it('json: a text date gives its year (cars.json\'s "Year": "1970-01-01"); a column of other text keeps naming what it holds', async () => {
    const cars = write('cars.json', JSON.stringify([{ Year: '1970-01-01', mpg: 18 }, { Year: '1982-01-01', mpg: 31 }]));
    const b = await loadFiles({ type: 'files', inputs: { x: { columns: ['Year.year'] } }, targets: { mpg: { column: 'mpg', type: 'regression' } }, train: { format: 'json', path: cars } }, { seed: 1, specDir: dir });
    assert.deepEqual(Array.from(b.train.inputs.x.data as Float32Array), [1970, 1982]);
  });
});
