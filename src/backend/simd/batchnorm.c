// Owns batch normalisation's training pass over NHWC tensors seen as [rows, C] (float32, on
// tfjs-backend-wasm's memory), forward and backward, each a few passes over contiguous memory with
// the channel vector innermost (Ioffe & Szegedy 2015, arXiv:1502.03167, Algorithm 1 and §3):
//   forward:  μ = Σ_r x / N,  σ² = Σ_r (x − μ)² / N  (biased, as tfjs's moments; sums in row order),
//             y = (x − μ)·k + β  with k = γ / √(σ² + ε)
//   backward: with rstd = 1/√(σ² + ε), s = Σ dy·(x − μ), and upstream gradients gμ, gσ² of the
//             statistics (zeros when only y is used):
//             dβ = Σ dy,  dγ = s·rstd,
//             dx = A·dy + B·(x − μ) + C,  A = γ·rstd,  B = −γ·rstd³·s/N + 2·gσ²/N,
//                                          C = −γ·rstd·Σdy/N + gμ/N
// optionally with a relu after y (forward: max(y, 0); backward: dy·step(y) first, y recomputed),
// where tfjs's composition (moments, then FusedBatchNorm, each with its own gradient) runs ~30
// kernels, most of them broadcasting element-wise ones that walk an index per element.
// Rule for every file here (checked by scripts/build-kernels.js): no globals, no static data, no C
// stack — the module shares tfjs's memory and owns none of it.
#include "mask.h"

// Per-channel loops stay scalar: clang's vectoriser would spill vectors to the C stack here.
#define SCALAR _Pragma("clang loop vectorize(disable) interleave(disable)")

// What a column sum adds up per row: x, (x − m)², or (x − m)·w.
enum { SUM, SQDEV, DEVW };

INLINE v128_t term(int mode, v128_t x, v128_t m, v128_t w) {
  if (mode == SUM) return x;
  v128_t d = wasm_f32x4_sub(x, m);
  return wasm_f32x4_mul(d, mode == SQDEV ? d : w);
}

// Columns 0 … 4·nv of out (the last vector `tail` wide, 0: full), summed over rows in row order,
// the sums in registers: one walk down the rows per 16 columns.
INLINE void block(int mode, int nv, int tail, int rows, int cols, const float* x, const float* m, const float* w, float* out) {
  const v128_t z = wasm_f32x4_splat(0);
  v128_t s0 = z, s1 = z, s2 = z, s3 = z;
  const int t0 = nv == 1 ? tail : 0, t1 = nv == 2 ? tail : 0, t2 = nv == 3 ? tail : 0, t3 = tail;
  v128_t m0 = z, m1 = z, m2 = z, m3 = z;
  if (mode != SUM) {
    m0 = load_part(m, t0);
    if (nv > 1) m1 = load_part(m + 4, t1);
    if (nv > 2) m2 = load_part(m + 8, t2);
    if (nv > 3) m3 = load_part(m + 12, t3);
  }
  for (int r = 0; r < rows; r++, x += cols, w = mode == DEVW ? w + cols : w) {
    s0 = wasm_f32x4_add(s0, term(mode, load_part(x, t0), m0, mode == DEVW ? load_part(w, t0) : z));
    if (nv > 1) s1 = wasm_f32x4_add(s1, term(mode, load_part(x + 4, t1), m1, mode == DEVW ? load_part(w + 4, t1) : z));
    if (nv > 2) s2 = wasm_f32x4_add(s2, term(mode, load_part(x + 8, t2), m2, mode == DEVW ? load_part(w + 8, t2) : z));
    if (nv > 3) s3 = wasm_f32x4_add(s3, term(mode, load_part(x + 12, t3), m3, mode == DEVW ? load_part(w + 12, t3) : z));
  }
  store_part(out, s0, t0);
  if (nv > 1) store_part(out + 4, s1, t1);
  if (nv > 2) store_part(out + 8, s2, t2);
  if (nv > 3) store_part(out + 12, s3, t3);
}

#define COL_BLOCK(NV, T, j) block(mode, NV, T, rows, cols, x + j, m ? m + j : 0, w ? w + j : 0, out + j)

// out[c] = Σ_r term(x[r, c], m[c], w[r, c]) for every column, 16 at a time.
INLINE void col_sums(int mode, int rows, int cols, const float* x, const float* m, const float* w, float* out) {
  FOR_COLUMN_BLOCKS(cols, COL_BLOCK)
}

