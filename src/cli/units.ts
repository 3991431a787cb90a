// Owns the note under a metrics table that says which regression tasks were trained z-scored
// (data.targets.<t>.normalize): their loss, mae and rmse are then in training standard deviations, not
// in the data's units — a mass MAE of 0.3771 is 304 g when one standard deviation is 807 g. Reads the
// run's data-state.json, where the files data type keeps each z-scored target's mean and std.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fmt } from './reporter';

/** Each z-scored target's training standard deviations (one per column), from RUN/data-state.json. */
export function zScoredTargets(runDir: string): Record<string, number[]> {
  let state: { encoders?: Record<string, { std?: unknown }> };
  try {
    state = JSON.parse(fs.readFileSync(path.join(runDir, 'data-state.json'), 'utf8'));
  } catch {
    return {};
  }
  const out: Record<string, number[]> = {};
  for (const [key, e] of Object.entries(state?.encoders ?? {})) {
    const std = e?.std;
    if (key.startsWith('targets.') && Array.isArray(std) && std.length && std.every((s) => typeof s === 'number')) out[key.slice('targets.'.length)] = std as number[];
  }
  return out;
}

/** One line per z-scored task of the table: its scale, and mae/rmse back in the data's units (one column). */
export function unitNotes(scales: Record<string, number[]>, m: { tasks: Record<string, Record<string, number>> }): string[] {
  const notes: string[] = [];
  for (const [t, metrics] of Object.entries(m.tasks)) {
    const std = scales[t];
    if (!std) continue;
    const head = `${t} is z-scored (normalize: true): its loss, mae and rmse are on that scale`;
    if (std.length > 1) {
      notes.push(`${head} (1 sd of the training values, per column = ${std.map((s) => fmt(s)).join(', ')})`);
      continue;
    }
    const back = ['mae', 'rmse'].filter((k) => typeof metrics[k] === 'number').map((k) => `${k} ${fmt(metrics[k] * std[0])}`);
    notes.push(`${head} (1 sd of the training values = ${fmt(std[0])})${back.length ? `; in the data's units: ${back.join(', ')}` : ''}`);
  }
  return notes;
}
