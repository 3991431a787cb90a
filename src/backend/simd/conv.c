// Owns mtl's SIMD convolution kernels on tfjs-backend-wasm's memory (NHWC, float32), read where the
// tensors lie: no im2col, no packing of the large operands (XNNPACK packs its "filter" operand anew
// for every new tensor, which for the filter gradient is the whole output gradient).
//
// Both are register-blocked products whose left operand is read straight out of the image: with
// k = (i, j, c) a filter tap and its channel, the input value a tap sees from output pixel (oh, ow) is
//   x[(oh·sh + i)·xRow + (ow·sw + j)·C + c] = x[pixel(oh, ow) + off(k)],  off(k) = i·xRow + j·C + c,
// so consecutive k of one filter row are consecutive floats. x is an image with every tap inside it
// (callers pad a copy with zeros first when the convolution pads; pad_nhwc).
//   conv2d_filter_grad:  dw[k, oc] = Σ_{n,oh,ow} x[n, pixel + off(k)] · dy[n, oh, ow, oc]
//   conv2d_forward:      y[n, oh, ow, oc] = Σ_k x[n, pixel + off(k)] · w[k, oc]
// Blocks of 4 rows (k for the first, pixels for the second) × 8 output channels, or 3 rows × 12, keep
// their accumulators in registers over the whole sum; oc is the vector axis, its last vector may be
// partial (loaded and stored lane by lane, never past the tensor). The forward adds the bias and
// applies the relu as a block is written. Single-channel images at stride 1 along the width into a
// filter count not a multiple of 4 take conv-c1.h's blocks instead (pixels as the vector axis).
// Rule for every file here (checked by scripts/build-kernels.js): no globals, no static data, no C
// stack — the module shares tfjs's memory and owns none of it.

#include "conv-c1.h"
#include "conv-cvec.h"
#include "conv-pad.h"

// Up to 4 rows × 3 vectors of accumulators (cRV); blocks use 4×2 or 3×3 (13 of V8's 16 registers).
#define ACC_DECL                                                                 \
  v128_t z = wasm_f32x4_splat(0);                                                \
  v128_t c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z, c20 = z, c21 = z, \
         c22 = z, c30 = z, c31 = z, c32 = z

// b0..b2 := the nv vectors at p (the last one holding `tail` values when tail > 0).
#define LOAD_B(p)                                              \
  v128_t b0 = load_part(p, nv == 1 ? tail : 0);                \
  v128_t b1 = nv >= 2 ? load_part((p) + 4, nv == 2 ? tail : 0) : z; \
  v128_t b2 = nv >= 3 ? load_part((p) + 8, tail) : z

