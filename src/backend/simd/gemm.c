// Owns mtl's SIMD matrix product on tfjs-backend-wasm's own memory: C[m×n] (+)= A[m×k]·B[k×n] with
// row strides, no packing (sgemm), the same with A stored transposed (sgemm_at: a dense layer's weight
// gradient xᵀ·dy), and a packed variant for large B (sgemm_packed). XNNPACK packs its right operand
// anew whenever the tensor is new, which dominates the small products of dense layers; these kernels
// read both operands where they lie. Blocks are 4 rows × 8 columns; the edges (1–3 rows, 1–7 columns)
// run as vector blocks too, with partial loads and stores (lanes.h) — as scalar loops they took a
// third of quickstart's 256×500·500×50 product for its last 2 of 50 columns.
// Rule for every file here (checked by scripts/build-kernels.js): no globals, no static data, no C
// stack — the module shares tfjs's memory and owns none of it.
#include "lanes.h"

// Eight values of one row of C: written, or added to what is there.
static inline void store2(float* c, v128_t lo, v128_t hi, int accumulate) {
  if (accumulate) { lo = wasm_f32x4_add(lo, wasm_v128_load(c)); hi = wasm_f32x4_add(hi, wasm_v128_load(c + 4)); }
  wasm_v128_store(c, lo);
  wasm_v128_store(c + 4, hi);
}

// One row of a block's NV (1–2) vectors of C, the last with T live lanes (0: all four): written, or
// added to what is there; lanes past T are never touched.
INLINE void store_row(float* c, v128_t lo, v128_t hi, int NV, int T, int accumulate) {
  if (NV == 2) {
    if (accumulate) lo = wasm_f32x4_add(lo, wasm_v128_load(c));
    wasm_v128_store(c, lo);
    c += 4;
    lo = hi;
  }
  if (accumulate) lo = wasm_f32x4_add(lo, load_part(c, T));
  store_part(c, lo, T);
}

// A block of C: MR rows (1–4) × NV (1–2) 4-lane vectors of columns, the last with T live lanes (0: all
// four), up to eight accumulators in registers. A's element (r, p) is a[r·lda + p], or with TA a[p·lda + r]
// (A stored transposed, [k × m]: the rows of Aᵀ·B read where they lie, no transposed copy). Each
// element of C sums its k products in order p = 0 … k−1, whichever block computes it.
INLINE void gemm_block(int MR, int NV, int T, int TA, int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc, int accumulate) {
  v128_t z = wasm_f32x4_splat(0), c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
  const int ar = TA ? 1 : lda, ap = TA ? lda : 1;
  for (int p = 0; p < k; p++, a += ap, b += ldb) {
    v128_t b0 = NV == 1 ? load_part(b, T) : wasm_v128_load(b);
    v128_t b1 = NV == 2 ? load_part(b + 4, T) : z;
    v128_t a0 = wasm_v128_load32_splat(a);
    MAD(c00, a0, b0); if (NV == 2) MAD(c01, a0, b1);
    if (MR > 1) { v128_t a1 = wasm_v128_load32_splat(a + ar); MAD(c10, a1, b0); if (NV == 2) MAD(c11, a1, b1); }
    if (MR > 2) { v128_t a2 = wasm_v128_load32_splat(a + 2 * ar); MAD(c20, a2, b0); if (NV == 2) MAD(c21, a2, b1); }
    if (MR > 3) { v128_t a3 = wasm_v128_load32_splat(a + 3 * ar); MAD(c30, a3, b0); if (NV == 2) MAD(c31, a3, b1); }
  }
  store_row(c, c00, c01, NV, T, accumulate);
  if (MR > 1) store_row(c + ldc, c10, c11, NV, T, accumulate);
  if (MR > 2) store_row(c + 2 * ldc, c20, c21, NV, T, accumulate);
  if (MR > 3) store_row(c + 3 * ldc, c30, c31, NV, T, accumulate);
}

// One function per block shape (rows of A as stored or transposed, row count, column vectors and live
// lanes), so that V8 keeps each one's accumulators in registers and its loads fixed.
#define GEMM_BLOCK_ARGS int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc, int acc
#define GEMM_BLOCK(TA, MR, NV, T) \
  static __attribute__((noinline)) void block_##TA##_##MR##_##NV##_##T(GEMM_BLOCK_ARGS) { gemm_block(MR, NV, T, TA, k, a, lda, b, ldb, c, ldc, acc); }
