// Owns handing the spec's loss-weight schedules to the weighting strategy: per epoch, each task's
// scheduled weight (or its fixed one). Only static weighting reads it (the spec checks that).
import type { ResolvedSpec } from '../spec/types';
import { weightAt } from '../weighting/weight-schedule';

/** `{weightsAt}` for the strategy context when some task's weight is a schedule, else nothing. */
export function weightSchedules(r: ResolvedSpec): { weightsAt?: (epoch: number) => number[] } {
  const tasks = Object.values(r.tasks);
  if (!tasks.some((t) => t.weightSchedule)) return {};
  return { weightsAt: (epoch) => tasks.map((t) => (t.weightSchedule ? weightAt(t.weightSchedule, epoch) : t.weight)) };
}
