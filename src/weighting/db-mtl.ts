// DB-MTL (Lin et al., "Dual-Balancing for Multi-Task Learning", 2023): loss-scale balancing by taking
// the gradients of log L_t, and gradient-magnitude balancing by scaling each task's EMA gradient up to
// the largest EMA gradient norm.
// Paper: https://arxiv.org/abs/2308.12029
import * as tf from '@tensorflow/tfjs';
import { num, opts } from '../util/options';
import { field, gradientStrategy, KeptMatrix } from './gradient-common';
import { gramOf, lossValues, rowNorms, scaleRows } from './gradmath';
import { strategy, type StrategyDescriptor } from './strategy';

/**
 * Lin et al. eq. 3–5: ĝ_t = ∇log(L_t + ε) = g_t/(L_t + ε); buffer_t ← ĝ_t + β_k(buffer_t − ĝ_t) with
 * β_k = β/k^σ (k = 1, 2, …; buffer starts at 0); direction Σ_t (max_s‖buffer_s‖ / ‖buffer_t‖)·buffer_t.
 * Returns the new buffer (caller owns it), the direction and the scale factors.
 */
export function dbMtlStep(G: tf.Tensor2D, losses: readonly number[], buffer: tf.Tensor2D | null, betaK: number): { buffer: tf.Tensor2D; direction: tf.Tensor1D; weights: number[] } {
  return tf.tidy(() => {
    const scaled = scaleRows(G, losses.map((l) => 1 / (l + 1e-8)));
    const next = (buffer ? tf.add(scaled, tf.mul(betaK, tf.sub(buffer, scaled))) : tf.mul(1 - betaK, scaled)) as tf.Tensor2D;
    const norms = rowNorms(gramOf(next));
    const top = Math.max(...norms);
    // A (near-)zero buffer contributes nothing; scaling it up to the top norm would only report a huge weight.
    const alpha = norms.map((n) => (n > 1e-6 * top ? top / n : 0));
    const direction = tf.matMul(tf.tensor2d([alpha]), next).reshape([-1]) as tf.Tensor1D;
    return { buffer: next, direction, weights: alpha };
  });
}

export const dbMtlWeighting: StrategyDescriptor = strategy({
  type: 'db-mtl',
  description: 'DB-MTL (Lin et al. 2023): gradients of log-losses, EMA-smoothed and scaled to the largest norm',
  options: opts({
    beta: num({ minimum: 0, exclusiveMaximum: 1, default: 0.9, description: 'EMA rate β of the per-task gradient buffers, below 1 (β = 1 would keep the buffers at 0: the shared layers would never move)' }),
    betaSigma: num({ minimum: 0, default: 0, description: 'Decay exponent σ: the EMA rate at step k is β/k^σ' }),
  }),
  create(cfg, ctx) {
    const beta = cfg.beta;
    const sigma = cfg.betaSigma;
    const buffer = new KeptMatrix();
    let k = 0;
    return gradientStrategy(
      ctx,
      (g) => {
        k++;
        const L = lossValues(g.losses);
        const prev = buffer.rows(g.present);
        const r = dbMtlStep(g.grads, L, prev, beta / k ** sigma);
        buffer.release(prev);
        buffer.setRows(g.present, r.buffer, g.taskNames.length);
        // The heads also receive ∇log L_t = g_t / L_t, as the method differentiates log-losses throughout.
        return { direction: r.direction, weights: r.weights, headWeights: L.map((l) => 1 / (l + 1e-8)) };
      },
      {
        state: () => ({ k, buffer: buffer.toJson() }),
        restore: (s) => {
          k = typeof field(s, 'k') === 'number' ? (field(s, 'k') as number) : 0;
          buffer.fromJson(field(s, 'buffer') ?? null);
        },
        dispose: () => buffer.dispose(),
      },
    );
  },
});