// Row r of the block: acc row += splat(*ap) · b.
#define ROW(r, ap)                                 \
  if (mr > r) {                                    \
    v128_t a = wasm_v128_load32_splat(ap);         \
    MAD(c##r##0, a, b0);                           \
    if (nv >= 2) MAD(c##r##1, a, b1);              \
    if (nv >= 3) MAD(c##r##2, a, b2);              \
  }

// Writes (or, with accumulate, adds) the block's mr rows (ld floats apart) of nv vectors, each + the
// bias's values at b when b is not null, then max(·, 0) when relu (bias_relu4).
#define STORE_ROW(r, p, accumulate, b, relu)                                  \
  if (mr > r) {                                                               \
    v128_t row[3] = {c##r##0, c##r##1, c##r##2};                              \
    for (int v = 0; v < nv; v++) {                                            \
      int t = v == nv - 1 ? tail : 0;                                         \
      v128_t s = row[v];                                                      \
      if (accumulate) s = wasm_f32x4_add(s, load_part((p) + 4 * v, t));       \
      s = bias_relu4(s, (b) ? (b) + 4 * v : 0, t, relu);                      \
      store_part((p) + 4 * v, s, t);                                          \
    }                                                                         \
  }
#define STORE(p, ld, accumulate, b, relu)                \
  STORE_ROW(0, p, accumulate, b, relu)                   \
  STORE_ROW(1, (p) + (ld), accumulate, b, relu)          \
  STORE_ROW(2, (p) + 2 * (ld), accumulate, b, relu)      \
  STORE_ROW(3, (p) + 3 * (ld), accumulate, b, relu)

// One block of the filter gradient: rows k with offsets o0..o3 (mr of them) × nv vectors of oc,
// summed over one image's output pixels, written (accumulate = 0) or added to dw (rows ldw apart).
INLINE void fgrad_block(int mr, int nv, int tail, const float* x, int o0, int o1, int o2, int o3, int rowStep, int colStep,
                        const float* dy, int oh, int ow, int oc, float* dw, int ldw, int accumulate) {
  ACC_DECL;
  for (int r = 0; r < oh; r++) {
    const float* xp = x + r * rowStep;
    const float* d = dy + r * ow * oc;
    for (int q = 0; q < ow; q++, xp += colStep, d += oc) {
      LOAD_B(d);
      ROW(0, xp + o0) ROW(1, xp + o1) ROW(2, xp + o2) ROW(3, xp + o3)
    }
  }
  STORE(dw, ldw, accumulate, (const float*)0, 0)
}

// One block of the forward convolution: mr output pixels (colStep floats apart in x, ldy in y)
// × nv vectors of oc, summed over filter rows i0 ≤ i < i1 and, within each, the consecutive taps
// t0 ≤ t < t1 (rows xRow apart in x, fwc·ldw apart in w), + bias (when not null) and relu as it writes.
INLINE void fwd_block(int mr, int nv, int tail, const float* x, int colStep, int xRow, int i0, int i1, int t0, int t1, int fwc,
                      const float* w, int ldw, float* y, int ldy, const float* bias, int relu) {
  const int s1 = colStep, s2 = 2 * colStep, s3 = 3 * colStep;
  ACC_DECL;
  const float* xi = x + i0 * xRow + t0;
  const float* wi = w + (i0 * fwc + t0) * ldw;
  for (int i = i0; i < i1; i++, xi += xRow, wi += fwc * ldw) {
    const float* wp = wi;
    for (const float *xp = xi, *end = xi + (t1 - t0); xp < end; xp++, wp += ldw) {
      LOAD_B(wp);
      ROW(0, xp) ROW(1, xp + s1) ROW(2, xp + s2) ROW(3, xp + s3)
    }
  }
  STORE(y, ldy, 0, bias, relu)
}

// The shape of the oc block starting rem channels before the end: 8 channels in 2 vectors while more
// than 12 remain, then the rest in 1–3 vectors, the last one partial when rem is not a multiple of 4.
// Blocks of 3 vectors have 3 rows, the others 4.
#define OC_SHAPE(rem, nv, tail, rows) \
  int nv = (rem) > 12 ? 2 : ((rem) + 3) / 4; \
  int tail = (rem) > 12 ? 0 : (rem) & 3;     \
  int rows = nv == 3 ? 3 : 4

// Each (mr, nv, tail) of a block as a function of its own: V8 allocates registers per function, and
// with all the cases inlined into one body it kept the accumulators on the stack (a third slower).
#define FGRAD_ARGS const float *x, int o0, int o1, int o2, int o3, int rowStep, int colStep, const float *dy, int oh, int ow, int oc, float *dw, int ldw, int accumulate
#define FGRAD_PASS x, o0, o1, o2, o3, rowStep, colStep, dy, oh, ow, oc, dw, ldw, accumulate
#define FWD_ARGS const float *x, int colStep, int xRow, int i0, int i1, int t0, int t1, int fwc, const float *w, int ldw, float *y, int ldy, const float *bias, int relu
#define FWD_PASS x, colStep, xRow, i0, i1, t0, t1, fwc, w, ldw, y, ldy, bias, relu
#define DEFINE_CASE(MR, NV, TAIL)                                                              \
  NOINLINE void fgrad_##MR##_##NV##_##TAIL(FGRAD_ARGS) { fgrad_block(MR, NV, TAIL, FGRAD_PASS); } \
  NOINLINE void fwd_##MR##_##NV##_##TAIL(FWD_ARGS) { fwd_block(MR, NV, TAIL, FWD_PASS); }
#define DEFINE_TAILS(MR, NV) DEFINE_CASE(MR, NV, 0) DEFINE_CASE(MR, NV, 1) DEFINE_CASE(MR, NV, 2) DEFINE_CASE(MR, NV, 3)
DEFINE_TAILS(4, 1) DEFINE_TAILS(4, 2)
DEFINE_TAILS(3, 1) DEFINE_TAILS(3, 2) DEFINE_TAILS(3, 3)
DEFINE_TAILS(2, 1) DEFINE_TAILS(2, 2) DEFINE_TAILS(2, 3)
DEFINE_TAILS(1, 1) DEFINE_TAILS(1, 2) DEFINE_TAILS(1, 3)

// Calls BLOCK(mr, nv, tail) with all three as compile-time constants (so each case is its own loop).
#define DISPATCH_TAIL(BLOCK, mr, nv, tail) \
  switch (tail) {                          \
    case 0: BLOCK(mr, nv, 0); break;       \
    case 1: BLOCK(mr, nv, 1); break;       \
    case 2: BLOCK(mr, nv, 2); break;       \
    default: BLOCK(mr, nv, 3); break;      \
  }
#define DISPATCH_NV2(BLOCK, mr, nv, tail) \
  if (nv == 1) {                          \
    DISPATCH_TAIL(BLOCK, mr, 1, tail)     \
  } else {                                \
    DISPATCH_TAIL(BLOCK, mr, 2, tail)     \
  }
#define DISPATCH_NV3(BLOCK, mr, nv, tail) \
  if (nv == 3) {                          \
    DISPATCH_TAIL(BLOCK, mr, 3, tail)     \
  } else {                                \
    DISPATCH_NV2(BLOCK, mr, nv, tail)     \
  }
// Blocks of 3 vectors have at most 3 rows.
#define DISPATCH(BLOCK, mr, nv, tail)                  \
  switch (mr) {                                        \
    case 4: DISPATCH_NV2(BLOCK, 4, nv, tail) break;    \
    case 3: DISPATCH_NV3(BLOCK, 3, nv, tail) break;    \
    case 2: DISPATCH_NV3(BLOCK, 2, nv, tail) break;    \
    default: DISPATCH_NV3(BLOCK, 1, nv, tail) break;   \
  }

// Where tap k's input value lies relative to its output pixel's (see the header).
INLINE int tap_offset(int k, int fwc, int xRow) { return (k / fwc) * xRow + k % fwc; }

// dw[fh·fw·c, oc] = Σ over n images and their oh×ow output pixels of x-window ⊗ dy (see the header),
// only dw's rows (taps) tap0 ≤ k < tap1 written: each weight's sum is the same terms in the same order
// whatever the range (every lane of a block sums on its own), so a filter gradient cut into tap ranges
// gives the bits of the whole (wasm-split.ts runs the ranges on threads). x: as RAW_ARGS says
// (conv-pad.h); dy: [n, oh, ow, oc]. Single-channel images at stride 1 along the width take
// conv-c1.h's pixel vectors, with scratch of conv2d_filter_grad_scratch floats (0 floats: conv.c's blocks).
EXPORT(conv2d_filter_grad_scratch)
int conv2d_filter_grad_scratch(int c, int fh, int fw, int sw, int oh, int ow, int oc) {
  return C1_PATH(c, sw, oc) ? c1_dyt_floats(oh, ow, oc) + 4 * fh * fw * oc : 0;
}

EXPORT(conv2d_filter_grad)
void conv2d_filter_grad(int n, const float* x, int xImage, int xRow, int c, int fh, int fw, int sh, int sw,
                        const float* dy, int oh, int ow, int oc, float* dw, float* scratch, RAW_ARGS, int tap0, int tap1) {
  if (C1_PATH(c, sw, oc) && scratch) {
    float* part = scratch + c1_dyt_floats(oh, ow, oc);
    for (int b = 0; b < n; b++)
      conv_c1_filter_grad_image(image_at(x, xImage, xRow, c, b, raw, rawH, rawW, top, left), xRow, fw, sh, dy + b * oh * ow * oc, oh, ow,
                                oc, tap0, tap1, scratch, part, b > 0);
    conv_c1_filter_grad_finish(part, tap0, tap1, oc, dw);
    return;
  }
  const int fwc = fw * c;
  for (int b = 0; b < n; b++) {
    const float* xb = image_at(x, xImage, xRow, c, b, raw, rawH, rawW, top, left);
    const float* db = dy + b * oh * ow * oc;
    for (int j0 = 0; j0 < oc;) {
      OC_SHAPE(oc - j0, nv, tail, rows);
      for (int k0 = tap0; k0 < tap1; k0 += rows) {
        int mr = tap1 - k0 < rows ? tap1 - k0 : rows;
        int o0 = tap_offset(k0, fwc, xRow);
        int o1 = mr > 1 ? tap_offset(k0 + 1, fwc, xRow) : o0;
        int o2 = mr > 2 ? tap_offset(k0 + 2, fwc, xRow) : o0;
        int o3 = mr > 3 ? tap_offset(k0 + 3, fwc, xRow) : o0;
#define FGRAD(MR, NV, TAIL) \
  fgrad_##MR##_##NV##_##TAIL(xb, o0, o1, o2, o3, sh * xRow, sw * c, db + j0, oh, ow, oc, dw + k0 * oc + j0, oc, b > 0)
        DISPATCH(FGRAD, mr, nv, tail)
#undef FGRAD
      }
      j0 += nv == 3 ? 12 : 4 * nv;
    }
  }
}

// y[n, oh, ow, oc] = Σ_k x-window[k] · w[k, oc] (+ bias[oc], then max(·, 0) when relu), with w
// [fh·fw·c, oc] (see the header), y's images, rows and pixels yImage, yRow and yPix floats apart (a
// phase of a strided input gradient writes every s-th row and column). x: as RAW_ARGS says
// (conv-pad.h); only rows rowLo ≤ r < rowHi and columns colLo ≤ q < colHi of it hold data, the rest are zeros that
// taps need not read (a padded copy: up to half the taps of a full-padded convolution).
EXPORT(conv2d_forward)
void conv2d_forward(int n, const float* x, int xImage, int xRow, int c, int fh, int fw, int sh, int sw,
                    const float* w, int oh, int ow, int oc, float* y, int yImage, int yRow, int yPix,
                    int rowLo, int rowHi, int colLo, int colHi, const float* bias, int relu, RAW_ARGS) {
  const int fwc = fw * c;
  for (int b = 0; b < n; b++) {
    const float* xb = image_at(x, xImage, xRow, c, b, raw, rawH, rawW, top, left);
    for (int r = 0; r < oh; r++) {
      const float* xr = xb + r * sh * xRow;
      float* yr = y + b * yImage + r * yRow;
      int i0 = rowLo - r * sh > 0 ? rowLo - r * sh : 0;
      int i1 = rowHi - r * sh < fh ? rowHi - r * sh : fh;
      if (i1 < i0) i1 = i0;
      // Single-channel images at stride 1: pixels as the vector axis (conv-c1.h), 4 at a time.
      const int ow4 = C1_PATH(c, sw, oc) ? ow & ~3 : 0;
      if (ow4) conv_c1_forward_row(xr, xRow, i0, i1, fw, colLo, colHi, w, oc, yr, yPix, ow4, bias, relu);
      for (int j0 = 0; j0 < oc;) {
        OC_SHAPE(oc - j0, nv, tail, rows);
        for (int p0 = ow4; p0 < ow; p0 += rows) {
          int mr = ow - p0 < rows ? ow - p0 : rows;
          // Taps some pixel of the block reads data with: colLo ≤ p·sw + j < colHi for a p in the block.
          int jLo = colLo - (p0 + mr - 1) * sw > 0 ? colLo - (p0 + mr - 1) * sw : 0;
          int jHi = colHi - p0 * sw < fw ? colHi - p0 * sw : fw;
          if (jHi < jLo) jHi = jLo;
#define FWD(MR, NV, TAIL)                                                                                         \
  fwd_##MR##_##NV##_##TAIL(xr + p0 * sw * c, sw * c, xRow, i0, i1, jLo * c, jHi * c, fwc, w + j0, oc, yr + p0 * yPix + j0, yPix, bias ? bias + j0 : 0, relu)
          DISPATCH(FWD, mr, nv, tail)
#undef FWD
        }
        j0 += nv == 3 ? 12 : 4 * nv;
      }
    }
  }
}

// conv2d_forward with the input channels as the vector axis (conv-cvec.h: c a multiple of 4), the
// filter given as wT [oc, fh·fw·c]; arguments as conv2d_forward's.
EXPORT(conv2d_forward_cvec)
void conv2d_forward_cvec(int n, const float* x, int xImage, int xRow, int c, int fh, int fw, int sh, int sw,
                         const float* wT, int oh, int ow, int oc, float* y, int yImage, int yRow, int yPix,
                         int rowLo, int rowHi, int colLo, int colHi, const float* bias, int relu, RAW_ARGS) {
  for (int b = 0; b < n; b++) {
    const float* xb = image_at(x, xImage, xRow, c, b, raw, rawH, rawW, top, left);
    for (int r = 0; r < oh; r++) {
      int i0 = rowLo - r * sh > 0 ? rowLo - r * sh : 0;
      int i1 = rowHi - r * sh < fh ? rowHi - r * sh : fh;
      if (i1 < i0) i1 = i0;
      cv_row(xb + r * sh * xRow, sw, c, xRow, i0, i1, fw, colLo, colHi, wT, oc, fh * fw * c, ow,
             y + b * yImage + r * yRow, yPix, bias, relu);
    }
  }
}
