// Owns everything written to the terminal: progress bars on a TTY, plain lines elsewhere, tables,
// and JSON for --json. No other module writes to stdout or stderr.
import { MultiBar, Presets, SingleBar } from 'cli-progress';
import type { SplitMetrics } from '../eval/evaluate';
import type { EarlyStopSummary } from '../train/callbacks';
import type { EpochRecord, RunStartInfo, StepProgress, TrainReporter } from '../train/events';
import { unitNotes, zScoredTargets } from './units';

export interface Output {
  out(line: string): void;
  err(line: string): void;
  isTTY: boolean;
}

export const consoleOutput: Output = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
  isTTY: Boolean(process.stderr.isTTY),
};

/** A number for a table: `digits` decimals (none from 1000 up); a value that rounds to zero prints without a sign (no "-0.0000"). */
export const fmt = (v: number | undefined | null, digits = 4): string => {
  if (v === undefined || v === null) return '-';
  if (Number.isNaN(v)) return 'NaN';
  const s = Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(digits);
  return /^-[0.]+$/.test(s) ? s.slice(1) : s;
};

/** A plain-text table with aligned columns. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** One row per task: loss and every metric of a split. */
export function metricsTable(m: SplitMetrics): string {
  const tasks = Object.keys(m.tasks);
  const keys = [...new Set(tasks.flatMap((t) => Object.keys(m.tasks[t])))];
  const none = new Set(m.unlabelled ?? []);
  const rows = tasks.map((t) => [t, ...keys.map((k) => (none.has(t) ? '–' : fmt(m.tasks[t][k])))]);
  // A task without a labelled row has no values here (NaN in memory, null in the JSON): say why.
  const note = none.size ? `\n${[...none].join(', ')}: no labelled row in this split, so no loss or metrics` : '';
  return table(['task', ...keys], rows) + note + constantNotes(m);
}

/** An accuracy that a constant answer matches reads like a result: say so under the table. */
function constantNotes(m: SplitMetrics): string {
  return Object.entries(m.noBetterThanConstant ?? {})
    .map(([t, c]) => {
      const label = c.name !== undefined ? JSON.stringify(c.name) : String(c.label);
      return `\n${t}: accuracy ${fmt(c.modelAccuracy)} is no better than answering ${label} for every row, which scores ${fmt(c.accuracy)} (the most frequent label of these ${c.rows} labelled rows); see macro-f1, auc or mtl eval --details for what the model tells apart`;
    })
    .join('');
}

function epochLine(rec: EpochRecord, epochs: number): string {
  // A task without a labelled batch this epoch (task sampling, partial labels) has no training loss, so
  // neither has the weighted sum: say which, instead of printing NaN.
  const unlabelled = rec.train.unlabelled ?? [];
  const loss = unlabelled.length ? `loss – (no labelled ${unlabelled.join(', ')} batch this epoch)` : `loss ${fmt(rec.train.loss)}`;
  const parts = [`epoch ${rec.epoch}/${epochs}`, loss];
  if (rec.val) parts.push(`val_loss ${fmt(rec.val.loss)}`);
  for (const [t, m] of Object.entries(rec.val?.tasks ?? rec.train.tasks)) {
    const extras = Object.entries(m)
      .filter(([k]) => k !== 'loss')
      .map(([k, v]) => `${k} ${fmt(v)}`);
    parts.push(`${t}: ${[`loss ${fmt(m.loss)}`, ...extras].join(' ')}`);
  }
  if (rec.deltaM) parts.push(`Δm ${rec.deltaM.value === null ? 'n/a' : `${rec.deltaM.value >= 0 ? '+' : ''}${rec.deltaM.value.toFixed(2)}%`}`);
  parts.push(`${rec.wallTime.toFixed(1)}s`, `${rec.samplesPerSecond.toFixed(0)} samples/s`);
  if (rec.bestEpoch === rec.epoch) parts.push('(best)');
  return parts.join(' | ');
}

