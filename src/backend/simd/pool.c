// Owns max pooling over NHWC tensors (float32, on tfjs-backend-wasm's memory) for any window,
// stride and padding, four channels at a time (the channel vector innermost, so every load is
// contiguous), with the semantics of tfjs's cpu backend and TensorFlow's MaxPoolGrad:
//   max_pool:      y = the first maximum of the window's in-bounds values in row-major order, by
//                  strict > from −∞ (NaN never wins; a window of NaN or −∞ only gives −∞)
//   max_pool_grad: dx[that first maximum] += dy (windows may overlap; +0 is added at the window's
//                  other places); a window whose values never beat −∞ passes nothing on
// tfjs-backend-wasm's MaxPool (XNNPACK) lets a NaN hide the values after it and orders ±0 the other
// way, and its MaxPoolGrad is a channel-outermost loop; mtl's JS loop for the general gradient was
// ~6 ms at a ResNet stem's 3×3 / 2 pooling (batch 256).
// Rule for every file here (checked by scripts/build-kernels.js): no globals, no static data, no C
// stack — the module shares tfjs's memory and owns none of it.
#include "lanes.h"

#define SCALAR _Pragma("clang loop vectorize(disable) interleave(disable)")

// The in-bounds rows r0 … r1 and columns q0 … q1 of output pixel (oy, ox)'s window.
#define WINDOW                                                        \
  const int rs = oy * sh - top, qs = ox * sw - left;                  \
  const int r0 = rs < 0 ? 0 : rs, r1 = rs + fh > h ? h : rs + fh;     \
  const int q0 = qs < 0 ? 0 : qs, q1 = qs + fw > w ? w : qs + fw;

// The first maximum of four vectors in window order.
INLINE v128_t max4(v128_t a, v128_t b, v128_t c, v128_t d) {
  v128_t best = wasm_v128_bitselect(a, wasm_f32x4_splat(-__builtin_inff()), wasm_f32x4_gt(a, wasm_f32x4_splat(-__builtin_inff())));
  best = wasm_v128_bitselect(b, best, wasm_f32x4_gt(b, best));
  best = wasm_v128_bitselect(c, best, wasm_f32x4_gt(c, best));
  return wasm_v128_bitselect(d, best, wasm_f32x4_gt(d, best));
}

// 2×2 windows at stride 2 without padding, c ≥ 4 (LeNet's pooling): the last vector of a pixel
// overlaps the one before it instead of a scalar tail (the same values written twice).
INLINE void max_pool_2x2(const float* x, float* y, int n, int h, int w, int c, int oh, int ow) {
  const int row = w * c;
  for (int b = 0; b < n; b++) {
    for (int oy = 0; oy < oh; oy++) {
      const float* in = x + (b * h + 2 * oy) * row;
      for (int ox = 0; ox < ow; ox++, y += c, in += 2 * c) {
        for (int k = 0; k < c; k += 4) {
          const int j = k + 4 > c ? c - 4 : k;
          const float* p = in + j;
          wasm_v128_store(y + j, max4(wasm_v128_load(p), wasm_v128_load(p + c), wasm_v128_load(p + row), wasm_v128_load(p + row + c)));
        }
      }
    }
  }
}

// The same 2×2 pooling that also writes a code byte per output value, which its gradient reads
// instead of x (x is the largest operand there, usually out of cache by the backward pass: ~1 ms of
// the ~3 ms of LeNet's first pooling gradient at batch 256). Bits 0–2: the first maximum's place in
// the window (0–3, row-major; 4: no value beat −∞); bit 3: that maximum > 0. That is all
// max_pool_grad_2x2 (channels.c) reads of x, with or without the relu mask, unless x holds a NaN (a
// NaN that does not win still makes relu's mask NaN at its place): nans[b] is 1 when image b may
// hold one (a window's sum is NaN), and the gradient then reads x.
INLINE v128_t pool_codes(const float* p, int c, int row, float* y, unsigned char* code, v128_t nan) {
  const v128_t a0 = wasm_v128_load(p), a1 = wasm_v128_load(p + c), a2 = wasm_v128_load(p + row), a3 = wasm_v128_load(p + row + c);
  // best < a ? a : best (pmax) is the strict > of the cpu backend's loop; g_i: whether a_i won.
  const v128_t inf = wasm_f32x4_splat(-__builtin_inff());
  v128_t best = wasm_f32x4_pmax(inf, a0);
  const v128_t g1 = wasm_f32x4_gt(a1, best);
  best = wasm_f32x4_pmax(best, a1);
  const v128_t g2 = wasm_f32x4_gt(a2, best);
  best = wasm_f32x4_pmax(best, a2);
  const v128_t g3 = wasm_f32x4_gt(a3, best);
  best = wasm_f32x4_pmax(best, a3);
  wasm_v128_store(y, best);
  // The last a_i that won is the first maximum (a0 when none of the others did); 4 when none beat −∞.
  v128_t k = wasm_u32x4_max(wasm_v128_and(g1, wasm_i32x4_splat(1)), wasm_v128_and(g2, wasm_i32x4_splat(2)));
  k = wasm_u32x4_max(k, wasm_v128_and(g3, wasm_i32x4_splat(3)));
  k = wasm_v128_or(k, wasm_v128_andnot(wasm_i32x4_splat(4), wasm_f32x4_gt(best, inf)));
  k = wasm_v128_or(k, wasm_v128_and(wasm_f32x4_gt(best, wasm_f32x4_splat(0)), wasm_i32x4_splat(8)));
  const v128_t k16 = wasm_i16x8_narrow_i32x4(k, k);
  wasm_v128_store32_lane(code, wasm_u8x16_narrow_i16x8(k16, k16), 0);
  // Lanes whose four values sum to NaN (a NaN among them, or +∞ with −∞: a needless fallback at worst),
  // or-ed into `nan`: a one-cycle chain, where adding every value into one sum waited on each add.
  const v128_t s = wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3));
  return wasm_v128_or(nan, wasm_f32x4_ne(s, s));
}

