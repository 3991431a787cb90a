// Owns what `mtl eval`, `mtl predict` and `mtl compare` (anything reading a run folder back) say about how far the
// run got: its status in metrics.json (killed after a kill's recovery, or when a `running` run's process is gone —
// compare reads without recovering), the epochs it committed of those its
// spec asked for, and where an interrupted run's checkpoints/last stands inside an epoch — so that a
// partial run is never mistaken for a finished one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lockHolder } from './run-folder';

export interface RunStatus {
  /** metrics.json's run.status (running, completed, early-stopped, interrupted, failed, killed), or unknown. */
  status: string;
  /** Whole epochs committed (the last epoch record of metrics.json). */
  epochs: number;
  /** train.epochs of the run's resolved spec. */
  plannedEpochs: number;
  /** Whether training ran to its end (completed, or early-stopped). */
  finished: boolean;
  /** checkpoints/last written inside an epoch (Ctrl-C, checkpoint.everySteps): that epoch and its steps taken. */
  partial?: { epoch: number; steps: number };
  /** A failed run's reason (non-finite, data, …). */
  reason?: string;
  /** A run still training: the pid holding its lock. */
  pid?: number;
  /** The spec it was trained from (for the --resume hint). */
  spec?: string;
}

function readObject(file: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8'));
    return v && typeof v === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A checkpoint written inside an epoch (state.json's partial: that epoch and its steps taken). */
export function checkpointPartial(dir: string): RunStatus['partial'] {
  const p = readObject(path.join(dir, 'state.json'))?.partial as RunStatus['partial'];
  return p && typeof p.epoch === 'number' && typeof p.steps === 'number' ? { epoch: p.epoch, steps: p.steps } : undefined;
}

/**
 * The run's status as its folder records it. A `running` run without a live process holding its lock is
 * reported killed, as recoverRunDir (run by eval and predict first) marks it; nothing is written here.
 */
export function readRunStatus(runDir: string, plannedEpochs: number): RunStatus {
  const m = readObject(path.join(runDir, 'metrics.json'));
  const run = (m?.run ?? {}) as { status?: unknown; reason?: unknown; spec?: unknown };
  const records = Array.isArray(m?.epochs) ? (m.epochs as Array<{ epoch?: unknown }>) : [];
  const lastEpoch = records.length ? records[records.length - 1].epoch : 0;
  const recorded = typeof run.status === 'string' ? run.status : 'unknown';
  const partial = checkpointPartial(path.join(runDir, 'checkpoints', 'last'));
  const pid = recorded === 'running' ? lockHolder(runDir) : undefined;
  const status = recorded === 'running' && pid === undefined ? 'killed' : recorded;
  return {
    status,
    epochs: typeof lastEpoch === 'number' ? lastEpoch : 0,
    plannedEpochs,
    finished: status === 'completed' || status === 'early-stopped',
    ...(partial ? { partial } : {}),
    ...(typeof run.reason === 'string' ? { reason: run.reason } : {}),
    ...(pid !== undefined ? { pid } : {}),
    ...(typeof run.spec === 'string' ? { spec: run.spec } : {}),
  };
}

/**
 * One line: `run status: killed during epoch 4 of 12 (3 whole epochs committed) — evaluating checkpoint
 * best (epoch 3); …` for what was evaluated (`checkpoint`: its name and epoch).
 */
export function runStatusLine(s: RunStatus, runDir: string, checkpoint: string, doing = 'evaluating'): string {
  return runStatusText(s, runDir, `${doing} checkpoint ${checkpoint}`);
}

/** The same line with what is done with the run in words of the caller's (`comparing its test metrics …`). */
export function runStatusText(s: RunStatus, runDir: string, evaluating: string): string {
  const of = `of ${s.plannedEpochs}`;
  if (s.status === 'completed') return `run status: completed (${s.epochs} ${of} epochs) — ${evaluating}`;
  if (s.status === 'early-stopped') return `run status: early-stopped after epoch ${s.epochs} ${of} — ${evaluating}`;
  if (s.status === 'unknown') return `run status: unknown (no readable metrics.json) — ${evaluating}; the run may be incomplete`;
  const who = s.status === 'running' ? `running${s.pid !== undefined ? ` (process ${s.pid})` : ''}` : s.status === 'failed' && s.reason ? `failed (${s.reason})` : s.status;
  const steps = s.partial ? `; checkpoints/last is after step ${s.partial.steps} of it` : '';
  const where = s.epochs < s.plannedEpochs ? `during epoch ${s.epochs + 1} ${of} (${s.epochs} whole epoch${s.epochs === 1 ? '' : 's'} committed${steps})` : `after its last epoch (${s.epochs} ${of}), before its final test evaluation ended`;
  const next = s.status === 'running' ? 'training is still going on' : s.spec ? `continue it with: mtl train ${s.spec} --resume ${runDir}` : `continue it with: mtl train SPEC --resume ${runDir}`;
  return `run status: ${who} ${where} — ${evaluating}; a partial run, not a finished one (${next})`;
}