/** Why early stopping ended the run, in its own monitor's terms (the best checkpoint may watch another). */
export function stoppedEarlyLine(es: EarlyStopSummary, lastEpoch: number | undefined): string {
  const best = es.best === null ? 'no finite value' : `the best ${fmt(es.best)} (epoch ${es.bestEpoch ?? '-'})`;
  const delta = es.minDelta ? ` by more than minDelta ${es.minDelta}` : '';
  const n = es.sinceImprovement;
  return `stopped early${lastEpoch !== undefined ? ` after epoch ${lastEpoch}` : ''}: early stopping's ${es.monitor} (${es.mode}) did not improve on ${best}${delta} for ${n} epoch${n === 1 ? '' : 's'} (patience ${es.patience})`;
}

/** Training display: a cli-progress bar per epoch on a TTY, one line per epoch otherwise. */
export function trainReporter(o: Output, opts: { progress: boolean; quiet: boolean; summary: boolean }): TrainReporter {
  const bars = opts.progress && o.isTTY && !opts.quiet;
  let epochs = 0;
  let bar: SingleBar | undefined;
  let multi: MultiBar | undefined;
  let tasks: string[] = [];
  return {
    start(info: RunStartInfo) {
      epochs = info.epochs;
      tasks = info.taskNames;
      if (opts.quiet) return;
      o.err(`run folder: ${info.runDir}`);
      o.err(`backend: ${info.backend} | samples: train ${info.samples.train}, val ${info.samples.val}, test ${info.samples.test} | ${info.stepsPerEpoch} steps/epoch`);
    },
    epochStart(epoch, total, steps) {
      if (!bars) return;
      multi = new MultiBar(
        {
          format: `epoch ${epoch}/${total} [{bar}] {value}/{total} | {rate} samples/s | ETA {eta_formatted} | {losses}`,
          hideCursor: true,
          clearOnComplete: false,
          stream: process.stderr,
          etaBuffer: 20,
        },
        Presets.shades_classic,
      );
      bar = multi.create(steps, 0, { rate: '-', losses: tasks.map((t) => `${t} -`).join(' ') });
    },
    step(p: StepProgress) {
      if (!bar) return;
      bar.update(p.step, {
        rate: (p.samples / Math.max(p.seconds, 1e-9)).toFixed(0),
        losses: Object.entries(p.losses)
          .map(([t, l]) => `${t} ${fmt(l)}`)
          .join(' '),
      });
    },
    epochEnd(rec) {
      multi?.stop();
      bar = undefined;
      multi = undefined;
      if (!opts.quiet) o.err(epochLine(rec, epochs));
    },
    warning(message) {
      o.err(`warning: ${message}`);
    },
    end(s) {
      if (!opts.summary) return;
      const last = s.last;
      if (s.stoppedEarly) o.out(stoppedEarlyLine(s.stoppedEarly, s.last?.epoch));
      if (s.stoppedEarly) o.out(`best checkpoint: epoch ${s.best.epoch ?? '-'} (${s.best.monitor} ${fmt(s.best.value)})`);
      else o.out(`${s.status === 'early-stopped' ? 'stopped early' : 'done'}: best epoch ${s.best.epoch ?? '-'} (${s.best.monitor} ${fmt(s.best.value)})`);
      const scales = zScoredTargets(s.runDir);
      const notes = (m: SplitMetrics) => unitNotes(scales, m).map((n) => `\n${n}`).join('');
      if (last) o.out(`\nlast epoch, ${last.val ? 'validation' : 'training'}:\n${metricsTable(last.val ?? last.train)}${notes(last.val ?? last.train)}`);
      if (s.test) o.out(`\ntest (best checkpoint):\n${metricsTable(s.test)}${notes(s.test)}`);
      o.out(`\nrun folder: ${s.runDir}`);
    },
  };
}
