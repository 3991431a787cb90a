// Owns the convolution kernels for single-channel images at stride 1 along the width (grey-image
// stems such as quickstart's 9×9 → 10 filters), included by conv.c, whose exports call them.
//
// With C = 1 and stride 1, the input values a tap sees from 4 neighbouring output pixels of a row are
// 4 consecutive floats, x[pixel(oh, ow..ow+3) + off(k)] (see conv.c's header): one vector load.
// Making the pixels the vector axis fills every lane whatever the number of filters (conv.c's
// channel vectors leave 2 of 12 lanes empty at 10 filters, and a 9-tap filter row is a short loop):
//   forward:      y[ow..ow+3, o]  = Σ_k x[pixel(oh, ow..ow+3) + off(k)] · splat(w[k, o])
//                 (each lane sums its taps in conv.c's order: the same values, bit for bit), stored
//                 through 4×4 transposes into NHWC;
//   filter grad:  dw[k, o] = Σ_lanes Σ_{oh, ow in steps of 4} x[pixel(oh, ow..ow+3) + off(k)] · dyT[o, oh, ow..ow+3]
//                 with dy transposed per image to dyT [oc, oh, OW rounded up to 4] (zeros after OW),
//                 the 4 lanes kept apart over the whole batch (partial sums in scratch) and added
//                 at the end.
// Rule for every file here (checked by scripts/build-kernels.js): no globals, no static data, no C stack.

#pragma once
#include "conv.h"

// Whether a convolution takes these kernels: one input channel, stride 1 along the width, and a filter
// count that leaves lanes of conv.c's channel vectors empty (at multiples of 4 those are as fast, and
// its filter gradient needs no transposed dy: 1.5× faster at the siamese stem's 16 filters).
#define C1_PATH(c, sw, oc) ((c) == 1 && (sw) == 1 && ((oc) & 3) != 0)

// The 4×4 transpose: rows c0..c3 (one channel, 4 pixels each) to r0..r3 (one pixel, 4 channels each).
#define TRANSPOSE4(c0, c1, c2, c3, r0, r1, r2, r3)          \
  v128_t t0 = wasm_i32x4_shuffle(c0, c1, 0, 4, 1, 5);       \
  v128_t t1 = wasm_i32x4_shuffle(c0, c1, 2, 6, 3, 7);       \
  v128_t t2 = wasm_i32x4_shuffle(c2, c3, 0, 4, 1, 5);       \
  v128_t t3 = wasm_i32x4_shuffle(c2, c3, 2, 6, 3, 7);       \
  v128_t r0 = wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5);       \
  v128_t r1 = wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7);       \
  v128_t r2 = wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5);       \
  v128_t r3 = wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7)

// Forward block: V vectors of 4 pixels (x at their first tap, y at their first output, yPix floats
// apart) × O filters (w at the first, oc floats per tap), over filter rows i0 ≤ i < i1 and columns
// j0 ≤ j < j1; + bias and relu as it writes.
INLINE void c1_fwd_block(int V, int O, const float* x, int xRow, int i0, int i1, int j0, int j1, int fw, const float* w, int oc,
                         float* y, int yPix, const float* bias, int relu) {
  const v128_t z = wasm_f32x4_splat(0);
  v128_t acc[3][4];
  for (int v = 0; v < 3; v++)
    for (int o = 0; o < 4; o++) acc[v][o] = z;
  const float* xi = x + i0 * xRow + j0;
  const float* wi = w + (i0 * fw + j0) * oc;
  for (int i = i0; i < i1; i++, xi += xRow, wi += fw * oc) {
    const float* wp = wi;
    for (const float *xp = xi, *end = xi + (j1 - j0); xp < end; xp++, wp += oc) {
      v128_t a[3];
      for (int v = 0; v < V; v++) a[v] = wasm_v128_load(xp + 4 * v);
      for (int o = 0; o < O; o++) {
        v128_t b = wasm_v128_load32_splat(wp + o);
        for (int v = 0; v < V; v++) MAD(acc[v][o], a[v], b);
      }
    }
  }
  const int tail = O & 3;
  const float* b = bias ? bias : 0;
  for (int v = 0; v < V; v++) {
    TRANSPOSE4(acc[v][0], acc[v][1], acc[v][2], acc[v][3], r0, r1, r2, r3);
    float* yv = y + 4 * v * yPix;
    store_part(yv, bias_relu4(r0, b, tail, relu), tail);
    store_part(yv + yPix, bias_relu4(r1, b, tail, relu), tail);
    store_part(yv + 2 * yPix, bias_relu4(r2, b, tail, relu), tail);
    store_part(yv + 3 * yPix, bias_relu4(r3, b, tail, relu), tail);
  }
}

