// Owns mtl's SIMD matrix product on tfjs-backend-wasm's own memory: C[m×n] (+)= A[m×k]·B[k×n] with
// row strides, no packing. XNNPACK packs its right operand anew whenever the tensor is new, which
// dominates the many small products of the fused recurrent ops and the large, once-used operands of
// the convolution filter gradient; this kernel reads both operands where they lie.
// Rule for every file here (checked by scripts/build-kernels.js): no globals, no static data, no C
// stack — the module shares tfjs's memory and owns none of it.
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

// Eight values of one row of C: written, or added to what is there.
static inline void store2(float* c, v128_t lo, v128_t hi, int accumulate) {
  if (accumulate) { lo = wasm_f32x4_add(lo, wasm_v128_load(c)); hi = wasm_f32x4_add(hi, wasm_v128_load(c + 4)); }
  wasm_v128_store(c, lo);
  wasm_v128_store(c + 4, hi);
}

// A 4×8 block of C: four rows of A, two 4-lane columns of B, eight accumulators in registers.
static inline void block4x8(int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc, int accumulate) {
  v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int p = 0; p < k; p++) {
    const float* bp = b + p * ldb;
    v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
    v128_t a0 = wasm_f32x4_splat(a[p]), a1 = wasm_f32x4_splat(a[lda + p]);
    v128_t a2 = wasm_f32x4_splat(a[2 * lda + p]), a3 = wasm_f32x4_splat(a[3 * lda + p]);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, b0)); c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, b1));
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a1, b0)); c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a1, b1));
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a2, b0)); c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a2, b1));
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a3, b0)); c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a3, b1));
  }
  store2(c, c00, c01, accumulate);
  store2(c + ldc, c10, c11, accumulate);
  store2(c + 2 * ldc, c20, c21, accumulate);
  store2(c + 3 * ldc, c30, c31, accumulate);
}

// One element of C, for the edges the blocks leave.
static inline void element(int k, const float* a, const float* b, int ldb, float* c, int accumulate) {
  float s = 0;
  for (int p = 0; p < k; p++) s += a[p] * b[p * ldb];
  *c = accumulate ? *c + s : s;
}

// C = A·B (accumulate = 0) or C += A·B (accumulate = 1); all row-major with row strides lda/ldb/ldc.
EXPORT(sgemm)
void sgemm(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc, int accumulate) {
  int m4 = m & ~3, n8 = n & ~7;
  for (int i = 0; i < m4; i += 4) {
    for (int j = 0; j < n8; j += 8) block4x8(k, a + i * lda, lda, b + j, ldb, c + i * ldc + j, ldc, accumulate);
    for (int r = i; r < i + 4; r++)
      for (int j = n8; j < n; j++) element(k, a + r * lda, b + j, ldb, c + r * ldc + j, accumulate);
  }
  for (int r = m4; r < m; r++)
    for (int j = 0; j < n; j++) element(k, a + r * lda, b + j, ldb, c + r * ldc + j, accumulate);
}
