// Owns the gate diagnostics of mixture architectures as a training callback: after each epoch, every
// gate's statistics (src/architectures/gates.ts) over the validation split (the training split when
// there is none; at most MAX_ROWS rows, in inference mode) go into the epoch record (metrics.json
// epochs[].gates, with `collapsed` and its reason while a gate is collapsed), and a gate that
// collapses adds a warning line at that epoch (once, not every epoch it stays so). The run lengths of
// low entropy and which gates are collapsed are carried over --resume.
import * as tf from '@tensorflow/tfjs';
import { collapseCheck, GateAccumulator, mixtureGates, type GateRef, type GateStats } from '../architectures/gates';
import { disposeBatch } from '../data/batching';
import { toBatchSource } from '../data/source';
import type { Callback } from './callbacks';
import type { EpochRecord } from './events';
import type { Run } from './setup';

/** Rows read per epoch: enough for stable means, cheap next to an epoch. */
export const MAX_ROWS = 2048;

/** Gate statistics of `gates` over at most maxRows rows of `run`'s validation (else training) split. */
export async function gateStatistics(run: Pick<Run, 'built' | 'sets' | 'r'>, gates: GateRef[], net: tf.LayersModel, maxRows = MAX_ROWS): Promise<Record<string, GateStats>> {
  const accs = gates.map((g) => new GateAccumulator(g.experts));
  const { inputNames } = run.built;
  let rows = 0;
  for await (const batch of toBatchSource(run.sets.val ?? run.sets.train).batches({ batchSize: run.r.train.batchSize, shuffle: false, seed: 0, epoch: 0 })) {
    if (rows >= maxRows) {
      disposeBatch(batch);
      break;
    }
    tf.tidy(() => {
      const xs = inputNames.map((n) => batch.inputs[n]);
      const out = net.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor | tf.Tensor[];
      const outs = Array.isArray(out) ? out : [out];
      const take = Math.min(batch.size, maxRows - rows);
      outs.forEach((o, k) => accs[k].add(o.dataSync().subarray(0, take * gates[k].experts)));
      rows += take;
    });
    disposeBatch(batch);
  }
  return Object.fromEntries(gates.map((g, k) => [g.name, accs[k].result()]));
}

export class GateDiagnostics implements Callback {
  readonly stateKey = 'gates';
  /** Per gate, epochs in a row with normalised entropy below the collapse threshold. */
  private low: Record<string, number> = {};
  /** Gates collapsed at the last epoch (warned about already). */
  private collapsed: Record<string, boolean> = {};
  private readonly net: tf.LayersModel;

  constructor(
    private readonly run: Pick<Run, 'built' | 'sets' | 'r'>,
    private readonly gates: GateRef[],
  ) {
    // A second model over the same layers (not disposed: it owns no weights of its own).
    this.net = tf.model({ inputs: run.built.model.inputs, outputs: gates.map((g) => g.output) });
  }

  state() {
    return { low: this.low, collapsed: this.collapsed };
  }

  restore(saved: unknown): void {
    const s = saved as { low?: Record<string, number>; collapsed?: Record<string, boolean> } | undefined;
    this.low = s?.low ?? {};
    this.collapsed = s?.collapsed ?? {};
  }

  async epochEnd(rec: EpochRecord): Promise<void> {
    const stats = await gateStatistics(this.run, this.gates, this.net);
    rec.gates = stats;
    for (const [name, s] of Object.entries(stats)) {
      const { low, reason } = collapseCheck(s, this.low[name] ?? 0);
      this.low[name] = low;
      const was = this.collapsed[name] ?? false;
      this.collapsed[name] = reason !== undefined;
      if (!reason) continue;
      s.collapsed = reason;
      if (!was) (rec.warnings ??= []).push(`gate "${name}" has collapsed at epoch ${rec.epoch}: ${reason} (utilisation ${s.utilisation.map((u) => u.toFixed(3)).join(', ')})`);
    }
  }
}

/** The gate-diagnostics callback of a run whose model has expert gates, else undefined. */
export function gateDiagnosticsFor(run: Pick<Run, 'built' | 'sets' | 'r'>): GateDiagnostics | undefined {
  const gates = mixtureGates(run.built.model);
  return gates.length ? new GateDiagnostics(run, gates) : undefined;
}
