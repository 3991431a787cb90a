// Owns the gate diagnostics of the mixture architectures (mmoe, cgc, ple, dselect-k): finding each
// gate in a built model (the first input of every expert mixture), and the statistics of its weights
// over a set of examples — utilisation (mean weight per expert), the entropy of that mean, the mean
// per-example entropy — and the collapse rule (DeepCTR #512, PaddleRec #721: gates that send every
// example to one expert go unseen otherwise).
import * as tf from '@tensorflow/tfjs';
import { ExpertMixture } from './units';

/** A gate of a built model: `name` is its mixture's name without `_mixture` (e.g. "left", "l1_shared"). */
export interface GateRef {
  name: string;
  /** The gate's output, (batch, experts). */
  output: tf.SymbolicTensor;
  experts: number;
}

export interface GateStats {
  /** Mean gate weight of each expert over the examples (sums to 1). */
  utilisation: number[];
  /** Entropy of the utilisation, in nats: 0 when one expert takes everything, ln(experts) when even. */
  entropy: number;
  /** entropy / ln(experts), in [0, 1] (0 with one expert). */
  normalisedEntropy: number;
  /** Mean over examples of each example's gate entropy (nats): low for a sparse gate such as DSelect-k, whatever the utilisation. */
  exampleEntropy: number;
  /** Set while the gate is collapsed (collapseCheck's reason). */
  collapsed?: string;
}

/**
 * A gate has collapsed when one expert takes more than SHARE of the mean weight, or when the
 * normalised utilisation entropy stays below ENTROPY for EPOCHS epochs in a row.
 */
export const GATE_COLLAPSE = { share: 0.95, entropy: 0.1, epochs: 2 } as const;

/** Every expert mixture's gate, in layer order. */
export function mixtureGates(model: tf.LayersModel): GateRef[] {
  const out: GateRef[] = [];
  for (const layer of model.layers) {
    if (!(layer instanceof ExpertMixture)) continue;
    const node = layer.inboundNodes[0];
    const gate = node?.inputTensors[0];
    if (!gate) continue;
    out.push({ name: layer.name.replace(/_mixture$/, ''), output: gate, experts: gate.shape[1] as number });
  }
  return out;
}

const entropyOf = (p: ArrayLike<number>): number => {
  let h = 0;
  for (let j = 0; j < p.length; j++) if (p[j] > 0) h -= p[j] * Math.log(p[j]);
  return h;
};

/** Running sums of one gate's weights over batches of examples. */
export class GateAccumulator {
  private sum: Float64Array;
  private exampleEntropySum = 0;
  rows = 0;

  constructor(readonly experts: number) {
    this.sum = new Float64Array(experts);
  }

  /** `weights`: (rows, experts) row-major. */
  add(weights: ArrayLike<number>): void {
    const n = weights.length / this.experts;
    for (let i = 0; i < n; i++) {
      const row = Array.prototype.slice.call(weights, i * this.experts, (i + 1) * this.experts) as number[];
      row.forEach((w, j) => (this.sum[j] += w));
      this.exampleEntropySum += entropyOf(row);
    }
    this.rows += n;
  }

  result(): GateStats {
    const total = this.sum.reduce((a, b) => a + b, 0);
    const utilisation = Array.from(this.sum, (s) => (total > 0 ? s / total : 0));
    const entropy = entropyOf(utilisation);
    return {
      utilisation,
      entropy,
      normalisedEntropy: this.experts > 1 ? entropy / Math.log(this.experts) : 0,
      exampleEntropy: this.rows ? this.exampleEntropySum / this.rows : 0,
    };
  }
}

/**
 * Whether the gate is collapsed this epoch, given how many epochs in a row (before this one) its
 * normalised entropy was already below the threshold; returns the new run length and a reason.
 */
export function collapseCheck(s: GateStats, lowBefore: number): { low: number; reason?: string } {
  // A gate over one expert has nothing to choose.
  if (s.utilisation.length < 2) return { low: 0 };
  const low = s.normalisedEntropy < GATE_COLLAPSE.entropy ? lowBefore + 1 : 0;
  const top = Math.max(...s.utilisation);
  const expert = s.utilisation.indexOf(top) + 1;
  if (top > GATE_COLLAPSE.share) return { low, reason: `expert ${expert} takes ${(100 * top).toFixed(1)} % of the weight (> ${100 * GATE_COLLAPSE.share} %)` };
  if (low >= GATE_COLLAPSE.epochs) return { low, reason: `normalised entropy ${s.normalisedEntropy.toFixed(3)} < ${GATE_COLLAPSE.entropy} for ${low} epochs` };
  return { low };
}
