// GradVac (Wang et al., "Gradient Vaccine", ICLR 2021): like PCGrad, but each pair's cosine similarity
// is pulled up to an EMA target φ̂_ij rather than to 0, so positively aligned tasks stay aligned.
// Paper: https://arxiv.org/abs/2010.05874
import { shuffleInPlace } from '../util/random';
import { num, opts } from '../util/options';
import { field, gradientStrategy, numMatrix } from './gradient-common';
import { combineRows, gramOf, matVec, type Mat } from './gradmath';
import { stepRandom } from './pcgrad';
import { pick, put } from './present';
import { strategy, type StrategyDescriptor } from './strategy';

/**
 * One GradVac step on the whole shared gradient (Wang et al. Alg. 2, eq. 2): for each task i and the
 * others j in random order, if cos(g_i', g_j) < φ̂_ij add
 * ‖g_i'‖(φ̂√(1−φ²) − φ√(1−φ̂²)) / (‖g_j‖√(1−φ̂²)) · g_j; then φ̂_ij ← (1−β)φ̂_ij + βφ_ij.
 * Works in Gram coordinates; updates `targets` in place and returns the weights of Σ_i g_i'.
 */
export function gradvacWeights(M: Mat, targets: Mat, beta: number, rand: () => number): number[] {
  const T = M.length;
  const w = new Array<number>(T).fill(0);
  for (let i = 0; i < T; i++) {
    const c = new Array<number>(T).fill(0);
    c[i] = 1;
    const order = shuffleInPlace(Array.from({ length: T }, (_, k) => k).filter((k) => k !== i), rand);
    for (const j of order) {
      const Mc = matVec(M, c);
      const ni = Math.sqrt(Math.max(c.reduce((s, ck, k) => s + ck * Mc[k], 0), 0));
      const nj = Math.sqrt(Math.max(M[j][j], 0));
      if (ni < 1e-20 || nj < 1e-20) continue;
      const phi = Math.max(-1, Math.min(1, Mc[j] / (ni * nj)));
      const target = targets[i][j];
      const s = Math.sqrt(Math.max(1 - target * target, 0));
      if (phi < target && s > 1e-12) c[j] += (ni * (target * Math.sqrt(1 - phi * phi) - phi * s)) / (nj * s);
      targets[i][j] = (1 - beta) * target + beta * phi;
    }
    c.forEach((ck, k) => (w[k] += ck));
  }
  return w;
}

export const gradvacWeighting: StrategyDescriptor = strategy({
  type: 'gradvac',
  description: 'GradVac (Wang et al. 2021): raise each pair\'s gradient cosine to its running-average target, then sum',
  options: opts({
    beta: num({ minimum: 0, maximum: 1, default: 0.5, description: 'EMA rate of the cosine targets φ̂' }),
  }),
  create(config, ctx) {
    const beta = config.beta;
    const T = ctx.taskNames.length;
    let targets: Mat = Array.from({ length: T }, () => new Array<number>(T).fill(0));
    return gradientStrategy(
      ctx,
      (g) => {
        // The present tasks' block of the target matrix, updated in place and written back.
        const sub = pick(targets, g.present).map((row) => pick(row, g.present));
        const w = gradvacWeights(gramOf(g.grads), sub, beta, stepRandom(ctx.seed, g.step));
        targets = put(targets, g.present, g.present.map((t, k) => put(targets[t], g.present, sub[k])));
        return { direction: combineRows(g.grads, w), weights: w };
      },
      {
        state: () => ({ targets }),
        restore: (s) => {
          const m = numMatrix(field(s, 'targets'));
          if (m && m.length === T) targets = m.map((r) => [...r]);
        },
      },
    );
  },
});
