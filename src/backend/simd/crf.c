// Owns the linear-chain CRF's K² loops on tfjs-backend-wasm's memory (src/layers/crf-simd.ts calls
// them): the forward algorithm (crf_forward), its backward sweep of forward–backward marginals
// (crf_backward) and Viterbi decoding (crf_viterbi); Sutton & McCallum, "An Introduction to Conditional
// Random Fields" (2012), §4.1, doi:10.1561/2200000013. The algorithm is src/layers/crf-ops.ts' (its
// header has the derivation): each log-sum-exp over the previous (or next) tag is a vector–matrix
// product in shifted exponential space, exp(A − column or row max), 4 tags per SIMD lane group; the
// products, exp and log run in float32, the per-tag log-space state (α, β, log Z, maxima, the gold
// score) in float64, so that scores hundreds of nats large lose no precision. Viterbi runs in float64
// with the JS decoder's operations in its order: the same paths, ties to the lowest tag.
// Rule for every file here (checked by scripts/build-kernels.js): no globals, no static data, no C
// stack — the module shares tfjs's memory and owns none of it; scratch comes from the caller.
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

// ---- exp and log, 4 lanes ------------------------------------------------------------------------

// e^x, Cody & Waite range reduction (Muller, "Elementary Functions", 3rd ed., ch. 11,
// doi:10.1007/978-1-4899-7983-4): n = round(x·log2 e), r = x − n·ln 2 in two parts (|r| ≤ ln 2 / 2),
// e^x = 2^n · p(r) with p the degree-7 Taylor polynomial of e^r (truncation ≤ r^8/8! ≈ 5e-9, below
// float32's rounding); 2^n built in the exponent bits. 0 below ln(FLT_MIN) ≈ −87.34 (no subnormal
// results), +∞ above 88.37 (where 2^n leaves the exponent range), NaN for NaN.
static inline v128_t vexp(v128_t x) {
  const v128_t lo = wasm_f32x4_splat(-87.336544f), hi = wasm_f32x4_splat(88.37626f);
  v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.0f / 5040);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 720));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 120));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 24));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 6));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.5f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  // n is clamped into the exponent range before it meets the bits; out-of-range lanes are replaced below.
  v128_t ni = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_pmax(wasm_f32x4_pmin(n, wasm_f32x4_splat(127)), wasm_f32x4_splat(-126)));
  v128_t y = wasm_f32x4_mul(p, wasm_i32x4_shl(wasm_i32x4_add(ni, wasm_i32x4_splat(127)), 23));
  y = wasm_v128_bitselect(wasm_f32x4_splat(0), y, wasm_f32x4_lt(x, lo));
  return wasm_v128_bitselect(wasm_f32x4_splat(__builtin_inff()), y, wasm_f32x4_gt(x, hi));
}