// y and codes [n, oh, ow, c] of 2×2 windows at stride 2 tiling x [n, 2·oh, 2·ow, c], c ≥ 4 (the last
// vector of a pixel overlaps the one before it, as in max_pool_2x2), and nans [n].
EXPORT(max_pool_2x2_codes)
void max_pool_2x2_codes(const float* x, float* y, unsigned char* codes, unsigned char* nans, int n, int oh, int ow, int c) {
  const int row = 2 * ow * c;
  for (int b = 0; b < n; b++) {
    v128_t nan = wasm_i32x4_splat(0);
    for (int oy = 0; oy < oh; oy++) {
      const float* in = x + (b * 2 * oh + 2 * oy) * row;
      for (int ox = 0; ox < ow; ox++, y += c, codes += c, in += 2 * c) {
        for (int k = 0; k < c; k += 4) {
          const int j = k + 4 > c ? c - 4 : k;
          nan = pool_codes(in + j, c, row, y + j, codes + j, nan);
        }
      }
    }
    nans[b] = wasm_v128_any_true(nan);
  }
}

EXPORT(max_pool)
void max_pool(const float* x, float* y, int n, int h, int w, int c, int oh, int ow, int fh, int fw, int sh, int sw, int top, int left) {
  if (fh == 2 && fw == 2 && sh == 2 && sw == 2 && top == 0 && left == 0 && c >= 4 && 2 * oh <= h && 2 * ow <= w) {
    max_pool_2x2(x, y, n, h, w, c, oh, ow);
    return;
  }
  const int c4 = c & ~3;
  for (int b = 0; b < n; b++) {
    const float* img = x + b * h * w * c;
    for (int oy = 0; oy < oh; oy++) {
      for (int ox = 0; ox < ow; ox++, y += c) {
        WINDOW
        int k = 0;
        for (; k < c4; k += 4) {
          v128_t best = wasm_f32x4_splat(-__builtin_inff());
          for (int r = r0; r < r1; r++) {
            for (int q = q0; q < q1; q++) {
              v128_t v = wasm_v128_load(img + (r * w + q) * c + k);
              best = wasm_v128_bitselect(v, best, wasm_f32x4_gt(v, best));
            }
          }
          wasm_v128_store(y + k, best);
        }
        SCALAR for (; k < c; k++) {
          float best = -__builtin_inff();
          for (int r = r0; r < r1; r++) {
            for (int q = q0; q < q1; q++) {
              float v = img[(r * w + q) * c + k];
              if (v > best) best = v;
            }
          }
          y[k] = best;
        }
      }
    }
  }
}

EXPORT(max_pool_grad)
void max_pool_grad(const float* x, const float* dy, float* dx, int n, int h, int w, int c, int oh, int ow, int fh, int fw, int sh, int sw, int top, int left) {
  const int c4 = c & ~3, total = n * h * w * c;
  int i = 0;
  for (; i + 4 <= total; i += 4) wasm_v128_store(dx + i, wasm_f32x4_splat(0));
  SCALAR for (; i < total; i++) dx[i] = 0;
  for (int b = 0; b < n; b++) {
    const float* img = x + b * h * w * c;
    float* dimg = dx + b * h * w * c;
    for (int oy = 0; oy < oh; oy++) {
      for (int ox = 0; ox < ow; ox++, dy += c) {
        WINDOW
        const int first = (r0 * w + q0) * c, skip = (w - (q1 - q0)) * c;
        int k = 0;
        for (; k < c4; k += 4) {
          // Pass 1: each lane's first maximum, as its position in the window (−1: none).
          v128_t best = wasm_f32x4_splat(-__builtin_inff()), at = wasm_i32x4_splat(-1), pos = wasm_i32x4_splat(0);
          const v128_t one = wasm_i32x4_splat(1);
          const float* p = img + first + k;
          for (int r = r0; r < r1; r++, p += skip) {
            for (int q = q0; q < q1; q++, p += c, pos = wasm_i32x4_add(pos, one)) {
              v128_t v = wasm_v128_load(p);
              v128_t g = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, g);
              at = wasm_v128_bitselect(pos, at, g);
            }
          }
          // Pass 2: dy to the lanes whose maximum sits at each position (+0 to the others).
          const v128_t d = wasm_v128_load(dy + k);
          float* o = dimg + first + k;
          pos = wasm_i32x4_splat(0);
          for (int r = r0; r < r1; r++, o += skip) {
            for (int q = q0; q < q1; q++, o += c, pos = wasm_i32x4_add(pos, one)) {
              wasm_v128_store(o, wasm_f32x4_add(wasm_v128_load(o), wasm_v128_and(d, wasm_i32x4_eq(at, pos))));
            }
          }
        }
        SCALAR for (; k < c; k++) {
          float best = -__builtin_inff();
          int at = -1;
          for (int r = r0; r < r1; r++) {
            for (int q = q0; q < q1; q++) {
              const int j = (r * w + q) * c + k;
              if (img[j] > best) best = img[j], at = j;
            }
          }
          if (at >= 0) dimg[at] += dy[k];
        }
      }
    }
  }
}
