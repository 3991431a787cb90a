// Owns reading checkpoints written before the weighting strategy's variables were one per task (issue
// #9). Then uw kept every task's log-variance in one unnamed [T] variable: tfjs named it with a number
// ('2'), the optimizer held one slot per kind for it ('2/m', '2/v' under Adam, first in each block since
// integer-like names sort first, see step.ts slotOrder), and gradOrder listed it under that number.
// Such a checkpoint is migrated on resume: each slot is split into T scalar slots under the per-task
// variables' stable names, placed where the current layout puts them (after the model's), so the
// resumed run continues exactly as the old one would have.
import * as tf from '@tensorflow/tfjs';
import { checkpointError } from '../errors';
import type { SavedSlot } from './checkpoint';

const isIndexName = (n: string) => /^(0|[1-9]\d*)$/.test(n);
/** A slot name is '<variable>/<kind>'. */
const variableOf = (slot: string) => (slot.includes('/') ? slot.slice(0, slot.lastIndexOf('/')) : '');

/**
 * For restoreOptimizer: the saved slots in the current layout. On an old-layout checkpoint it also
 * rewrites state.gradOrder (the order the slots were saved in) to match.
 */
export function currentLayout(state: { gradOrder?: string[] }, perTask: readonly string[], dir: string): (slots: SavedSlot[]) => SavedSlot[] {
  return (slots) => {
    const legacy = legacyVariable(slots.map((s) => s.name), state.gradOrder);
    if (legacy === null) return slots;
    if (state.gradOrder) state.gradOrder = migrateGradOrder(state.gradOrder, legacy, perTask, dir);
    return splitLegacySlots(slots, legacy, perTask, dir);
  };
}

function layoutError(dir: string, perTask: readonly string[], received: string) {
  return checkpointError([
    {
      where: { file: dir },
      message: `the optimizer state is in an older layout (one weighting variable for all tasks) that cannot be mapped onto this strategy's ${perTask.length} per-task variable(s)`,
      received,
      hint: 'resume with the mtl version that wrote the checkpoint, or start a new run',
    },
  ]);
}

/** The old layout's variable (an integer-like name), from gradOrder or else from the slot names; null: current layout. */
export function legacyVariable(slotNames: readonly string[], gradOrder: readonly string[] | undefined): string | null {
  const names = [...(gradOrder ?? []), ...slotNames.map(variableOf)].filter(isIndexName);
  return names.length ? names[0] : null;
}

/**
 * The optimizer's saved weights in the current layout: the legacy variable's slot of each block (one
 * block per slot kind, one entry per variable in slot order; after the leading 'iter') is removed and
 * replaced by one scalar slot per task at the block's end. `perTask` are the stable names of the
 * strategy's variables now (none: the slots are dropped). A layout that does not fit is a checkpoint error.
 */
export function splitLegacySlots(slots: readonly SavedSlot[], legacy: string, perTask: readonly string[], dir: string): SavedSlot[] {
  const head = slots.length && slots[0].name === 'iter' ? [slots[0]] : [];
  const rest = slots.slice(head.length);
  const at = rest.flatMap((s, i) => (variableOf(s.name) === legacy ? [i] : []));
  if (!at.length) return [...slots];
  const n = rest.length / at.length;
  const fits = Number.isInteger(n) && at.every((i, k) => i === at[0] + k * n) && rest.every((s, i) => !at.includes(i) || s.tensor.size === perTask.length || !perTask.length);
  if (!fits) throw layoutError(dir, perTask, at.map((i) => `${rest[i].name} [${rest[i].tensor.shape.join(',')}]`).join(', '));
  const blocks = at.map((p, k) => {
    const block = rest.slice(k * n, (k + 1) * n);
    const [vector] = block.splice(p - k * n, 1);
    const kind = vector.name.slice(legacy.length);
    const values = vector.tensor.dataSync();
    return [...block, ...perTask.map((name, t) => ({ name: name + kind, tensor: tf.scalar(values[t], vector.tensor.dtype as 'float32') }))];
  });
  return [...head, ...blocks.flat()];
}

/** gradOrder in the current layout: the legacy variable replaced by the per-task ones, which slotOrder places last. */
export function migrateGradOrder(order: readonly string[], legacy: string, perTask: readonly string[], dir: string): string[] {
  const next = [...order.filter((n) => n !== legacy), ...perTask];
  if (next.some(isIndexName)) throw layoutError(dir, perTask, `gradOrder ${order.join(', ')}`);
  return next;
}
