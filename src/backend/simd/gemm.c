// Owns mtl's SIMD matrix product on tfjs-backend-wasm's own memory: C[m×n] (+)= A[m×k]·B[k×n] with
// row strides, no packing. XNNPACK packs its right operand anew whenever the tensor is new, which
// dominates the many small products of the fused recurrent ops and the large, once-used operands of
// the convolution filter gradient; this kernel reads both operands where they lie.
// Rule for every file here (checked by scripts/build-kernels.js): no globals, no static data, no C
// stack — the module shares tfjs's memory and owns none of it.
#include "lanes.h"

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
    MAD(c00, a0, b0); MAD(c01, a0, b1);
    MAD(c10, a1, b0); MAD(c11, a1, b1);
    MAD(c20, a2, b0); MAD(c21, a2, b1);
    MAD(c30, a3, b0); MAD(c31, a3, b1);
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

// ---------------------------------------------------------------------------------------------
// sgemm_packed: the same product for large operands. sgemm above reads B's rows ldb floats apart;
// past a few hundred columns those rows alias in the cache (ldb·4 bytes a multiple of 4 KiB maps
// them to one set) and B no longer stays in cache between row blocks of A: 37 → 10 GFLOPS from
// 256³ to 1024³. Here B is copied, KC rows × NC columns at a time, into `scratch` as panels of 8
// columns ([NC/8][KC][8], zero-padded past n), which every 4-row block of A then streams in order
// (Goto & van de Geijn, "Anatomy of high-performance matrix multiplication", doi:10.1145/1356052.1356053).
// scratch: KC·NC floats (GEMM_KC·GEMM_NC, 512 KiB), a buffer the caller owns.
#define GEMM_KC 256
#define GEMM_NC 512

// Rows of B p0 … p0+kc, columns j0 … j0+nc into panels of 8 columns, zeros past column n.
static void pack_b(const float* b, int ldb, int n, int p0, int kc, int j0, int nc, float* out) {
  for (int jp = 0; jp < nc; jp += 8) {
    for (int p = 0; p < kc; p++, out += 8) {
      const float* row = b + (p0 + p) * ldb + j0 + jp;
      int valid = n - (j0 + jp);
      if (valid >= 8) {
        wasm_v128_store(out, wasm_v128_load(row));
        wasm_v128_store(out + 4, wasm_v128_load(row + 4));
      } else {
        for (int t = 0; t < 8; t++) out[t] = t < valid ? row[t] : 0;
      }
    }
  }
}

// The first `cols` (1–8) of a row's eight values: written, or added to what is there.
static inline __attribute__((always_inline)) void store_cols(float* c, v128_t lo, v128_t hi, int cols, int accumulate) {
  if (cols == 8) {
    store2(c, lo, hi, accumulate);
    return;
  }
  // A partial panel (the last one of a row): its real columns one by one.
  float v[8] = {wasm_f32x4_extract_lane(lo, 0), wasm_f32x4_extract_lane(lo, 1), wasm_f32x4_extract_lane(lo, 2), wasm_f32x4_extract_lane(lo, 3),
                wasm_f32x4_extract_lane(hi, 0), wasm_f32x4_extract_lane(hi, 1), wasm_f32x4_extract_lane(hi, 2), wasm_f32x4_extract_lane(hi, 3)};
  if (cols > 0) c[0] = accumulate ? c[0] + v[0] : v[0];
  if (cols > 1) c[1] = accumulate ? c[1] + v[1] : v[1];
  if (cols > 2) c[2] = accumulate ? c[2] + v[2] : v[2];
  if (cols > 3) c[3] = accumulate ? c[3] + v[3] : v[3];
  if (cols > 4) c[4] = accumulate ? c[4] + v[4] : v[4];
  if (cols > 5) c[5] = accumulate ? c[5] + v[5] : v[5];
  if (cols > 6) c[6] = accumulate ? c[6] + v[6] : v[6];
}

