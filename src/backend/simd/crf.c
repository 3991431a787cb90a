// Owns the linear-chain CRF's forward algorithm on tfjs-backend-wasm's memory (crf_forward; the
// backward sweep is crf-backward.c, Viterbi crf-viterbi.c, the shared pieces crf.h; callers in
// src/layers/crf-simd.ts); Sutton & McCallum, "An Introduction to Conditional Random Fields" (2012),
// §4.1, doi:10.1561/2200000013. The algorithm is src/layers/crf-ops.ts' (its header has the
// derivation): each log-sum-exp over the previous (or next) tag is a vector–matrix product in shifted
// exponential space, exp(A − column or row max), 4 tags per SIMD instruction; the products, exp and
// log run in float32, the per-tag log-space state (α, β, log Z, maxima, the gold score) in float64,
// so that scores hundreds of nats large lose no precision.
// Rule for every file here (checked by scripts/build-kernels.js): no globals, no static data, no C
// stack — the module shares tfjs's memory and owns none of it; scratch comes from the caller.
#include "crf.h"

// y[i] = e^x[i] and ln x[i] over arrays (for tests of the two functions against Math.exp and Math.log).
EXPORT(crf_exp)
void crf_exp(int n, const float* x, float* y) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, vexp(wasm_v128_load(x + i)));
  for (; i < n; i++) y[i] = sexp(x[i]);
}

EXPORT(crf_log)
void crf_log(int n, const float* x, float* y) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, vlog(wasm_v128_load(x + i)));
  for (; i < n; i++) y[i] = slog(x[i]);
}

// ---- forward algorithm ---------------------------------------------------------------------------

// Score of the gold path over the real tokens of one row (e, tags, mask at that row).
static double gold_score(int T, int K, const float* e, const float* a, const float* start, const float* end, const int* tags, const float* mask) {
  int prev = -1;
  double score = 0;
  for (int t = 0; t < T; t++) {
    if (mask[t] == 0) continue;
    int y = tags[t];
    score += e[t * K + y];
    score += prev < 0 ? start[y] : a[prev * K + y];
    prev = y;
  }
  return score + end[prev];
}

// α_t(j) = E_t(j) + m + c_j + ln Σ_i e^{α_{t−1}(i) − m}·P(i, j) for one row's real steps; log Z.
static double forward_row(int T, int K, int Kp, const float* e, const float* start, const float* end, const float* mask, const float* a, const float* P, const float* c, double* alpha, float* ex, float* q) {
  double* prev = 0;
  for (int t = 0; t < T; t++) {
    if (mask[t] == 0) continue;
    double* at = alpha + t * K;
    const float* et = e + t * K;
    if (!prev) {
      for (int j = 0; j < K; j++) at[j] = (double)et[j] + start[j];
    } else {
      double m = dmax(prev, K);
      for (int i = 0; i < K; i++) ex[i] = (float)(prev[i] - m);
      for (int i = K; i < Kp; i++) ex[i] = -__builtin_inff();
      vexps(Kp, ex);
      vecmat(K, Kp, ex, P, q);
      for (int j = 0; j < K; j++) ex[j] = q[j]; // keep q for the fallback test
      vlogs(Kp, q);
      for (int j = 0; j < K; j++)
        at[j] = (double)et[j] + (ex[j] > 1e-30f ? m + c[j] + q[j] : exact_lse(prev, a, j, K, K));
    }
    prev = at;
  }
  double z = -__builtin_inf(), s = 0;
  for (int j = 0; j < K; j++) if (prev[j] + end[j] > z) z = prev[j] + end[j];
  for (int j = 0; j < K; j++) s += sexp((float)(prev[j] + end[j] - z));
  return z + slog((float)s);
}

// NLL per row [b] = log Z − score(gold) (0 for rows without real tokens, NaN for a row with a tag
// outside [0, K)); state = α [b, T, K] then
// log Z [b], float64, for crf_backward. work: K·Kp + 3·Kp floats.
EXPORT(crf_forward)
void crf_forward(int b, int T, int K, const float* e, const float* a, const float* start, const float* end, const int* tags, const float* mask, float* nll, double* state, float* work) {
  int Kp = padded(K);
  float *P = work, *c = P + K * Kp, *ex = c + Kp, *q = ex + Kp;
  double* logz = state + b * T * K;
  shifted(K, Kp, a, 1, P, c);
  for (int s = 0; s < b; s++) {
    const float* ms = mask + s * T;
    logz[s] = 0;
    nll[s] = 0;
    if (first_step(ms, T) < 0) continue;
    logz[s] = forward_row(T, K, Kp, e + s * T * K, start, end, ms, a, P, c, state + s * T * K, ex, q);
    nll[s] = tags_ok(tags + s * T, ms, T, K) ? (float)(logz[s] - gold_score(T, K, e + s * T * K, a, start, end, tags + s * T, ms)) : __builtin_nanf("");
  }
}
