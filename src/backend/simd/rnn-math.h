// Owns the arithmetic rnn.c's sweeps are made of: 4-lane loads and stores that stop at a row's end,
// the gate activations and their derivatives (from the activation's value), and a strided product
// with an optionally transposed left operand. Static functions only (included by rnn.c alone); like
// every file here: no globals, no static data, no C stack.
#pragma once
#include "lanes.h"

#define F4(x) wasm_f32x4_splat(x)

// ---- 4-lane loads and stores that stop at a row's end (n = 1…4 lanes): lanes.h's, by lane count --

static inline v128_t ldn(const float* p, int n) { return load_part(p, n >= 4 ? 0 : n); }
static inline void stn(float* p, v128_t v, int n) { store_part(p, v, n >= 4 ? 0 : n); }

static inline int lanes(int from, int n) { return n - from < 4 ? n - from : 4; }

// ---- activations ---------------------------------------------------------------------------------

// e^x: x = n·ln2 + r (|r| ≤ ln2/2, ln2 in two parts), e^r by Cephes' expf polynomial (~1 ulp), 2^n
// through the exponent bits. x clamped to [−87, 88] so 2^n stays a normal float; NaN stays NaN.
static inline v128_t exp4(v128_t x) {
  x = wasm_f32x4_pmax(wasm_f32x4_pmin(x, F4(88.0f)), F4(-87.0f));
  v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, F4(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, F4(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, F4(-2.12194440e-4f)));
  v128_t p = F4(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), F4(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), F4(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), F4(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), F4(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), F4(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), r), F4(1.0f));
  v128_t e = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, e);
}

static inline v128_t sigmoid4(v128_t x) {
  return wasm_f32x4_div(F4(1.0f), wasm_f32x4_add(F4(1.0f), exp4(wasm_f32x4_neg(x))));
}

// tanh(x) = 2σ(2x) − 1: absolute error ~1e-7 (the tests ask 1e-5 of outputs and gradients).
static inline v128_t act4(int code, v128_t x) {
  switch (code) {
    case 1: return wasm_f32x4_sub(wasm_f32x4_mul(F4(2.0f), sigmoid4(wasm_f32x4_add(x, x))), F4(1.0f));
    case 2: return sigmoid4(x);
    case 3: return wasm_f32x4_pmax(wasm_f32x4_pmin(wasm_f32x4_add(wasm_f32x4_mul(x, F4(0.2f)), F4(0.5f)), F4(1.0f)), F4(0.0f));
    case 4: return wasm_f32x4_pmax(x, F4(0.0f));
    default: return x;
  }
}

// The derivative at the point where the activation took the value y (as fused-seq.ts' derivative()).
static inline v128_t dact4(int code, v128_t y) {
  switch (code) {
    case 1: return wasm_f32x4_sub(F4(1.0f), wasm_f32x4_mul(y, y));
    case 2: return wasm_f32x4_mul(y, wasm_f32x4_sub(F4(1.0f), y));
    case 3: return wasm_v128_and(wasm_v128_and(wasm_f32x4_gt(y, F4(0.0f)), wasm_f32x4_lt(y, F4(1.0f))), F4(0.2f));
    case 4: return wasm_v128_and(wasm_f32x4_gt(y, F4(0.0f)), F4(1.0f));
    default: return F4(1.0f);
  }
}

static void act_run(int code, float* p, int n) {
  if (code == 0) return;
  for (int i = 0; i < n; i += 4) stn(p + i, act4(code, ldn(p + i, lanes(i, n))), lanes(i, n));
}

// ---- products --------------------------------------------------------------------------------------

// C[m×n] (+)= op(A)·B with A's element (i, p) at a[i·ai + p·ap]: (ai, ap) = (lda, 1) for A, (1, lda)
// for Aᵀ stored [k×m]; B [k×n] and C row-major with row strides. Blocks of 4 or 1 rows × 8 columns
// in registers; the last n % 8 columns by dot products. gemm.c's sgemm has no Aᵀ and is another
// helper's file; the weight gradients need Aᵀ·B.
static inline void block(int rows, int k, const float* a, int ai, int ap, const float* b, int ldb, float* c, int ldc, int acc) {
  v128_t s0 = F4(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  for (int p = 0; p < k; p++) {
    const float* bp = b + p * ldb;
    v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
    const float* ar = a + p * ap;
    v128_t a0 = F4(ar[0]);
    MAD(s0, a0, b0); MAD(s1, a0, b1);
    if (rows == 4) {
      v128_t a1 = F4(ar[ai]), a2 = F4(ar[2 * ai]), a3 = F4(ar[3 * ai]);
      MAD(s2, a1, b0); MAD(s3, a1, b1);
      MAD(s4, a2, b0); MAD(s5, a2, b1);
      MAD(s6, a3, b0); MAD(s7, a3, b1);
    }
  }
  for (int r = 0; r < rows; r++) {
    v128_t lo = r == 0 ? s0 : r == 1 ? s2 : r == 2 ? s4 : s6;
    v128_t hi = r == 0 ? s1 : r == 1 ? s3 : r == 2 ? s5 : s7;
    float* cr = c + r * ldc;
    if (acc) { lo = wasm_f32x4_add(lo, wasm_v128_load(cr)); hi = wasm_f32x4_add(hi, wasm_v128_load(cr + 4)); }
    wasm_v128_store(cr, lo);
    wasm_v128_store(cr + 4, hi);
  }
}

// `rows` (4 or 1) rows of C: 8-column blocks, then the last n % 8 columns by dot products.
static void gemm_rows(int rows, int n, int k, const float* a, int ai, int ap, const float* b, int ldb, float* c, int ldc, int acc) {
  int n8 = n & ~7;
  for (int j = 0; j < n8; j += 8) block(rows, k, a, ai, ap, b + j, ldb, c + j, ldc, acc);
  for (int r = 0; r < rows; r++)
    for (int j = n8; j < n; j++) {
      float s = 0;
      for (int p = 0; p < k; p++) s += a[r * ai + p * ap] * b[p * ldb + j];
      c[r * ldc + j] = acc ? c[r * ldc + j] + s : s;
    }
}

static void gemm(int m, int n, int k, const float* a, int ai, int ap, const float* b, int ldb, float* c, int ldc, int acc) {
  int i = 0;
  for (; i + 4 <= m; i += 4) gemm_rows(4, n, k, a + i * ai, ai, ap, b, ldb, c + i * ldc, ldc, acc);
  for (; i < m; i++) gemm_rows(1, n, k, a + i * ai, ai, ap, b, ldb, c + i * ldc, ldc, acc);
}

// ---- small shared pieces -----------------------------------------------------------------------------

static inline int real(const float* mask, int T, int s, int t) { return !mask || mask[s * T + t] != 0; }

static void zero(float* p, int n) {
  for (int i = 0; i < n; i++) p[i] = 0;
}