// Each (V, O) a function of its own (V8 allocates registers per function; see conv.c). Blocks keep
// V·O accumulators, V input vectors and O weights in registers: at most 15 (3 × 3, 2 × 4).
#ifndef NOINLINE
#define NOINLINE static __attribute__((noinline))
#endif
#define C1_FWD_ARGS const float *x, int xRow, int i0, int i1, int j0, int j1, int fw, const float *w, int oc, float *y, int yPix, const float *bias, int relu
#define C1_FWD_CASE(V, O) \
  NOINLINE void c1_fwd_##V##_##O(C1_FWD_ARGS) { c1_fwd_block(V, O, x, xRow, i0, i1, j0, j1, fw, w, oc, y, yPix, bias, relu); }
#define C1_FWD_CASES(V) C1_FWD_CASE(V, 1) C1_FWD_CASE(V, 2) C1_FWD_CASE(V, 3)
C1_FWD_CASES(1) C1_FWD_CASES(2) C1_FWD_CASES(3) C1_FWD_CASE(1, 4) C1_FWD_CASE(2, 4)

// The filters in blocks of at most 4 (as even as can be); each over the row's pixels in blocks of
// 3 vectors (2 with 4 filters), the last ones smaller: never a block of 1 after larger ones.
static void conv_c1_forward_row(const float* xr, int xRow, int i0, int i1, int fw, int colLo, int colHi, const float* w, int oc, float* yr,
                                int yPix, int ow4, const float* bias, int relu) {
  const int blocks = (oc + 3) / 4;
  for (int ob = 0, o0 = 0; ob < blocks; ob++) {
    const int O = oc / blocks + (ob < oc % blocks);
    const int vmax = O == 4 ? 2 : 3;
    for (int p0 = 0, rem = ow4 / 4; rem > 0;) {
      int V = rem > vmax && rem % vmax == 1 ? vmax - 1 : rem < vmax ? rem : vmax;
      // Taps some pixel of the block reads data with (as in conv.c).
      int jLo = colLo - (p0 + 4 * V - 1) > 0 ? colLo - (p0 + 4 * V - 1) : 0;
      int jHi = colHi - p0 < fw ? colHi - p0 : fw;
      if (jHi < jLo) jHi = jLo;
#define FWD(V, O) c1_fwd_##V##_##O(xr + p0, xRow, i0, i1, jLo, jHi, fw, w + o0, oc, yr + p0 * yPix + o0, yPix, bias ? bias + o0 : 0, relu)
#define FWD_V(O)         \
  if (V == 1) {          \
    FWD(1, O);           \
  } else if (V == 2) {   \
    FWD(2, O);           \
  } else {               \
    FWD(3, O);           \
  }
      switch (O) {
        case 1: FWD_V(1) break;
        case 2: FWD_V(2) break;
        case 3: FWD_V(3) break;
        default:
          if (V == 1) FWD(1, 4); else FWD(2, 4);
          break;
      }
#undef FWD_V
#undef FWD
      p0 += 4 * V;
      rem -= V;
    }
    o0 += O;
  }
}

