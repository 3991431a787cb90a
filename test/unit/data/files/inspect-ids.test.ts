// `mtl data inspect` counts the out-of-vocabulary and missing values of embedded inputs in a streamed
// training file too (training skips that pass), with counts worked out by hand from the file.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { dataInspectCommand, inspectData } from '../../../../src/cli/commands/data';
import { loadFiles } from '../../../../src/data/files';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-inspect-ids-'));
// Train (streamed): city a ×4, b ×2, c ×1, d ×1, missing ×2 → with minCount 2 the vocabulary is a, b:
// out of vocabulary c and d = 2 of 8 values. Val: a, b, e, f, e (e, f never trained: 3 of 5), 1 missing.
const train = ['a', 'b', 'a', null, 'c', 'a', 'b', 'd', '', 'a'];
const val = ['a', 'e', 'b', null, 'f', 'e'];
const write = (name: string, cities: Array<string | null>) => fs.writeFileSync(path.join(dir, name), cities.map((c, i) => JSON.stringify({ city: c, y: i })).join('\n') + '\n');
write('train.jsonl', train);
write('val.jsonl', val);
fs.writeFileSync(
  path.join(dir, 'spec.yaml'),
  `name: inspect-ids
data:
  type: files
  inputs:
    city: {field: city, encoding: embedding, minCount: 2}
  targets:
    y: {field: y, type: regression}
  train: {format: jsonl, path: train.jsonl, streaming: true}
  val: {format: jsonl, path: val.jsonl, streaming: true}
inputs:
  city: {shape: [1], dtype: int32}
features:
  city: {embedding: 2}
backbone: [{dense: {units: 2}}]
tasks:
  y: {type: regression, head: [{dense: {units: 1}}], loss: mse}
`,
);

describe('data inspect: id counts of a streamed training file', () => {
  it('counts train and val by hand; training itself does not read the file again', async () => {
    const rep = await inspectData(path.join(dir, 'spec.yaml'));
    assert.deepEqual(rep.ids, { train: { city: { values: 8, oov: 2, missing: 2 } }, val: { city: { values: 5, oov: 3, missing: 1 } } });
    const lines: string[] = [];
    await dataInspectCommand(path.join(dir, 'spec.yaml'), {}, { out: (l: string) => lines.push(l), err: () => undefined } as never);
    assert.ok(lines.includes('out of vocabulary in train (city): 2 of 8 values (25.0%); missing 2'), lines.join('\n'));
    // Training's load: the streamed train is counted by its fit pass only, so it has no id counts.
    const cfg = { type: 'files', inputs: { city: { field: 'city', encoding: 'embedding', minCount: 2 } }, targets: { y: { field: 'y', type: 'regression' } }, train: { format: 'jsonl', path: 'train.jsonl', streaming: true }, val: { format: 'jsonl', path: 'val.jsonl', streaming: true } };
    const b = await loadFiles(cfg, { seed: 1, specDir: dir });
    assert.deepEqual(b.idCounts, { val: { city: { values: 5, oov: 3, missing: 1 } } });
  });
});