// ln x: x = 2^k·m with m in [√½, √2), ln m = 2·atanh(s) = 2(s + s³/3 + … + s⁹/9), s = (m − 1)/(m + 1),
// |s| ≤ 0.172 (truncation ≤ 2·s¹¹/11 ≈ 7e-10, relative to ln m ≤ s¹⁰/11 ≈ 2e-9). Subnormal x is scaled by 2^24 first. ln 0 = −∞,
// ln x < 0 = NaN, ln ∞ = ∞, NaN for NaN.
static inline v128_t vlog(v128_t x) {
  v128_t sub = wasm_f32x4_lt(x, wasm_f32x4_splat(1.17549435e-38f));
  v128_t xs = wasm_v128_bitselect(wasm_f32x4_mul(x, wasm_f32x4_splat(16777216.0f)), x, sub);
  v128_t k = wasm_i32x4_sub(wasm_u32x4_shr(xs, 23), wasm_i32x4_splat(127));
  v128_t m = wasm_v128_or(wasm_v128_and(xs, wasm_i32x4_splat(0x007fffff)), wasm_i32x4_splat(0x3f800000));
  v128_t big = wasm_f32x4_gt(m, wasm_f32x4_splat(1.41421356f));
  m = wasm_v128_bitselect(wasm_f32x4_mul(m, wasm_f32x4_splat(0.5f)), m, big);
  k = wasm_i32x4_sub(k, big); // big lanes are −1: k + 1
  k = wasm_i32x4_sub(k, wasm_v128_and(sub, wasm_i32x4_splat(24)));
  v128_t s = wasm_f32x4_div(wasm_f32x4_sub(m, wasm_f32x4_splat(1)), wasm_f32x4_add(m, wasm_f32x4_splat(1)));
  v128_t s2 = wasm_f32x4_mul(s, s);
  v128_t p = wasm_f32x4_splat(1.0f / 9);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s2), wasm_f32x4_splat(1.0f / 7));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s2), wasm_f32x4_splat(1.0f / 5));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s2), wasm_f32x4_splat(1.0f / 3));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s2), wasm_f32x4_splat(1.0f));
  v128_t kf = wasm_f32x4_convert_i32x4(k);
  v128_t y = wasm_f32x4_add(wasm_f32x4_mul(kf, wasm_f32x4_splat(0.693359375f)), wasm_f32x4_add(wasm_f32x4_mul(kf, wasm_f32x4_splat(-2.12194440e-4f)), wasm_f32x4_mul(wasm_f32x4_add(s, s), p)));
  y = wasm_v128_bitselect(wasm_f32x4_splat(-__builtin_inff()), y, wasm_f32x4_eq(x, wasm_f32x4_splat(0)));
  y = wasm_v128_bitselect(x, y, wasm_f32x4_eq(x, wasm_f32x4_splat(__builtin_inff())));
  // x < 0 and NaN: NaN (x − x is NaN for NaN; 0/0 for the negative lanes).
  v128_t bad = wasm_v128_or(wasm_f32x4_lt(x, wasm_f32x4_splat(0)), wasm_f32x4_ne(x, x));
  return wasm_v128_bitselect(wasm_f32x4_splat(__builtin_nanf("")), y, bad);
}

static inline float sexp(float x) { return wasm_f32x4_extract_lane(vexp(wasm_f32x4_splat(x)), 0); }
static inline float slog(float x) { return wasm_f32x4_extract_lane(vlog(wasm_f32x4_splat(x)), 0); }

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

// ---- shared pieces -------------------------------------------------------------------------------

static inline int padded(int K) { return (K + 3) & ~3; }

// y[0..Kp) = Σ_i x[i]·P[i·Kp + ·] over i < K (x[i] = 0 rows skipped); P zero-padded to Kp columns.
// 32 (then 4) columns at a time, the sums in registers.
static void vecmat(int K, int Kp, const float* x, const float* P, float* y) {
  int j = 0;
  for (; j + 32 <= Kp; j += 32) {
    v128_t y0 = wasm_f32x4_splat(0), y1 = y0, y2 = y0, y3 = y0, y4 = y0, y5 = y0, y6 = y0, y7 = y0;
    for (int i = 0; i < K; i++) {
      if (x[i] == 0) continue;
      v128_t s = wasm_f32x4_splat(x[i]);
      const float* p = P + i * Kp + j;
      y0 = wasm_f32x4_add(y0, wasm_f32x4_mul(s, wasm_v128_load(p)));
      y1 = wasm_f32x4_add(y1, wasm_f32x4_mul(s, wasm_v128_load(p + 4)));
      y2 = wasm_f32x4_add(y2, wasm_f32x4_mul(s, wasm_v128_load(p + 8)));
      y3 = wasm_f32x4_add(y3, wasm_f32x4_mul(s, wasm_v128_load(p + 12)));
      y4 = wasm_f32x4_add(y4, wasm_f32x4_mul(s, wasm_v128_load(p + 16)));
      y5 = wasm_f32x4_add(y5, wasm_f32x4_mul(s, wasm_v128_load(p + 20)));
      y6 = wasm_f32x4_add(y6, wasm_f32x4_mul(s, wasm_v128_load(p + 24)));
      y7 = wasm_f32x4_add(y7, wasm_f32x4_mul(s, wasm_v128_load(p + 28)));
    }
    wasm_v128_store(y + j, y0); wasm_v128_store(y + j + 4, y1); wasm_v128_store(y + j + 8, y2); wasm_v128_store(y + j + 12, y3);
    wasm_v128_store(y + j + 16, y4); wasm_v128_store(y + j + 20, y5); wasm_v128_store(y + j + 24, y6); wasm_v128_store(y + j + 28, y7);
  }
  for (; j < Kp; j += 4) {
    v128_t acc = wasm_f32x4_splat(0);
    for (int i = 0; i < K; i++) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_splat(x[i]), wasm_v128_load(P + i * Kp + j)));
    wasm_v128_store(y + j, acc);
  }
}