// Floats of one image's dyT (below).
INLINE int c1_dyt_floats(int oh, int ow, int oc) { return oc * oh * ((ow + 3) & ~3); }

// dyT[o·plane + r·owp + q] = dy[(r·ow + q)·oc + o] for one image, zeros for ow ≤ q < owp = OW rounded
// up to 4 (plane = oh·owp): 4 pixels × 4 filters at a time through TRANSPOSE4.
static void c1_transpose_dy(const float* dy, int oh, int ow, int oc, float* dyT) {
  const int owp = (ow + 3) & ~3, plane = oh * owp;
  for (int r = 0; r < oh; r++) {
    const float* d = dy + r * ow * oc;
    float* t = dyT + r * owp;
    int q = 0;
    for (; q + 4 <= ow; q += 4) {
      for (int o = 0; o < oc; o += 4) {
        const int tail = oc - o >= 4 ? 0 : oc - o;
        const float* p = d + q * oc + o;
        v128_t c0 = load_part(p, tail), c1 = load_part(p + oc, tail), c2 = load_part(p + 2 * oc, tail), c3 = load_part(p + 3 * oc, tail);
        TRANSPOSE4(c0, c1, c2, c3, r0, r1, r2, r3);
        float* s = t + o * plane + q;
        wasm_v128_store(s, r0);
        if (o + 1 < oc) wasm_v128_store(s + plane, r1);
        if (o + 2 < oc) wasm_v128_store(s + 2 * plane, r2);
        if (o + 3 < oc) wasm_v128_store(s + 3 * plane, r3);
      }
    }
    for (; q < owp; q++)
      for (int o = 0; o < oc; o++) t[o * plane + q] = q < ow ? d[q * oc + o] : 0;
  }
}

// Filter-gradient block: T taps (x offsets o0..o3 from the pixel's first) × O filters (dyT at the
// first, plane floats apart), summed over one image's oh rows (rowStep floats apart in x) of ow pixels,
// 4 at a time; the 4 lanes written (or, with accumulate, added) to part[(t·oc + o)·4 …].
INLINE void c1_fgrad_block(int T, int O, const float* x, int o0, int o1, int o2, int o3, int rowStep, const float* dyT, int plane,
                           int oh, int ow, int oc, float* part, int accumulate) {
  const v128_t z = wasm_f32x4_splat(0);
  const int off[4] = {o0, o1, o2, o3};
  const int owp = (ow + 3) & ~3, ow4 = ow & ~3, tail = ow & 3;
  v128_t acc[4][4];
  for (int t = 0; t < 4; t++)
    for (int o = 0; o < 4; o++) acc[t][o] = z;
  for (int r = 0; r < oh; r++) {
    const float* xr = x + r * rowStep;
    const float* d = dyT + r * owp;
    for (int q = 0; q < ow4; q += 4) {
      v128_t dv[4];
      for (int o = 0; o < O; o++) dv[o] = wasm_v128_load(d + o * plane + q);
      for (int t = 0; t < T; t++) {
        v128_t a = wasm_v128_load(xr + q + off[t]);
        for (int o = 0; o < O; o++) MAD(acc[t][o], a, dv[o]);
      }
    }
    if (tail) {  // the last 1–3 pixels: dyT holds zeros after them, x is read no further
      v128_t dv[4];
      for (int o = 0; o < O; o++) dv[o] = wasm_v128_load(d + o * plane + ow4);
      for (int t = 0; t < T; t++) {
        v128_t a = load_part(xr + ow4 + off[t], tail);
        for (int o = 0; o < O; o++) MAD(acc[t][o], a, dv[o]);
      }
    }
  }
  for (int t = 0; t < T; t++) {
    for (int o = 0; o < O; o++) {
      float* p = part + (t * oc + o) * 4;
      wasm_v128_store(p, accumulate ? wasm_f32x4_add(acc[t][o], wasm_v128_load(p)) : acc[t][o]);
    }
  }
}

