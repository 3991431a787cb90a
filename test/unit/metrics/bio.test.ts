// Entity-level metrics and token accuracy on hand-made BIO sequences, with conlleval's chunk rules
// (an I-X not preceded by B-X/I-X starts an entity; type and both boundaries must match).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunks } from '../../../src/metrics/bio';
import { metrics } from '../../../src/metrics/index';
import type { MetricInput } from '../../../src/metrics/types';

const TAGS = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];
const idx = (t: string) => TAGS.indexOf(t);

/**
 * Sentences of tag names (gold, predicted) → a MetricInput laid out as the evaluator lays out a
 * token-level task: one row per real token ('-' is padding, dropped), one-hot predictions, and
 * sequenceStarts marking each sentence's first token.
 */
function input(gold: string[][], pred: string[][]): MetricInput {
  const yTrue: number[] = [];
  const yPred: number[] = [];
  const starts: number[] = [];
  gold.forEach((row, i) => {
    let first = true;
    row.forEach((g, t) => {
      if (g === '-') return;
      yTrue.push(idx(g));
      const p = new Array<number>(TAGS.length).fill(0);
      p[idx(pred[i][t])] = 1;
      yPred.push(...p);
      starts.push(first ? 1 : 0);
      first = false;
    });
  });
  return { yTrue: Int32Array.from(yTrue), yPred: Float32Array.from(yPred), n: yTrue.length, predDim: TAGS.length, sequenceStarts: Uint8Array.from(starts) };
}

const fn = (type: string) => metrics.get(type).create({ tags: TAGS }, { taskType: 'classification' });

describe('BIO chunks (conlleval rules)', () => {
  const cases: Array<{ tags: string[]; want: string[] }> = [
    { tags: ['B-PER', 'I-PER', 'O', 'B-LOC'], want: ['PER 0-1', 'LOC 3-3'] },
    { tags: ['I-PER', 'I-PER', 'O', 'I-LOC'], want: ['PER 0-1', 'LOC 3-3'] }, // I- without B- starts an entity
    { tags: ['B-PER', 'B-PER'], want: ['PER 0-0', 'PER 1-1'] },
    { tags: ['B-PER', 'I-LOC', 'I-LOC'], want: ['PER 0-0', 'LOC 1-2'] }, // a type change starts an entity
    { tags: ['O', 'I-PER', 'B-LOC', 'I-PER'], want: ['PER 1-1', 'LOC 2-2', 'PER 3-3'] },
    { tags: ['O', 'O'], want: [] },
    // unseen: other's extra class is not a BIO tag (once read as an entity of type "ther>"): a
    // one-token entity of its own that ends an open one; an I- after it starts a new entity.
    { tags: ['B-PER', '<other>', 'I-PER'], want: ['PER 0-0', '<other> 1-1', 'PER 2-2'] },
    { tags: ['<other>', '<other>'], want: ['<other> 0-0', '<other> 1-1'] },
    // BIOES: S- is one token, E- ends an entity; an I- or E- after E- starts a new one.
    { tags: ['B-PER', 'I-PER', 'E-PER', 'S-LOC', 'O'], want: ['PER 0-2', 'LOC 3-3'] },
    { tags: ['B-PER', 'E-PER', 'I-PER', 'E-PER'], want: ['PER 0-1', 'PER 2-3'] },
    { tags: ['S-PER', 'S-PER', 'E-LOC'], want: ['PER 0-0', 'PER 1-1', 'LOC 2-2'] },
    { tags: ['B-PER', 'E-LOC'], want: ['PER 0-0', 'LOC 1-1'] },
  ];
  for (const c of cases) {
    it(c.tags.join(' '), () => assert.deepEqual(chunks(c.tags).map((x) => `${x.type} ${x.start}-${x.end}`), c.want));
  }
});

