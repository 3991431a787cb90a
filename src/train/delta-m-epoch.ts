// Owns Δm% per epoch (issue: the spec's `baselines:`): a callback that measures each epoch's
// validation metrics against the baseline runs (src/eval/baselines.ts) with Δm% (src/eval/delta-m.ts)
// and writes it into the epoch record, where `monitor: delta-m` (best checkpoint, early stopping) reads it.
import { baselinesReadFor, readBaselines } from '../eval/baselines';
import { deltaM, type Direction, type TaskMetrics } from '../eval/delta-m';
import { configError } from '../errors';
import { metrics } from '../metrics/index';
import type { ResolvedSpec } from '../spec/types';
import type { Callback } from './callbacks';
import type { EpochRecord } from './events';

/** Each metric key's direction from the spec's metric descriptors (a loss is lower-is-better in deltaM). */
function directions(r: ResolvedSpec): (task: string, key: string) => Direction | undefined {
  const table = new Map<string, Direction>();
  for (const [t, task] of Object.entries(r.tasks)) {
    for (const m of task.metrics) {
      const d = metrics.get(m.type);
      table.set(`${t}\u0000${d.key(m)}`, d.higherIsBetter ? 'higher' : 'lower');
    }
  }
  return (task, key) => table.get(`${task}\u0000${key}`);
}

export class DeltaMRecorder implements Callback {
  constructor(
    private readonly baseline: TaskMetrics,
    private readonly direction: (task: string, key: string) => Direction | undefined,
  ) {}

  epochEnd(rec: EpochRecord): void {
    if (!rec.val) return;
    const own = Object.fromEntries(Object.keys(this.baseline).map((t) => [t, rec.val!.tasks[t] ?? {}]));
    const d = deltaM(own, this.baseline, { direction: this.direction });
    rec.deltaM = { value: Number.isFinite(d.value) ? d.value : null, tasks: d.tasks };
  }
}

/** The spec's main tasks (auxiliary tasks stay out of Δm%, as in compare). */
export const mainTasks = (r: ResolvedSpec) => Object.keys(r.tasks).filter((t) => !r.tasks[t].auxiliary);

/**
 * The Δm% callback of a spec with `baselines:`: the values validation read (not read again after the
 * run folder exists); a spec validated elsewhere reads them here (a folder changed since is a config error).
 */
export function deltaMCallback(r: ResolvedSpec): DeltaMRecorder | undefined {
  if (!r.baselines) return undefined;
  const { values, problems } = baselinesReadFor(r) ?? readBaselines(r.baselines, mainTasks(r));
  if (problems.length) throw configError(problems.map((p) => ({ where: { path: p.task && typeof r.baselines === 'object' ? `baselines.${p.task}` : 'baselines' }, message: p.message, hint: p.hint })));
  return new DeltaMRecorder(values, directions(r));
}
