// Owns temperature task sampling (data.sampling: {type: temperature, T}): task t is drawn with
// probability p_t ∝ n_t^(1/T), n_t its number of training rows — T = 1 is proportional to size, larger
// T flattens towards uniform — as in multilingual and multi-dataset training (Arivazhagan et al. 2019,
// arXiv:1907.05019, §4.2; Conneau et al. 2020, arXiv:1911.02116, with α = 1/T).

/** p_t = n_t^(1/T) / Σ_k n_k^(1/T); a task with no rows is never drawn. */
export function temperatureProbabilities(sizes: readonly number[], T: number): number[] {
  const w = sizes.map((n) => (n > 0 ? Math.pow(n, 1 / T) : 0));
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

/** The task whose cumulative-probability interval holds u ∈ [0, 1) (inverse CDF; rounding goes to the last task with p > 0). */
export function drawTask(p: readonly number[], u: number): number {
  let last = 0;
  for (let k = 0; k < p.length; k++) {
    if (p[k] <= 0) continue;
    last = k;
    if ((u -= p[k]) < 0) return k;
  }
  return last;
}