// In place over x[0..Kp): e^x, then (vlogs) ln.
static void vexps(int Kp, float* x) { for (int i = 0; i < Kp; i += 4) wasm_v128_store(x + i, vexp(wasm_v128_load(x + i))); }
static void vlogs(int Kp, float* x) { for (int i = 0; i < Kp; i += 4) wasm_v128_store(x + i, vlog(wasm_v128_load(x + i))); }

static double dmax(const double* x, int K) {
  double m = -__builtin_inf();
  for (int i = 0; i < K; i++) if (x[i] > m) m = x[i];
  return m;
}

// exp(A − max) into X [K × Kp] (zero padding), the max over i per column j (column = 1; X rows i) or
// over j per row i (column = 0; X transposed: rows j, columns i); the maxima into mx [K].
static void shifted(int K, int Kp, const float* a, int column, float* X, float* mx) {
  for (int i = 0; i < K; i++) mx[i] = -__builtin_inff();
  for (int i = 0; i < K; i++)
    for (int j = 0; j < K; j++) {
      float v = a[i * K + j];
      int at = column ? j : i;
      if (v > mx[at]) mx[at] = v;
    }
  for (int r = 0; r < K; r++) {
    float* row = X + r * Kp;
    for (int c = 0; c < Kp; c++) row[c] = -__builtin_inff();
    for (int c = 0; c < K; c++) row[c] = column ? a[r * K + c] - mx[c] : a[c * K + r] - mx[c];
    vexps(Kp, row);
  }
}

// log Σ_i exp(x[i] + A[base + i·stride]) without shifting tricks: the underflow fallback.
static double exact_lse(const double* x, const float* a, int base, int K, int stride) {
  double m = -__builtin_inf();
  for (int i = 0; i < K; i++) { double v = x[i] + a[base + i * stride]; if (v > m) m = v; }
  if (m == -__builtin_inf()) return m;
  double s = 0;
  for (int i = 0; i < K; i++) s += sexp((float)(x[i] + a[base + i * stride] - m));
  return m + slog((float)s);
}

// The first and last real step of row s (mask ≠ 0), or −1 when it has none.
static int first_step(const float* mask, int T) { for (int t = 0; t < T; t++) if (mask[t] != 0) return t; return -1; }
static int last_step(const float* mask, int T) { for (int t = T - 1; t >= 0; t--) if (mask[t] != 0) return t; return -1; }

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

// NLL per row [b] = log Z − score(gold) (0 for rows without real tokens); state = α [b, T, K] then
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
    nll[s] = (float)(logz[s] - gold_score(T, K, e + s * T * K, a, start, end, tags + s * T, ms));
  }
}

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
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, b0)); c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, b1));
        c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a1, b0)); c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a1, b1));
        c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a2, b0)); c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a2, b1));
        c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a3, b0)); c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a3, b1));
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
        c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(wasm_v128_load32_splat(u), b0));
        c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(wasm_v128_load32_splat(u + 1), b0));
        c2 = wasm_f32x4_add(c2, wasm_f32x4_mul(wasm_v128_load32_splat(u + 2), b0));
        c3 = wasm_f32x4_add(c3, wasm_f32x4_mul(wasm_v128_load32_splat(u + 3), b0));
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
    if (first_step(mask + s * T, T) < 0 || dy[s] == 0) continue;
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

