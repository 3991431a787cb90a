// Owns mtl's SIMD kernels over the channel axis of NHWC tensors (float32, on tfjs-backend-wasm's
// memory), each one pass over contiguous memory with the channel vector innermost:
//   sum_rows:          out[c] = Σ_r x[r, c]       (Sum over leading axes: a bias gradient; tfjs
//                                                  transposes first, then sums)
//   add_row:           out[r, c] = x[r, c] + v[c] (Add of a trailing vector: a bias)
//   max_pool_grad_2x2: MaxPoolGrad of 2×2 windows at stride 2 tiling the input (optionally times a
//                      relu's mask: the relu's gradient after it in the same pass)
//   pad_hw:            PadV2 of the spatial axes (a zeroPadding2d layer), a row at a time
// Sums run over r in order, so they equal tfjs's sums bit for bit.
// Rule for every file here (checked by scripts/build-kernels.js): no globals, no static data, no C
// stack — the module shares tfjs's memory and owns none of it.
#include "mask.h"

// Columns j0 … j0 + 4·nv of out, the last vector `tail` wide (0: full), summed over `rows` rows.
INLINE void sum_block(int nv, int tail, const float* x, int rows, int cols, float* out) {
  v128_t z = wasm_f32x4_splat(0), s0 = z, s1 = z, s2 = z, s3 = z;
  for (int r = 0; r < rows; r++, x += cols) {
    s0 = wasm_f32x4_add(s0, load_part(x, nv == 1 ? tail : 0));
    if (nv > 1) s1 = wasm_f32x4_add(s1, load_part(x + 4, nv == 2 ? tail : 0));
    if (nv > 2) s2 = wasm_f32x4_add(s2, load_part(x + 8, nv == 3 ? tail : 0));
    if (nv > 3) s3 = wasm_f32x4_add(s3, load_part(x + 12, tail));
  }
  store_part(out, s0, nv == 1 ? tail : 0);
  if (nv > 1) store_part(out + 4, s1, nv == 2 ? tail : 0);
  if (nv > 2) store_part(out + 8, s2, nv == 3 ? tail : 0);
  if (nv > 3) store_part(out + 12, s3, tail);
}

#define SUM_BLOCK(NV, T, j) sum_block(NV, T, x + j, rows, cols, out + j)

// out[c] = Σ_{r < rows} x[r·cols + c]; 16 columns at a time, the sums in registers.
EXPORT(sum_rows)
void sum_rows(const float* x, int rows, int cols, float* out) {
  FOR_COLUMN_BLOCKS(cols, SUM_BLOCK)
}

// out[r·cols + c] = x[r·cols + c] + v[c] for r < rows (out may be x).
EXPORT(add_row)
void add_row(const float* x, int rows, int cols, const float* v, float* out) {
  int c4 = cols & ~3, tail = cols & 3;
  for (int r = 0; r < rows; r++, x += cols, out += cols) {
    int j = 0;
    for (; j < c4; j += 4) wasm_v128_store(out + j, wasm_f32x4_add(wasm_v128_load(x + j), wasm_v128_load(v + j)));
    if (tail) store_part(out + j, wasm_f32x4_add(load_part(x + j, tail), load_part(v + j, tail)), tail);
  }
}

// dx of 2×2 max pooling at stride 2 over x [n, 2·oh, 2·ow, c] (every input in exactly one window):
// each window's dy goes to its first maximum in row-major order (strict >, so NaN never wins and a
// window of NaN gets nothing), as tfjs's cpu backend and TensorFlow do; the other three get 0.
// With relu (x a relu's output, whose gradient would multiply dx by step(x) next): each value times
// step(x) at its place (mask.h), the two passes' result in one.
INLINE void pool_window(const float* x, const float* dy, float* dx, int c, int row, int tail, int relu) {
  v128_t a0 = load_part(x, tail), a1 = load_part(x + c, tail);
  v128_t a2 = load_part(x + row, tail), a3 = load_part(x + row + c, tail);
  v128_t best = wasm_f32x4_splat(-__builtin_inff());
  v128_t g0 = wasm_f32x4_gt(a0, best);
  best = wasm_v128_bitselect(a0, best, g0);
  v128_t g1 = wasm_f32x4_gt(a1, best);
  best = wasm_v128_bitselect(a1, best, g1);
  v128_t g2 = wasm_f32x4_gt(a2, best);
  best = wasm_v128_bitselect(a2, best, g2);
  v128_t g3 = wasm_f32x4_gt(a3, best);
  // The last comparison that won is the first maximum.
  v128_t w2 = wasm_v128_andnot(g2, g3);
  v128_t w1 = wasm_v128_andnot(wasm_v128_andnot(g1, g2), g3);
  v128_t w0 = wasm_v128_andnot(wasm_v128_andnot(wasm_v128_andnot(g0, g1), g2), g3);
  v128_t d = load_part(dy, tail);
  v128_t d0 = wasm_v128_and(d, w0), d1 = wasm_v128_and(d, w1), d2 = wasm_v128_and(d, w2), d3 = wasm_v128_and(d, g3);
  if (relu) d0 = masked(a0, d0), d1 = masked(a1, d1), d2 = masked(a2, d2), d3 = masked(a3, d3);
  store_part(dx, d0, tail);
  store_part(dx + c, d1, tail);
  store_part(dx + row, d2, tail);
  store_part(dx + row + c, d3, tail);
}