// out[r, c] = a[c]·p[r, c] + (b[c]·(x[r, c] − m[c]) + d[c]) (a = 0: without the first term). For
// cols ≥ 4 a row's last vector overlaps the one before it (out is never an input: the same values
// are written twice) instead of a scalar tail.
INLINE v128_t affine4(const float* p, const float* x, const float* m, const float* a, const float* b, const float* d, int j) {
  v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(b + j), wasm_f32x4_sub(wasm_v128_load(x + j), wasm_v128_load(m + j))), wasm_v128_load(d + j));
  return a ? wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(a + j), wasm_v128_load(p + j)), v) : v;
}

// relu: then max(·, 0) (NaN and −0 kept, as tfjs's Relu); mask: w = mask(·, p) of mask.h instead,
// the relu's gradient at that output (p = dy).
INLINE void affine(int rows, int cols, const float* p, const float* x, const float* m, const float* a, const float* b, const float* d, float* out, int relu, int mask) {
  const v128_t zero = wasm_f32x4_splat(0);
  for (int r = 0; r < rows; r++, x += cols, out += cols, p = p ? p + cols : 0) {
    if (cols >= 4) {
      for (int k = 0; k < cols; k += 4) {
        const int j = k + 4 > cols ? cols - 4 : k;
        v128_t v = affine4(p, x, m, a, b, d, j);
        if (relu) v = wasm_v128_bitselect(zero, v, wasm_f32x4_lt(v, zero));
        if (mask) v = masked(v, wasm_v128_load(p + j));
        wasm_v128_store(out + j, v);
      }
      continue;
    }
    SCALAR for (int j = 0; j < cols; j++) {
      float v = b[j] * (x[j] - m[j]) + d[j];
      v = a ? a[j] * p[j] + v : v;
      if (relu && v < 0) v = 0;
      if (mask) v = p[j] * (v != v ? v : v > 0 ? 1.0f : 0.0f);
      out[j] = v;
    }
  }
}

// y, mean and variance of x [rows, cols]; k: cols floats of scratch.
EXPORT(bn_train_forward)
void bn_train_forward(int rows, int cols, const float* x, const float* gamma, const float* beta, float eps, float* y, float* mean, float* var, float* k, int relu) {
  col_sums(SUM, rows, cols, x, 0, 0, mean);
  SCALAR for (int j = 0; j < cols; j++) mean[j] = mean[j] / (float)rows;
  col_sums(SQDEV, rows, cols, x, mean, 0, var);
  SCALAR for (int j = 0; j < cols; j++) {
    var[j] = var[j] / (float)rows;
    k[j] = gamma[j] / __builtin_sqrtf(var[j] + eps);
  }
  affine(rows, cols, 0, x, mean, 0, k, beta, y, relu, 0);
}

// g = dy·step(y) for y the forward pass's output before its relu, recomputed with the same operations
// (so the same values); k: cols floats of scratch. The backward pass of a relu-fused forward runs on g.
EXPORT(bn_relu_mask)
void bn_relu_mask(int rows, int cols, const float* x, const float* dy, const float* gamma, const float* beta, const float* mean, const float* var, float eps, float* g, float* k) {
  SCALAR for (int j = 0; j < cols; j++) k[j] = gamma[j] / __builtin_sqrtf(var[j] + eps);
  affine(rows, cols, dy, x, mean, 0, k, beta, g, 0, 1);
}

// dx, dgamma and dbeta from dy and the forward pass's x, gamma, mean and variance; gmean and gvar:
// the statistics' own upstream gradients; coef: 3·cols floats of scratch (A, B, C above).
EXPORT(bn_train_backward)
void bn_train_backward(int rows, int cols, const float* x, const float* dy, const float* gamma, const float* mean, const float* var, float eps,
                       const float* gmean, const float* gvar, float* dx, float* dgamma, float* dbeta, float* coef) {
  col_sums(SUM, rows, cols, dy, 0, 0, dbeta);
  col_sums(DEVW, rows, cols, x, mean, dy, dgamma);
  float *A = coef, *B = coef + cols, *C = coef + 2 * cols;
  const double n = rows;
  SCALAR for (int j = 0; j < cols; j++) {
    const double rstd = 1 / __builtin_sqrt((double)var[j] + (double)eps), g = gamma[j], s = dgamma[j];
    A[j] = (float)(g * rstd);
    B[j] = (float)(-g * rstd * rstd * rstd * s / n + 2 * (double)gvar[j] / n);
    C[j] = (float)(-g * rstd * (double)dbeta[j] / n + (double)gmean[j] / n);
    dgamma[j] = (float)(s * rstd);
  }
  affine(rows, cols, dy, x, mean, A, B, C, dx, 0, 0);
}
