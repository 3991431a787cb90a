// Owns mtl's SIMD element-wise kernels for the backward pass of a fused layer (convolution or dense,
// then + bias, then relu):
//   relu_grad: dz[i] = dy[i] · step(y[i]) over n floats, y the layer's output: step(y) is 1 for
//              y > 0, 0 otherwise and NaN for NaN — tfjs's relu gradient dy·step(x), as y > 0 exactly
//              when x > 0 (and the same products: −0 where dy < 0 is cut). One pass, branch-free,
//              where tfjs runs Step and then Multiply (two passes, two kernel calls).
//   bias_relu: y = max(y + bias, 0) in place over the rows of a product (wasm-matmul.ts).
// Rule for every file here (checked by scripts/build-kernels.js): no globals, no static data, no C
// stack — the module shares tfjs's memory and owns none of it.
#include "mask.h"

EXPORT(relu_grad)
void relu_grad(int n, const float* y, const float* dy, float* dz) {
  int n16 = n & ~15, i = 0;
  for (; i < n16; i += 16) {
    v128_t d0 = masked(wasm_v128_load(y + i), wasm_v128_load(dy + i));
    v128_t d1 = masked(wasm_v128_load(y + i + 4), wasm_v128_load(dy + i + 4));
    v128_t d2 = masked(wasm_v128_load(y + i + 8), wasm_v128_load(dy + i + 8));
    v128_t d3 = masked(wasm_v128_load(y + i + 12), wasm_v128_load(dy + i + 12));
    wasm_v128_store(dz + i, d0);
    wasm_v128_store(dz + i + 4, d1);
    wasm_v128_store(dz + i + 8, d2);
    wasm_v128_store(dz + i + 12, d3);
  }
  for (; i + 4 <= n; i += 4) wasm_v128_store(dz + i, masked(wasm_v128_load(y + i), wasm_v128_load(dy + i)));
  for (; i < n; i++) {
    float s = y[i] > 0 ? 1.0f : 0.0f;
    dz[i] = dy[i] * (y[i] != y[i] ? y[i] : s);
  }
}

// y[r, c] = y[r, c] + bias[c] (bias not 0), then max(·, 0) when relu (NaN stays NaN, −0 stays −0,
// as tfjs's relu), in place over rows × cols: the end of a fused product.
EXPORT(bias_relu)
void bias_relu(int rows, int cols, float* y, const float* bias, int relu) {
  const int c4 = cols & ~3;
  const v128_t zero = wasm_f32x4_splat(0);
  for (int r = 0; r < rows; r++, y += cols) {
    int j = 0;
    for (; j < c4; j += 4) {
      v128_t v = wasm_v128_load(y + j);
      if (bias) v = wasm_f32x4_add(v, wasm_v128_load(bias + j));
      if (relu) v = wasm_v128_bitselect(zero, v, wasm_f32x4_lt(v, zero));
      wasm_v128_store(y + j, v);
    }
    for (; j < cols; j++) {
      float v = bias ? y[j] + bias[j] : y[j];
      y[j] = relu && v < 0 ? 0 : v;
    }
  }
}