EXPORT(max_pool_grad_2x2)
void max_pool_grad_2x2(const float* x, const float* dy, float* dx, int n, int oh, int ow, int c, int relu) {
  const int row = 2 * ow * c, c4 = c & ~3, tail = c & 3;
  for (int b = 0; b < n; b++) {
    for (int y = 0; y < oh; y++) {
      const int in = (b * 2 * oh + 2 * y) * row;
      for (int q = 0; q < ow; q++) {
        const int i = in + 2 * q * c, o = ((b * oh + y) * ow + q) * c;
        if (relu) {
          for (int k = 0; k < c4; k += 4) pool_window(x + i + k, dy + o + k, dx + i + k, c, row, 0, 1);
          if (tail) pool_window(x + i + c4, dy + o + c4, dx + i + c4, c, row, tail, 1);
        } else {
          for (int k = 0; k < c4; k += 4) pool_window(x + i + k, dy + o + k, dx + i + k, c, row, 0, 0);
          if (tail) pool_window(x + i + c4, dy + o + c4, dx + i + c4, c, row, tail, 0);
        }
      }
    }
  }
}

// max_pool_grad_2x2 from the codes max_pool_2x2_codes (pool.c) wrote instead of x, when x holds no
// NaN: the same values. The window's place named by bits 0–2 gets dy (with relu: dy·step(maximum),
// bit 3) and the others 0 (with relu: 0·step(x) = 0, x not NaN). Returns the window's one value
// (0 when none), lanes below `fresh` zeroed (lanes an overlapping last vector has already counted).
INLINE v128_t code_window(const unsigned char* code, const float* dy, float* dx, int c, int row, int relu, v128_t fresh) {
  const v128_t k = wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(code)));
  const v128_t at = wasm_v128_and(k, wasm_i32x4_splat(7));
  v128_t d = wasm_v128_load(dy);
  if (relu) {
    const v128_t pos = wasm_i32x4_ne(wasm_v128_and(k, wasm_i32x4_splat(8)), wasm_i32x4_splat(0));
    d = wasm_f32x4_mul(d, wasm_v128_bitselect(wasm_f32x4_splat(1), wasm_f32x4_splat(0), pos));
  }
  wasm_v128_store(dx, wasm_v128_and(d, wasm_i32x4_eq(at, wasm_i32x4_splat(0))));
  wasm_v128_store(dx + c, wasm_v128_and(d, wasm_i32x4_eq(at, wasm_i32x4_splat(1))));
  wasm_v128_store(dx + row, wasm_v128_and(d, wasm_i32x4_eq(at, wasm_i32x4_splat(2))));
  wasm_v128_store(dx + row + c, wasm_v128_and(d, wasm_i32x4_eq(at, wasm_i32x4_splat(3))));
  return wasm_v128_and(d, wasm_v128_and(wasm_i32x4_lt(at, wasm_i32x4_splat(4)), fresh));
}

// Vector v of the channel block from j0: its first channel (the last vector of a pixel overlaps the one
// before it when c is not a multiple of 4) and its lanes not counted by the vector before (all: −1).
#define BLOCK_VECTOR(v)                                                              \
  const int k_##v = j0 + 4 * (v), j_##v = k_##v + 4 > c ? c - 4 : k_##v;          \
  const v128_t f_##v = j_##v == k_##v ? wasm_i32x4_splat(-1) : wasm_i32x4_ge(lane, wasm_i32x4_splat(k_##v - j_##v))
