// Shared by the CRF kernels (crf.c, crf-backward.c): float32 exp and log over 4 lanes, the shifted
// transition exponentials, the vector–matrix product of the log-sum-exp recursions and small helpers.
// All static inline (each kernel file takes what it uses); no data, no stack (see crf.c's header).
#ifndef MTL_CRF_H
#define MTL_CRF_H
#include "lanes.h"

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
  // x < 0 and NaN: NaN.
  v128_t bad = wasm_v128_or(wasm_f32x4_lt(x, wasm_f32x4_splat(0)), wasm_f32x4_ne(x, x));
  return wasm_v128_bitselect(wasm_f32x4_splat(__builtin_nanf("")), y, bad);
}

static inline float sexp(float x) { return wasm_f32x4_extract_lane(vexp(wasm_f32x4_splat(x)), 0); }
static inline float slog(float x) { return wasm_f32x4_extract_lane(vlog(wasm_f32x4_splat(x)), 0); }

// ---- shared pieces -------------------------------------------------------------------------------

static inline int padded(int K) { return (K + 3) & ~3; }

// y[0..Kp) = Σ_i x[i]·P[i·Kp + ·] over i < K (x[i] = 0 rows skipped); P zero-padded to Kp columns.
// 32 (then 4) columns at a time, the sums in registers.
static inline void vecmat(int K, int Kp, const float* x, const float* P, float* y) {
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
static inline void vexps(int Kp, float* x) { for (int i = 0; i < Kp; i += 4) wasm_v128_store(x + i, vexp(wasm_v128_load(x + i))); }
static inline void vlogs(int Kp, float* x) { for (int i = 0; i < Kp; i += 4) wasm_v128_store(x + i, vlog(wasm_v128_load(x + i))); }

static inline double dmax(const double* x, int K) {
  double m = -__builtin_inf();
  for (int i = 0; i < K; i++) if (x[i] > m) m = x[i];
  return m;
}

// exp(A − max) into X [K × Kp] (zero padding), the max over i per column j (column = 1; X rows i) or
// over j per row i (column = 0; X transposed: rows j, columns i); the maxima into mx [K].
static inline void shifted(int K, int Kp, const float* a, int column, float* X, float* mx) {
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
static inline double exact_lse(const double* x, const float* a, int base, int K, int stride) {
  double m = -__builtin_inf();
  for (int i = 0; i < K; i++) { double v = x[i] + a[base + i * stride]; if (v > m) m = v; }
  if (m == -__builtin_inf()) return m;
  double s = 0;
  for (int i = 0; i < K; i++) s += sexp((float)(x[i] + a[base + i * stride] - m));
  return m + slog((float)s);
}

// The first and last real step of row s (mask ≠ 0), or −1 when it has none.
static inline int first_step(const float* mask, int T) { for (int t = 0; t < T; t++) if (mask[t] != 0) return t; return -1; }
static inline int last_step(const float* mask, int T) { for (int t = T - 1; t >= 0; t--) if (mask[t] != 0) return t; return -1; }

// Whether every real token's tag lies in [0, K): the kernels index emissions and write gradients by
// tag, so a row with another tag is left out (NLL NaN, no gradient) rather than read or written past.
static inline int tags_ok(const int* tags, const float* mask, int T, int K) {
  for (int t = 0; t < T; t++) if (mask[t] != 0 && (tags[t] < 0 || tags[t] >= K)) return 0;
  return 1;
}

#endif