describe('entity-precision / entity-recall / entity-f1 / token-accuracy', () => {
  const cases: Array<{ name: string; gold: string[][]; pred: string[][]; p: number; r: number; acc: number }> = [
    { name: 'exact match', gold: [['B-PER', 'I-PER', 'O', 'B-LOC']], pred: [['B-PER', 'I-PER', 'O', 'B-LOC']], p: 1, r: 1, acc: 1 },
    { name: 'I- without B- still matches the same span', gold: [['B-PER', 'I-PER', 'O', 'B-LOC']], pred: [['I-PER', 'I-PER', 'O', 'I-LOC']], p: 1, r: 1, acc: 2 / 4 },
    { name: 'right boundary wrong', gold: [['B-PER', 'I-PER', 'O', 'B-LOC']], pred: [['B-PER', 'O', 'O', 'B-LOC']], p: 1 / 2, r: 1 / 2, acc: 3 / 4 },
    { name: 'type wrong', gold: [['B-PER', 'I-PER', 'O', 'O']], pred: [['B-LOC', 'I-LOC', 'O', 'O']], p: 0, r: 0, acc: 2 / 4 },
    { name: 'extra predicted entity', gold: [['B-PER', 'O', 'O', 'O']], pred: [['B-PER', 'O', 'B-LOC', 'I-LOC']], p: 1 / 2, r: 1, acc: 2 / 4 },
    { name: 'split entity', gold: [['B-LOC', 'I-LOC', 'I-LOC', 'O']], pred: [['B-LOC', 'B-LOC', 'I-LOC', 'O']], p: 0, r: 0, acc: 3 / 4 },
    {
      name: 'padding ignored, rows are separate sentences',
      gold: [['O', 'B-PER', '-', '-'], ['I-PER', 'O', 'B-LOC', '-']],
      pred: [['O', 'B-PER', '-', '-'], ['I-PER', 'O', 'O', '-']],
      p: 2 / 2,
      r: 2 / 3,
      acc: 4 / 5,
    },
    { name: 'no entities predicted', gold: [['B-PER', 'O']], pred: [['O', 'O']], p: 0, r: 0, acc: 1 / 2 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const x = input(c.gold, c.pred);
      const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);
      close(fn('entity-precision')(x), c.p, 'precision');
      close(fn('entity-recall')(x), c.r, 'recall');
      close(fn('entity-f1')(x), c.p + c.r ? (2 * c.p * c.r) / (c.p + c.r) : 0, 'f1');
      close(fn('token-accuracy')(x), c.acc, 'token accuracy');
    });
  }

  it('sentence boundaries split entities: an I- opening the next sentence starts a new one', () => {
    const gold = [['O', 'B-PER'], ['B-PER', 'O']];
    const pred = [['O', 'B-PER'], ['I-PER', 'O']];
    assert.equal(fn('entity-precision')(input(gold, pred)), 1);
    const joined = { ...input(gold, pred), sequenceStarts: undefined };
    assert.equal(fn('entity-precision')(joined), 0, 'without boundaries the two would merge into one wrong entity');
  });

  it('also reads rows of steps tokens, negative gold tags being padding', () => {
    const steps = 3;
    const gold = [[idx('B-LOC'), idx('I-LOC'), -1], [idx('O'), idx('B-PER'), idx('I-PER')]];
    const pred = [['B-LOC', 'I-LOC', 'B-PER'], ['O', 'B-PER', 'O']];
    const yPred = new Float32Array(2 * steps * TAGS.length);
    pred.flat().forEach((p, k) => (yPred[k * TAGS.length + idx(p)] = 1));
    const x: MetricInput = { yTrue: Int32Array.from(gold.flat()), yPred, n: 2, predDim: steps * TAGS.length };
    assert.equal(fn('entity-precision')(x), 1 / 2);
    assert.equal(fn('entity-recall')(x), 1 / 2);
    assert.equal(fn('token-accuracy')(x), 4 / 5);
  });

  it('tags: learn takes the names the data learnt: equal to the explicit list', () => {
    const gold = [['B-PER', 'I-PER', 'O', 'B-LOC']];
    const pred = [['B-PER', 'O', 'O', 'B-LOC']];
    for (const m of ['entity-precision', 'entity-recall', 'entity-f1']) {
      const learnt = metrics.get(m).create({ tags: 'learn' }, { taskType: 'classification', classNames: [...TAGS] })(input(gold, pred));
      assert.equal(learnt, fn(m)(input(gold, pred)), m);
    }
    assert.throws(() => metrics.get('entity-f1').create({ tags: 'learn' }, { taskType: 'classification' }), /learnt no class names/);
  });

  it('<other> (unseen: other) never counts as a correct entity or token: gold is a miss, predicted is wrong', () => {
    const names = [...TAGS, '<other>'];
    const ix = (t: string) => names.indexOf(t);
    const make = (gold: string[], pred: string[]): MetricInput => ({
      yTrue: Int32Array.from(gold.map(ix)),
      yPred: Float32Array.from(pred.flatMap((p) => names.map((x) => (x === p ? 1 : 0)))),
      n: gold.length,
      predDim: names.length,
      sequenceStarts: Uint8Array.from(gold.map((_, i) => (i === 0 ? 1 : 0))),
    });
    const ctx = { taskType: 'classification' as const, classNames: names };
    const m = (type: string) => metrics.get(type).create({ tags: 'learn' }, ctx);
    // gold: PER 0-0, <other> 2-2, LOC 3-3 (3 entities); predicted: PER 0-0, <other> 2-2, B-LOC 3-3 → right: PER, LOC.
    const x = make(['B-PER', 'O', '<other>', 'B-LOC'], ['B-PER', 'O', '<other>', 'B-LOC']);
    assert.equal(m('entity-precision')(x), 2 / 3);
    assert.equal(m('entity-recall')(x), 2 / 3);
    // token accuracy: 4 tokens, the <other> one wrong although predicted as <other>.
    assert.equal(metrics.get('token-accuracy').create({}, ctx)(x), 3 / 4);
    // Without learnt names nothing is <other>: the same indices are one more right token.
    assert.equal(metrics.get('token-accuracy').create({}, { taskType: 'classification' })(x), 4 / 4);
    // accuracy on sentence rows: gold <other> is wrong whatever is predicted.
    const rows = { yTrue: Int32Array.from([0, 5, 5]), yPred: Float32Array.from([[1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1], [1, 0, 0, 0, 0, 0]].flat()), n: 3, predDim: 6 };
    assert.equal(metrics.get('accuracy').create({}, ctx)(rows), 1 / 3);
  });

  it('BIOES: exact P/R/F1 counted by hand', () => {
    const T = ['O', 'B-PER', 'I-PER', 'E-PER', 'S-PER', 'B-LOC', 'E-LOC', 'S-LOC'];
    const make = (gold: string[][], pred: string[][]): MetricInput => {
      const g = gold.flat();
      const p = pred.flat();
      return {
        yTrue: Int32Array.from(g.map((t) => T.indexOf(t))),
        yPred: Float32Array.from(p.flatMap((t) => T.map((x) => (x === t ? 1 : 0)))),
        n: g.length,
        predDim: T.length,
        sequenceStarts: Uint8Array.from(gold.flatMap((s) => s.map((_, i) => (i === 0 ? 1 : 0)))),
      };
    };
    // gold: PER 0-2, LOC 3-3 | LOC 0-1, PER 3-3 → 4 entities.
    // pred: PER 0-2 (right), LOC 3-3 (right) | PER 0-0 + LOC 1-1 (type change: both wrong), PER 3-3 (right) → 5 predicted, 3 right.
    const x = make(
      [['B-PER', 'I-PER', 'E-PER', 'S-LOC'], ['B-LOC', 'E-LOC', 'O', 'S-PER']],
      [['B-PER', 'I-PER', 'E-PER', 'S-LOC'], ['S-PER', 'E-LOC', 'O', 'S-PER']],
    );
    const m = (type: string) => metrics.get(type).create({ tags: T }, { taskType: 'classification' })(x);
    assert.equal(m('entity-precision'), 3 / 5);
    assert.equal(m('entity-recall'), 3 / 4);
    assert.ok(Math.abs(m('entity-f1') - 2 / 3) < 1e-12);
  });

  it('a tag index beyond the tags list is an error that names the list', () => {
    const f = metrics.get('entity-f1').create({ tags: ['O', 'B-PER'] }, { taskType: 'classification' });
    assert.throws(() => f(input([['B-LOC']], [['O']])), /tags list has 2 entries/);
  });
});