// mr (1–4) rows of A × one packed panel (8 columns, `cols` of them real) over kc, into C.
static inline __attribute__((always_inline)) void packed_block(int mr, int kc, const float* a, int lda, const float* bp, float* c, int ldc, int cols, int accumulate) {
  v128_t z = wasm_f32x4_splat(0), c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
  for (int p = 0; p < kc; p++, bp += 8) {
    v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
    v128_t a0 = wasm_f32x4_splat(a[p]);
    MAD(c00, a0, b0); MAD(c01, a0, b1);
    if (mr > 1) { v128_t a1 = wasm_f32x4_splat(a[lda + p]); MAD(c10, a1, b0); MAD(c11, a1, b1); }
    if (mr > 2) { v128_t a2 = wasm_f32x4_splat(a[2 * lda + p]); MAD(c20, a2, b0); MAD(c21, a2, b1); }
    if (mr > 3) { v128_t a3 = wasm_f32x4_splat(a[3 * lda + p]); MAD(c30, a3, b0); MAD(c31, a3, b1); }
  }
  store_cols(c, c00, c01, cols, accumulate);
  if (mr > 1) store_cols(c + ldc, c10, c11, cols, accumulate);
  if (mr > 2) store_cols(c + 2 * ldc, c20, c21, cols, accumulate);
  if (mr > 3) store_cols(c + 3 * ldc, c30, c31, cols, accumulate);
}

// One function per row count, so that V8 keeps each one's accumulators in registers.
static __attribute__((noinline)) void packed4(int kc, const float* a, int lda, const float* bp, float* c, int ldc, int cols, int acc) { packed_block(4, kc, a, lda, bp, c, ldc, cols, acc); }
static __attribute__((noinline)) void packed3(int kc, const float* a, int lda, const float* bp, float* c, int ldc, int cols, int acc) { packed_block(3, kc, a, lda, bp, c, ldc, cols, acc); }
static __attribute__((noinline)) void packed2(int kc, const float* a, int lda, const float* bp, float* c, int ldc, int cols, int acc) { packed_block(2, kc, a, lda, bp, c, ldc, cols, acc); }
static __attribute__((noinline)) void packed1(int kc, const float* a, int lda, const float* bp, float* c, int ldc, int cols, int acc) { packed_block(1, kc, a, lda, bp, c, ldc, cols, acc); }

// C = A·B (accumulate = 0) or C += A·B (accumulate = 1), as sgemm; scratch: GEMM_KC·GEMM_NC floats.
EXPORT(sgemm_packed)
void sgemm_packed(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc, int accumulate, float* scratch) {
  for (int j0 = 0; j0 < n; j0 += GEMM_NC) {
    int nc = n - j0 < GEMM_NC ? n - j0 : GEMM_NC;
    int ncPadded = (nc + 7) & ~7;
    for (int p0 = 0; p0 < k || p0 == 0; p0 += GEMM_KC) {
      int kc = k - p0 < GEMM_KC ? k - p0 : GEMM_KC;
      int acc = accumulate || p0 > 0;
      pack_b(b, ldb, n, p0, kc, j0, ncPadded, scratch);
      for (int i = 0; i < m; i += 4) {
        int mr = m - i < 4 ? m - i : 4;
        const float* ai = a + i * lda + p0;
        for (int jp = 0; jp < nc; jp += 8) {
          int cols = nc - jp < 8 ? nc - jp : 8;
          const float* bp = scratch + jp * kc;
          float* cij = c + i * ldc + j0 + jp;
          if (mr == 4) packed4(kc, ai, lda, bp, cij, ldc, cols, acc);
          else if (mr == 3) packed3(kc, ai, lda, bp, cij, ldc, cols, acc);
          else if (mr == 2) packed2(kc, ai, lda, bp, cij, ldc, cols, acc);
          else packed1(kc, ai, lda, bp, cij, ldc, cols, acc);
        }
      }
      if (k == 0) break;
    }
  }
}
