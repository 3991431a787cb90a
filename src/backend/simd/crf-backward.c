// Owns the CRF's backward sweep on tfjs-backend-wasm's memory (crf_backward): the gradients of the
// NLL from crf_forward's float64 state (see crf.c's header for the algorithm and precision; rules as
// there: no globals, no static data, no C stack).
#include "crf.h"

// ---- backward sweep ------------------------------------------------------------------------------

// ∂/∂A's pair marginals ξ(i, j) = exp(α(i) + A(i, j) + v(j) − log Z) of one step, times g, factor as
// κ·u(i)·w(j)·e^{A(i, j) − max A} with κ = g·e^{max α + max v + max A − log Z}, u = e^{α − max α},
// w = e^{v − max v}: κ·u goes to row n of U (w is already row n of W) and ∂A = e^{A − max A} ⊙ UᵀW
// at the end (outer_sum), one product over all steps. Returns 1 when the row is used. When κ would
// leave float32's range (the best tags' transition > 60 nats below the largest one) the step's ξ go
// to dA directly, exactly, and it returns 0.
static int pair_marginals(int K, int Kp, const double* at, const double* v, double mv, double amax, double z, float g, const float* a, float* u, float* dA) {
  double ma = dmax(at, K);
  double ex = ma + mv + amax - z;
  if (ex > 60) {
    for (int i = 0; i < K; i++)
      for (int j = 0; j < K; j++) dA[i * K + j] += g * sexp((float)(at[i] + a[i * K + j] + v[j] - z));
    return 0;
  }
  for (int i = 0; i < K; i++) u[i] = (float)(at[i] - ma);
  for (int i = K; i < Kp; i++) u[i] = -__builtin_inff();
  vexps(Kp, u);
  v128_t kappa = wasm_f32x4_splat(g * sexp((float)ex));
  for (int i = 0; i < Kp; i += 4) wasm_v128_store(u + i, wasm_f32x4_mul(kappa, wasm_v128_load(u + i)));
  return 1;
}

// M [K × Kp] = Σ_n U[n, i]·W[n, j] (U, W [N × Kp], zero-padded): 4 rows × 8 (then 4) columns of M
// in registers, the rows' values splat from memory.
static void outer_sum(int N, int K, int Kp, const float* U, const float* W, float* M) {
  for (int i = 0; i < K; i += 4) {
    int j = 0;
    for (; j + 8 <= Kp; j += 8) {
      v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      for (int n = 0; n < N; n++) {
        const float *u = U + n * Kp + i, *w = W + n * Kp + j;
        v128_t b0 = wasm_v128_load(w), b1 = wasm_v128_load(w + 4);
        v128_t a0 = wasm_v128_load32_splat(u), a1 = wasm_v128_load32_splat(u + 1), a2 = wasm_v128_load32_splat(u + 2), a3 = wasm_v128_load32_splat(u + 3);
        MAD(c00, a0, b0); MAD(c01, a0, b1);
        MAD(c10, a1, b0); MAD(c11, a1, b1);
        MAD(c20, a2, b0); MAD(c21, a2, b1);
        MAD(c30, a3, b0); MAD(c31, a3, b1);
      }
      float* m = M + i * Kp + j;
      wasm_v128_store(m, c00); wasm_v128_store(m + 4, c01);
      if (i + 1 < K) { wasm_v128_store(m + Kp, c10); wasm_v128_store(m + Kp + 4, c11); }
      if (i + 2 < K) { wasm_v128_store(m + 2 * Kp, c20); wasm_v128_store(m + 2 * Kp + 4, c21); }
      if (i + 3 < K) { wasm_v128_store(m + 3 * Kp, c30); wasm_v128_store(m + 3 * Kp + 4, c31); }
    }
    for (; j < Kp; j += 4) {
      v128_t c0 = wasm_f32x4_splat(0), c1 = c0, c2 = c0, c3 = c0;
      for (int n = 0; n < N; n++) {
        const float* u = U + n * Kp + i;
        v128_t b0 = wasm_v128_load(W + n * Kp + j);
        MAD(c0, wasm_v128_load32_splat(u), b0);
        MAD(c1, wasm_v128_load32_splat(u + 1), b0);
        MAD(c2, wasm_v128_load32_splat(u + 2), b0);
        MAD(c3, wasm_v128_load32_splat(u + 3), b0);
      }
      float* m = M + i * Kp + j;
      wasm_v128_store(m, c0);
      if (i + 1 < K) wasm_v128_store(m + Kp, c1);
      if (i + 2 < K) wasm_v128_store(m + 2 * Kp, c2);
      if (i + 3 < K) wasm_v128_store(m + 3 * Kp, c3);
    }
  }
}

// The token marginals γ(j) = g·e^{x[j]} (x = α + β − log Z, Kp long, overwritten) added to dE and,
// when given, to d2 (∂start at the first token, ∂end at the last).
static void marginals(int K, int Kp, float g, float* x, float* dE, float* d2) {
  for (int j = K; j < Kp; j++) x[j] = -__builtin_inff();
  vexps(Kp, x);
  for (int j = 0; j < K; j++) {
    float gamma = g * x[j];
    dE[j] += gamma;
    if (d2) d2[j] += gamma;
  }
}