// Each (T, O) a function of its own; T·O accumulators, T ≤ 4 and O ≤ 4 with T·O + T + O ≤ 15.
#define C1_FGRAD_ARGS const float *x, int o0, int o1, int o2, int o3, int rowStep, const float *dyT, int plane, int oh, int ow, int oc, float *part, int accumulate
#define C1_FGRAD_CASE(T, O) \
  NOINLINE void c1_fgrad_##T##_##O(C1_FGRAD_ARGS) { c1_fgrad_block(T, O, x, o0, o1, o2, o3, rowStep, dyT, plane, oh, ow, oc, part, accumulate); }
#define C1_FGRAD_CASES(T) C1_FGRAD_CASE(T, 1) C1_FGRAD_CASE(T, 2)
C1_FGRAD_CASES(1) C1_FGRAD_CASES(2) C1_FGRAD_CASES(3) C1_FGRAD_CASES(4)
C1_FGRAD_CASE(1, 3) C1_FGRAD_CASE(2, 3) C1_FGRAD_CASE(3, 3) C1_FGRAD_CASE(1, 4) C1_FGRAD_CASE(2, 4)

// One image's filter gradient (C = 1, stride 1 along the width) for taps tap0 ≤ k < tap1, added to
// the partial sums part [fh·fw, oc, 4] (written when accumulate is 0): dy transposed into dyT
// (oc·oh·owp floats), then the filters in blocks of at most 4 (as even as can be) × taps in blocks of
// 4, 3 or 2 (see above).
static void conv_c1_filter_grad_image(const float* x, int xRow, int fw, int sh, const float* dy, int oh, int ow, int oc,
                                      int tap0, int tap1, float* dyT, float* part, int accumulate) {
  c1_transpose_dy(dy, oh, ow, oc, dyT);
  const int plane = oh * ((ow + 3) & ~3);
  const int blocks = (oc + 3) / 4;
  for (int ob = 0, j0 = 0; ob < blocks; ob++) {
    const int O = oc / blocks + (ob < oc % blocks);
    const int tmax = O == 4 ? 2 : O == 3 ? 3 : 4;
    for (int k0 = tap0; k0 < tap1;) {
      const int T = tap1 - k0 < tmax ? tap1 - k0 : tmax;
      int o[4];
      for (int t = 0; t < 4; t++) o[t] = t < T ? ((k0 + t) / fw) * xRow + (k0 + t) % fw : 0;
#define FGRAD(T, O) \
  c1_fgrad_##T##_##O(x, o[0], o[1], o[2], o[3], sh * xRow, dyT + j0 * plane, plane, oh, ow, oc, part + (k0 * oc + j0) * 4, accumulate)
#define FGRAD_T4(O) \
  if (T == 1) FGRAD(1, O); else if (T == 2) FGRAD(2, O); else if (T == 3) FGRAD(3, O); else FGRAD(4, O);
      switch (O) {
        case 1: FGRAD_T4(1) break;
        case 2: FGRAD_T4(2) break;
        case 3:
          if (T == 1) FGRAD(1, 3); else if (T == 2) FGRAD(2, 3); else FGRAD(3, 3);
          break;
        default:
          if (T == 1) FGRAD(1, 4); else FGRAD(2, 4);
          break;
      }
#undef FGRAD_T4
#undef FGRAD
      k0 += T;
    }
    j0 += O;
  }
}

// dw[k, o] = the sum of part's 4 lanes for (k, o), taps tap0 ≤ k < tap1.
static void conv_c1_filter_grad_finish(const float* part, int tap0, int tap1, int oc, float* dw) {
  part += 4 * tap0 * oc;
  for (int i = tap0 * oc; i < tap1 * oc; i++, part += 4) dw[i] = (part[0] + part[1]) + (part[2] + part[3]);
}
