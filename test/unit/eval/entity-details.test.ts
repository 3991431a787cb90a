// Per-entity-type precision, recall and F1 of `mtl eval --details` (issue 10 item 2) on sentences
// counted by hand, added one at a time as predict's rows stream; the micro totals equal the
// entity-precision/recall/f1 metrics on the same sentences.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EntityCounter } from '../../../src/eval/details';
import { metrics } from '../../../src/metrics/index';
import type { MetricInput } from '../../../src/metrics/types';

const TAGS = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC', 'B-ORG'];

const SENTENCES: Array<[string[], string[]]> = [
  // gold PER 0-1, LOC 3-3; pred PER 0-1 (right), LOC 3-3 (right)
  [['B-PER', 'I-PER', 'O', 'B-LOC'], ['B-PER', 'I-PER', 'O', 'B-LOC']],
  // gold LOC 0-1; pred PER 0-1 (wrong type)
  [['B-LOC', 'I-LOC', 'O'], ['B-PER', 'I-PER', 'O']],
  // gold PER 1-2, ORG 3-3; pred PER 1-1 (partial: wrong), ORG 3-3 (right)
  [['O', 'B-PER', 'I-PER', 'B-ORG'], ['O', 'B-PER', 'O', 'B-ORG']],
  // gold LOC 0-0 written I-LOC (I- without B-); pred LOC 0-0 (right), ORG 2-2 (extra)
  [['I-LOC', 'O', 'O'], ['B-LOC', 'O', 'B-ORG']],
];

function asInput(): MetricInput {
  const yTrue: number[] = [];
  const yPred: number[] = [];
  const starts: number[] = [];
  for (const [gold, pred] of SENTENCES) {
    gold.forEach((g, i) => {
      yTrue.push(TAGS.indexOf(g));
      yPred.push(...TAGS.map((t) => (t === pred[i] ? 1 : 0)));
      starts.push(i === 0 ? 1 : 0);
    });
  }
  return { yTrue: Int32Array.from(yTrue), yPred: Float32Array.from(yPred), n: yTrue.length, predDim: TAGS.length, sequenceStarts: Uint8Array.from(starts) };
}

describe('per-entity-type details', () => {
  it('counts each type by hand and its micro totals equal the entity metrics', () => {
    const c = new EntityCounter();
    for (const [g, p] of SENTENCES) c.add(g, p);
    const d = c.result();
    assert.equal(d.sentences, 4);
    assert.deepEqual(Object.keys(d.perType), ['LOC', 'ORG', 'PER']);
    // LOC: gold 3 (s1, s2, s4), predicted 2 (s1, s4), right 2 → P 1, R 2/3, F1 0.8.
    const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
    const loc = d.perType.LOC;
    assert.deepEqual([loc.correct, loc.predicted, loc.gold, loc.precision, loc.recall], [2, 2, 3, 1, 2 / 3]);
    near(loc.f1, 0.8);
    // ORG: gold 1, predicted 2, right 1 → P ½, R 1, F1 2/3.
    const org = d.perType.ORG;
    assert.deepEqual([org.correct, org.predicted, org.gold, org.precision, org.recall], [1, 2, 1, 0.5, 1]);
    near(org.f1, 2 / 3);
    // PER: gold 2 (s1, s3), predicted 3 (s1, s2, s3), right 1 → P 1/3, R ½, F1 0.4.
    const per = d.perType.PER;
    assert.deepEqual([per.correct, per.predicted, per.gold], [1, 3, 2]);
    near(per.f1, 0.4);
    // micro: right 4 of 7 predicted, of 6 gold.
    assert.deepEqual([d.micro.correct, d.micro.predicted, d.micro.gold], [4, 7, 6]);
    const x = asInput();
    const m = (type: string) => metrics.get(type).create({ tags: TAGS }, { taskType: 'classification' })(x);
    assert.equal(d.micro.precision, m('entity-precision'));
    assert.equal(d.micro.recall, m('entity-recall'));
    assert.equal(d.micro.f1, m('entity-f1'));
    assert.equal(d.micro.precision, 4 / 7);
    assert.equal(d.micro.recall, 4 / 6);
    near(d.macro.f1, (0.8 + 2 / 3 + 0.4) / 3);
  });

  it('<other> (unseen: other) is its own row that is never right', () => {
    const c = new EntityCounter();
    c.add(['B-PER', '<other>'], ['B-PER', '<other>']);
    const d = c.result();
    assert.deepEqual([d.perType['<other>'].correct, d.perType['<other>'].gold, d.perType['<other>'].predicted], [0, 1, 1]);
    assert.deepEqual([d.micro.correct, d.micro.gold], [1, 2]);
  });
});