static void subtract_gold(int T, int K, const int* tags, const float* mask, float g, float* dE, float* dA, float* dStart, float* dEnd) {
  int prev = -1;
  for (int t = 0; t < T; t++) {
    if (mask[t] == 0) continue;
    int y = tags[t];
    dE[t * K + y] -= g;
    if (prev < 0) dStart[y] -= g;
    else dA[prev * K + y] -= g;
    prev = y;
  }
  dEnd[prev] -= g;
}

// One row: β from the last real token back (β_last = end), γ_t(j) = g·exp(α_t(j) + β_t(j) − log Z)
// into ∂E (and ∂start, ∂end at the ends), pair marginals from row n on of U and W (or into dA),
// minus the gold path's counts. Returns the next free row of U and W.
static int backward_row(int T, int K, int Kp, const float* e, const float* a, const float* end, const int* tags, const float* mask, const double* alpha, double z, float g,
                        const float* RT, const float* d, double amax, float* U, float* W, int n, float* dE, float* dA, float* dStart, float* dEnd, double* scratch) {
  // scratch: float64 β and v, then float32 u and sums (each Kp long).
  double *beta = scratch, *v = scratch + Kp;
  float *u = (float*)(v + Kp), *acc = u + Kp;
  int t0 = first_step(mask, T), tl = last_step(mask, T);
  for (int j = 0; j < K; j++) {
    beta[j] = end[j];
    u[j] = (float)(alpha[tl * K + j] + beta[j] - z);
  }
  marginals(K, Kp, g, u, dE + tl * K, dEnd);
  for (int t = tl - 1, next = tl; t >= t0; t--) {
    if (mask[t] == 0) continue;
    const double* at = alpha + t * K;
    for (int j = 0; j < K; j++) v[j] = e[next * K + j] + beta[j];
    double mv = dmax(v, K);
    float* w = W + n * Kp;
    for (int j = 0; j < K; j++) w[j] = (float)(v[j] - mv);
    for (int j = K; j < Kp; j++) w[j] = -__builtin_inff();
    vexps(Kp, w);
    n += pair_marginals(K, Kp, at, v, mv, amax, z, g, a, U + n * Kp, dA);
    vecmat(K, Kp, w, RT, acc);
    for (int i = 0; i < K; i++) u[i] = acc[i]; // keep the sums for the underflow test
    vlogs(Kp, acc);
    for (int i = 0; i < K; i++) {
      beta[i] = u[i] > 1e-30f ? mv + d[i] + acc[i] : exact_lse(v, a, i * K, K, 1);
      u[i] = (float)(at[i] + beta[i] - z);
    }
    marginals(K, Kp, g, u, dE + t * K, t == t0 ? dStart : 0);
    next = t;
  }
  if (t0 == tl) for (int j = 0; j < K; j++) dStart[j] += dE[t0 * K + j];
  subtract_gold(T, K, tags, mask, g, dE, dA, dStart, dEnd);
  return n;
}

// Gradients of Σ_s dy[s]·NLL_s (written, not accumulated) from crf_forward's state.
// work: 2·Kp doubles, then 2·K·Kp + 3·Kp + 2·b·T·Kp floats.
EXPORT(crf_backward)
void crf_backward(int b, int T, int K, const float* e, const float* a, const float* end, const int* tags, const float* mask, const double* state, const float* dy,
                  float* dE, float* dA, float* dStart, float* dEnd, double* work) {
  int Kp = padded(K);
  // After backward_row's scratch: RT, M, d, then U and W (one row per step at most).
  float *RT = (float*)(work + 2 * Kp) + 2 * Kp, *M = RT + K * Kp, *d = M + K * Kp, *U = d + Kp, *W = U + b * T * Kp;
  shifted(K, Kp, a, 0, RT, d);
  float amax = -__builtin_inff();
  for (int i = 0; i < K * K; i++) if (a[i] > amax) amax = a[i];
  for (int i = 0; i < b * T * K; i++) dE[i] = 0;
  for (int i = 0; i < K * K; i++) dA[i] = 0;
  for (int i = 0; i < K; i++) dStart[i] = dEnd[i] = 0;
  const double* logz = state + b * T * K;
  int n = 0;
  for (int s = 0; s < b; s++) {
    if (first_step(mask + s * T, T) < 0 || dy[s] == 0 || !tags_ok(tags + s * T, mask + s * T, T, K)) continue;
    n = backward_row(T, K, Kp, e + s * T * K, a, end, tags + s * T, mask + s * T, state + s * T * K, logz[s], dy[s], RT, d, amax, U, W, n, dE + s * T * K, dA, dStart, dEnd, work);
  }
  outer_sum(n, K, Kp, U, W, M);
  float* x = (float*)(work + 2 * Kp); // ∂A = e^{A − max A} ⊙ M, a row at a time
  for (int i = 0; i < K; i++) {
    for (int j = 0; j < K; j++) x[j] = a[i * K + j] - amax;
    for (int j = K; j < Kp; j++) x[j] = -__builtin_inff();
    vexps(Kp, x);
    for (int j = 0; j < K; j++) dA[i * K + j] += x[j] * M[i * Kp + j];
  }
}