#define GEMM_BLOCKS(TA, MR) \
  GEMM_BLOCK(TA, MR, 2, 0) GEMM_BLOCK(TA, MR, 1, 1) GEMM_BLOCK(TA, MR, 1, 2) GEMM_BLOCK(TA, MR, 1, 3) \
  GEMM_BLOCK(TA, MR, 1, 0) GEMM_BLOCK(TA, MR, 2, 1) GEMM_BLOCK(TA, MR, 2, 2) GEMM_BLOCK(TA, MR, 2, 3)
GEMM_BLOCKS(0, 4) GEMM_BLOCKS(0, 1) GEMM_BLOCKS(1, 4) GEMM_BLOCKS(1, 1)

// `nb` blocks of MR (4 or 1) rows of C, the next block's A `as` floats on: blocks of 8 columns, then
// the last 1–7 in one block. Column by column, so that one column block of B and the nb row blocks of A
// (in the TA case the same cache lines of A) stay in L1 while they are reused.
#define GEMM_ROWS(TA, MR)                                                                                          \
  static void rows_##TA##_##MR(int nb, int as, int n, GEMM_BLOCK_ARGS) {                                           \
    int j = 0;                                                                                                     \
    for (; j + 8 <= n; j += 8)                                                                                     \
      for (int r = 0; r < nb; r++) block_##TA##_##MR##_2_0(k, a + r * as, lda, b + j, ldb, c + r * MR * ldc + j, ldc, acc); \
    b += j, c += j;                                                                                                \
    for (int r = 0; r < nb; r++, a += as, c += MR * ldc) {                                                         \
      switch (n - j) {                                                                                             \
        case 1: block_##TA##_##MR##_1_1(k, a, lda, b, ldb, c, ldc, acc); break;                                     \
        case 2: block_##TA##_##MR##_1_2(k, a, lda, b, ldb, c, ldc, acc); break;                                     \
        case 3: block_##TA##_##MR##_1_3(k, a, lda, b, ldb, c, ldc, acc); break;                                     \
        case 4: block_##TA##_##MR##_1_0(k, a, lda, b, ldb, c, ldc, acc); break;                                     \
        case 5: block_##TA##_##MR##_2_1(k, a, lda, b, ldb, c, ldc, acc); break;                                     \
        case 6: block_##TA##_##MR##_2_2(k, a, lda, b, ldb, c, ldc, acc); break;                                     \
        case 7: block_##TA##_##MR##_2_3(k, a, lda, b, ldb, c, ldc, acc); break;                                     \
      }                                                                                                            \
    }                                                                                                              \
  }
GEMM_ROWS(0, 4) GEMM_ROWS(0, 1) GEMM_ROWS(1, 4) GEMM_ROWS(1, 1)

// Row blocks of 4 taken GEMM_MB at a time (rows_*): 16 rows are one cache line of a transposed A.
#define GEMM_MB 4

// C = A·B (accumulate = 0) or C += A·B (accumulate = 1); all row-major with row strides lda/ldb/ldc.
EXPORT(sgemm)
void sgemm(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc, int accumulate) {
  int i = 0;
  for (; i + 4 <= m; i += 4 * GEMM_MB) {
    int nb = (m - i) / 4 < GEMM_MB ? (m - i) / 4 : GEMM_MB;
    rows_0_4(nb, 4 * lda, n, k, a + i * lda, lda, b, ldb, c + i * ldc, ldc, accumulate);
  }
  i = m & ~3;
  if (i < m) rows_0_1(m - i, lda, n, k, a + i * lda, lda, b, ldb, c + i * ldc, ldc, accumulate);
}

// C = Aᵀ·B (or += ) for A stored [k × m] (row stride lda): sgemm's blocks reading A's columns where they
// lie, e.g. a dense layer's weight gradient xᵀ·dy without a transposed copy of x.
EXPORT(sgemm_at)
void sgemm_at(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc, int accumulate) {
  int i = 0;
  for (; i + 4 <= m; i += 4 * GEMM_MB) {
    int nb = (m - i) / 4 < GEMM_MB ? (m - i) / 4 : GEMM_MB;
    rows_1_4(nb, 4, n, k, a + i, lda, b, ldb, c + i * ldc, ldc, accumulate);
  }
  i = m & ~3;
  if (i < m) rows_1_1(m - i, 1, n, k, a + i, lda, b, ldb, c + i * ldc, ldc, accumulate);
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
