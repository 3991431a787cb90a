// Owns reporting the labels of a val/test pass that no training row has: under `unseen: error` one
// data error per target listing every such label with its count (and saying when the validation
// hold-out is the cause); under `missing`/`other` a note for `mtl data inspect`.
import type { Problem } from '../../errors';
import { CategoryEncoder } from './category-encoder';
import type { Encoder } from './encoder';
import type { Prepared } from './rows';

/** split → task → label → rows (or tokens) with that unseen label. */
export type UnseenNotes = Record<string, Record<string, Record<string, number>>>;

const LIST = 20;

/** Drains the unseen labels of one pass over `p`; problems for `unseen: error`, counts into `notes`. */
export function unseenAfterPass(p: Prepared, split: string, notes: UnseenNotes, report: (x: Problem) => void): void {
  for (const [task, e] of p.targets as Array<[string, Encoder]>) {
    if (!(e instanceof CategoryEncoder)) continue;
    const u = e.drainUnseen();
    if (!u.size) continue;
    const byCount = [...u.entries()].sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1));
    const counts = ((notes[split] ??= {})[task] ??= {});
    for (const [l, { count }] of byCount) counts[l] = (counts[l] ?? 0) + count;
    if (e.unseenPolicy !== 'error') continue;
    const shown = byCount.slice(0, LIST).map(([l, { count, where }]) => `"${l}" ×${count} (first at line ${where.line ?? where.row ?? '?'})`);
    const more = byCount.length > LIST ? `, and ${byCount.length - LIST} more` : '';
    const heldOut = p.holdOut?.keep === 'val';
    report({
      where: { ...byCount[0][1].where, path: `data.${e.key}` },
      message: `${byCount.length} label${byCount.length > 1 ? 's' : ''} of ${p.name} ${heldOut ? `occur${byCount.length > 1 ? '' : 's'} only in rows held out for validation` : `${byCount.length > 1 ? 'are' : 'is'} not in the training data`}: ${shown.join(', ')}${more}`,
      hint: `${heldOut ? 'train.validation took every row with this label out of the training file, so no training row teaches it; give a val file (or a smaller hold-out), or ' : ''}set unseen: missing (mask these labels out) or unseen: other (an extra class) on data.${e.key}`,
    });
  }
}
