// Owns the forward convolution with the input channels as the vector axis, for inputs whose channel
// count is a multiple of 4 and outputs whose is not (e.g. quickstart's input gradient, a correlation
// of 20 channels into 10): included by conv.c, whose conv2d_forward_cvec export calls it.
//
// conv.c's blocks put the output channels on the vector axis, so 10 of them fill 10 of 12 lanes.
// Here each accumulator holds 4 partial sums of one output, over the channels c ≡ 0..3 (mod 4):
//   acc[p, o] += x[pixel(p) + off(i, j) + c .. c+3] · wT[o, (i·FW + j)·C + c .. c+3]
// with wT the filter as [OC, FH·FW·C] (each output's taps contiguous), and y[p, o] = the sum of
// acc[p, o]'s lanes (added in pairs after the whole sum: not tfjs's order, within rounding of it).
// Blocks of P pixels × O outputs keep P·O accumulators, P inputs and O weights in registers
// (P·O + P + O + 1 ≤ 15): 2 × 4, or 4 × 1–2 for the last 1–2 outputs; pairs of pixels at the edges
// of a padded image skip most of the padding's taps (triples: 16 % more multiplies at quickstart's).
// Rule for every file here (checked by scripts/build-kernels.js): no globals, no static data, no C stack.
#pragma once
#include "conv.h"

// Sums of the lanes of a, b, c, d as one vector [Σa, Σb, Σc, Σd].
INLINE v128_t hsum4(v128_t a, v128_t b, v128_t c, v128_t d) {
  v128_t ab = wasm_f32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
  v128_t cd = wasm_f32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
  return wasm_f32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5), wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}

// P pixels (colStep floats apart in x, yPix in y) × O outputs (wT rows K floats apart), over filter
// rows i0 ≤ i < i1 and the consecutive taps t0 ≤ t < t1 of each (multiples of 4); + bias and relu.
INLINE void cv_block(int P, int O, const float* x, int colStep, int xRow, int i0, int i1, int t0, int t1, int fwc, const float* wT, int K,
                     float* y, int yPix, const float* bias, int relu) {
  const v128_t z = wasm_f32x4_splat(0);
  v128_t acc[4][4];
  for (int p = 0; p < 4; p++)
    for (int o = 0; o < 4; o++) acc[p][o] = z;
  const float* xi = x + i0 * xRow + t0;
  const float* wi = wT + i0 * fwc + t0;
  for (int i = i0; i < i1; i++, xi += xRow, wi += fwc) {
    for (int t = 0; t < t1 - t0; t += 4) {
      v128_t xv[4], wv[4];
      for (int p = 0; p < P; p++) xv[p] = wasm_v128_load(xi + p * colStep + t);
      for (int o = 0; o < O; o++) wv[o] = wasm_v128_load(wi + o * K + t);
      for (int p = 0; p < P; p++)
        for (int o = 0; o < O; o++) MAD(acc[p][o], xv[p], wv[o]);
    }
  }
  const int tail = O & 3;
  for (int p = 0; p < P; p++) {
    v128_t s = hsum4(acc[p][0], acc[p][1], acc[p][2], acc[p][3]);
    store_part(y + p * yPix, bias_relu4(s, bias, tail, relu), tail);
  }
}

#ifndef NOINLINE
#define NOINLINE static __attribute__((noinline))
#endif
#define CV_ARGS const float *x, int colStep, int xRow, int i0, int i1, int t0, int t1, int fwc, const float *wT, int K, float *y, int yPix, const float *bias, int relu
#define CV_CASE(P, O) \
  NOINLINE void cv_##P##_##O(CV_ARGS) { cv_block(P, O, x, colStep, xRow, i0, i1, t0, t1, fwc, wT, K, y, yPix, bias, relu); }
CV_CASE(1, 1) CV_CASE(1, 2) CV_CASE(1, 3) CV_CASE(1, 4)
CV_CASE(2, 1) CV_CASE(2, 2) CV_CASE(2, 3) CV_CASE(2, 4)
CV_CASE(3, 1) CV_CASE(3, 2) CV_CASE(4, 1) CV_CASE(4, 2)

// One output row (xr at its first pixel's first tap, yr at its first output) as conv2d_forward's,
// the outputs in blocks of 4 (the last 1–3), the pixels in pairs (4 at a time with 1–2 outputs).
static void cv_row(const float* xr, int sw, int c, int xRow, int i0, int i1, int fw, int colLo, int colHi, const float* wT, int oc, int K,
                   int ow, float* yr, int yPix, const float* bias, int relu) {
  for (int o0 = 0; o0 < oc;) {
    const int O = oc - o0 < 4 ? oc - o0 : 4;
    const int pmax = O >= 3 ? 2 : 4;
    for (int p0 = 0; p0 < ow; p0 += pmax) {
      const int P = ow - p0 < pmax ? ow - p0 : pmax;
      int jLo = colLo - (p0 + P - 1) * sw > 0 ? colLo - (p0 + P - 1) * sw : 0;
      int jHi = colHi - p0 * sw < fw ? colHi - p0 * sw : fw;
      if (jHi < jLo) jHi = jLo;
#define CV(P, O) \
  cv_##P##_##O(xr + p0 * sw * c, sw * c, xRow, i0, i1, jLo * c, jHi * c, fw * c, wT + o0 * K, K, yr + p0 * yPix + o0, yPix, bias ? bias + o0 : 0, relu)
#define CV_O(P)              \
  switch (O) {               \
    case 1: CV(P, 1); break;   \
    case 2: CV(P, 2); break;   \
    case 3: CV(P, 3); break;   \
    default: CV(P, 4); break;  \
  }
      if (P == 1) {
        CV_O(1)
      } else if (P == 2) {
        CV_O(2)
      } else if (P == 3) {
        if (O == 1) CV(3, 1); else CV(3, 2);
      } else {
        if (O == 1) CV(4, 1); else CV(4, 2);
      }
#undef CV_O
#undef CV
    }
    o0 += O;
  }
}
