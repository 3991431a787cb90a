// Owns the input as conv.c's kernels read it when the convolution pads: each image copied, shifted
// by (top, left), into one image's scratch with zeros around it, just before its rows are computed
// (a copy of the whole batch cost a pass through memory and cold writes: ~10 % of quickstart's input
// gradient). Included by conv.c.
#pragma once
#include "lanes.h"

// out[r, q, :] = x[r − top, q − left, :] inside x (one image [h, w, c]), 0 outside; out is [ph, pw, c].
// A negative top/left crops instead; rows and columns of x beyond ph − top / pw − left are left out.
// With zeros = 0 only the part that holds x is written (the zeros are there from an earlier call).
__attribute__((noinline)) static void pad_image(const float* x, int h, int w, int c, float* out, int ph, int pw, int top, int left, int zeros) {
  int q0 = left < 0 ? 0 : left < pw ? left : pw;
  int q1 = left + w < pw ? left + w : pw;
  if (q1 < q0) q1 = q0;
  for (int r = 0; r < ph; r++) {
    float* o = out + r * pw * c;
    int sr = r - top;
    if (sr < 0 || sr >= h) {
      for (int i = 0; zeros && i < pw * c; i++) o[i] = 0;
      continue;
    }
    const float* s = x + sr * w * c;
    for (int i = 0; zeros && i < q0 * c; i++) o[i] = 0;
    for (int i = q0 * c; i < q1 * c; i++) o[i] = s[i - left * c];
    for (int i = q1 * c; zeros && i < pw * c; i++) o[i] = 0;
  }
}

// The kernels' exports take the input as x (n images xImage floats apart, rows xRow apart, every tap
// inside) or, when raw is not null, as raw [n, rawH, rawW, c] padded image by image into x (then one
// image's scratch, [xImage / xRow, xRow / c, c]) by (top, left).
#define RAW_ARGS const float *raw, int rawH, int rawW, int top, int left

// Image b as the kernels read it (see RAW_ARGS).
static const float* image_at(const float* x, int xImage, int xRow, int c, int b, RAW_ARGS) {
  if (!raw) return x + b * xImage;
  pad_image(raw + b * rawH * rawW * c, rawH, rawW, c, (float*)x, xImage / xRow, xRow / c, top, left, b == 0);
  return x;
}