// ---- Viterbi -------------------------------------------------------------------------------------

// One step of the max-product recursion: next[j] = max_i (δ(i) + A(i, j)), back[j] = the first i that
// attains it; 8 (then 4) tags j at a time in float64 lanes. Ad: A as float64 [K × Kp].
static void viterbi_step(int K, int Kp, const double* delta, const double* Ad, double* next, int* back) {
  for (int j = 0; j < Kp; j += 4) {
    v128_t b0 = wasm_f64x2_splat(-__builtin_inf()), b1 = b0, g0 = wasm_f64x2_splat(0), g1 = g0;
    for (int i = 0; i < K; i++) {
      v128_t di = wasm_f64x2_splat(delta[i]), idx = wasm_f64x2_splat(i);
      v128_t c0 = wasm_f64x2_add(di, wasm_v128_load(Ad + i * Kp + j)), c1 = wasm_f64x2_add(di, wasm_v128_load(Ad + i * Kp + j + 2));
      v128_t m0 = wasm_f64x2_gt(c0, b0), m1 = wasm_f64x2_gt(c1, b1);
      b0 = wasm_v128_bitselect(c0, b0, m0);
      b1 = wasm_v128_bitselect(c1, b1, m1);
      g0 = wasm_v128_bitselect(idx, g0, m0);
      g1 = wasm_v128_bitselect(idx, g1, m1);
    }
    wasm_v128_store(next + j, b0);
    wasm_v128_store(next + j + 2, b1);
    back[j] = (int)wasm_f64x2_extract_lane(g0, 0);
    back[j + 1] = (int)wasm_f64x2_extract_lane(g0, 1);
    back[j + 2] = (int)wasm_f64x2_extract_lane(g1, 0);
    back[j + 3] = (int)wasm_f64x2_extract_lane(g1, 1);
  }
}

// The highest-scoring path of each row over its lengths[s] leading tokens into out [b, T] (0 at
// padded steps). work: K·Kp + 2·Kp doubles; back: T·Kp ints.
EXPORT(crf_viterbi)
void crf_viterbi(int b, int T, int K, const float* e, const float* a, const float* start, const float* end, const int* lengths, int* out, double* work, int* back) {
  int Kp = padded(K);
  double *Ad = work, *delta = Ad + K * Kp, *next = delta + Kp;
  for (int i = 0; i < K; i++)
    for (int j = 0; j < Kp; j++) Ad[i * Kp + j] = j < K ? a[i * K + j] : 0;
  for (int s = 0; s < b; s++) {
    int L = lengths[s] < T ? lengths[s] : T;
    int* o = out + s * T;
    const float* es = e + s * T * K;
    for (int t = 0; t < T; t++) o[t] = 0;
    if (L <= 0) continue;
    for (int j = 0; j < K; j++) delta[j] = (double)start[j] + (double)es[j];
    for (int t = 1; t < L; t++) {
      viterbi_step(K, Kp, delta, Ad, next, back + t * Kp);
      for (int j = 0; j < K; j++) delta[j] = next[j] + (double)es[t * K + j];
    }
    double best = -__builtin_inf();
    int tag = 0;
    for (int j = 0; j < K; j++)
      if (delta[j] + end[j] > best) { best = delta[j] + end[j]; tag = j; }
    for (int t = L - 1; t >= 0; t--) {
      o[t] = tag;
      if (t > 0) tag = back[t * Kp + tag];
    }
  }
}