#define WINDOW_VECTOR(v) s##v = wasm_f32x4_add(s##v, code_window(cw + j_##v, d + j_##v, out + j_##v, c, row, relu, f_##v))
// Lanes the vector before already stored keep their sums (stores in vector order).
#define STORE_SUM(v) wasm_v128_store(sums + j_##v, wasm_v128_bitselect(s##v, wasm_v128_load(sums + j_##v), f_##v))

// One image's windows for the NV channel vectors from j0 (NV a constant: the column sums stay in
// registers, not a load and a store per window on the same address).
INLINE void code_block(int NV, const unsigned char* codes, const float* dy, float* dx, float* sums, int oh, int ow, int c, int j0, int relu) {
  const int row = 2 * ow * c;
  const v128_t lane = wasm_i32x4_make(0, 1, 2, 3), z = wasm_f32x4_splat(0);
  v128_t s0 = z, s1 = z, s2 = z, s3 = z;
  BLOCK_VECTOR(0);
  BLOCK_VECTOR(1);
  BLOCK_VECTOR(2);
  BLOCK_VECTOR(3);
  for (int y = 0; y < oh; y++) {
    for (int q = 0; q < ow; q++) {
      const unsigned char* cw = codes + (y * ow + q) * c;
      const float* d = dy + (y * ow + q) * c;
      float* out = dx + 2 * y * row + 2 * q * c;
      WINDOW_VECTOR(0);
      if (NV > 1) WINDOW_VECTOR(1);
      if (NV > 2) WINDOW_VECTOR(2);
      if (NV > 3) WINDOW_VECTOR(3);
    }
  }
  STORE_SUM(0);
  if (NV > 1) STORE_SUM(1);
  if (NV > 2) STORE_SUM(2);
  if (NV > 3) STORE_SUM(3);
}

#define CODE_BLOCK(NV, RELU) code_block(NV, codes, dy, dx, sums, oh, ow, c, j0, RELU)
#define CODE_BLOCKS(RELU)                        \
  switch (nv) {                                  \
    case 1: CODE_BLOCK(1, RELU); break;          \
    case 2: CODE_BLOCK(2, RELU); break;          \
    case 3: CODE_BLOCK(3, RELU); break;          \
    default: CODE_BLOCK(4, RELU); break;         \
  }

// dx [n, 2·oh, 2·ow, c] from codes and dy [n, oh, ow, c] (c ≥ 4), and sums [n, c]: each image's
// column sums of dx, its windows' values added in window order (sum_rows over them in image order is
// dx's column sums, the same bits however the images are split over threads). 16 channels at a time.
EXPORT(max_pool_grad_2x2_codes)
void max_pool_grad_2x2_codes(const unsigned char* codes, const float* dy, float* dx, float* sums, int n, int oh, int ow, int c, int relu) {
  for (int b = 0; b < n; b++, codes += oh * ow * c, dy += oh * ow * c, dx += 4 * oh * ow * c, sums += c) {
    for (int j0 = 0; j0 < c; j0 += 16) {
      const int nv = c - j0 >= 16 ? 4 : (c - j0 + 3) / 4;
      if (relu) {
        CODE_BLOCKS(1)
      } else {
        CODE_BLOCKS(0)
      }
    }
  }
}

// out [n, oh, ow, c] = x [n, h, w, c] placed at row `top`, column `left`, `value` around it
// (PadV2 of the spatial axes: a zeroPadding2d layer); each row one contiguous copy.
INLINE void fill(float* p, int count, v128_t v) {
  int i = 0;
  for (; i + 4 <= count; i += 4) wasm_v128_store(p + i, v);
  for (; i < count; i++) p[i] = wasm_f32x4_extract_lane(v, 0);
}

EXPORT(pad_hw)
void pad_hw(const float* x, float* out, int n, int h, int w, int c, int oh, int ow, int top, int left, float value) {
  const v128_t v = wasm_f32x4_splat(value);
  const int row = w * c, orow = ow * c, before = left * c, after = orow - before - row;
  for (int b = 0; b < n; b++) {
    fill(out, top * orow, v);
    out += top * orow;
    for (int r = 0; r < h; r++, x += row, out += orow) {
      fill(out, before, v);
      int i = 0;
      for (; i + 4 <= row; i += 4) wasm_v128_store(out + before + i, wasm_v128_load(x + i));
      for (; i < row; i++) out[before + i] = x[i];
      fill(out + before + row, after, v);
    }
    fill(out, (oh - top - h) * orow, v);
    out += (oh - top - h) * orow;
  }
}
