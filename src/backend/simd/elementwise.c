// Owns mtl's SIMD element-wise kernels for the backward pass of a fused layer (convolution or dense,
// then + bias, then relu or nothing), one pass over rows × cols (cols = output channels, innermost):
//   bias_relu_grad: dz[r, c] = dy[r, c] · step(y[r, c])   (relu; y the layer's output, step(y) is 1
//                   for y > 0, 0 otherwise, NaN for NaN: tfjs's relu gradient dy·step(x), as y > 0
//                   exactly when x > 0), or dz = dy when relu is 0 (dz may be dy then: nothing
//                   written); db[c] = Σ_r dz[r, c] when db is not 0, summed over r in order from 0
//                   (channels.c's sum_rows, tfjs's Sum: the same bits).
// tfjs runs these as Step, Multiply and Sum: three passes and three kernel calls.
// Rule for every file here (checked by scripts/build-kernels.js): no globals, no static data, no C
// stack — the module shares tfjs's memory and owns none of it.
#include "lanes.h"

// step(y) as above, times d.
INLINE v128_t masked(v128_t y, v128_t d) {
  v128_t one = wasm_f32x4_splat(1), zero = wasm_f32x4_splat(0);
  v128_t s = wasm_v128_bitselect(one, zero, wasm_f32x4_gt(y, zero));
  s = wasm_v128_bitselect(y, s, wasm_f32x4_ne(y, y));
  return wasm_f32x4_mul(d, s);
}

// step(y)·d for one value (the vector form's tail).
INLINE float masked1(float y, float d) {
  return d * (y > 0 ? 1.0f : y != y ? y : 0.0f);
}

// One row: dz (when relu) and the running column sums db (when db); the last cols % 4 one by one.
INLINE void grad_row(const float* y, const float* dy, int cols, int relu, float* dz, float* db) {
  int c4 = cols & ~3, j = 0;
  for (; j < c4; j += 4) {
    v128_t d = wasm_v128_load(dy + j);
    if (relu) wasm_v128_store(dz + j, d = masked(wasm_v128_load(y + j), d));
    if (db) wasm_v128_store(db + j, wasm_f32x4_add(wasm_v128_load(db + j), d));
  }
  for (; j < cols; j++) {
    float d = relu ? (dz[j] = masked1(y[j], dy[j])) : dy[j];
    if (db) db[j] += d;
  }
}

EXPORT(bias_relu_grad)
void bias_relu_grad(const float* y, const float* dy, int rows, int cols, int relu, float* dz, float* db) {
  if (db) for (int j = 0; j < cols; j++) db[j] = 0;
  if (relu && db) {
    for (int r = 0; r < rows; r++) grad_row(y + r * cols, dy + r * cols, cols, 1, dz + r * cols, db);
  } else if (relu) {
    for (int r = 0; r < rows; r++) grad_row(y + r * cols, dy + r * cols, cols, 1, dz + r * cols, 0);
  } else if (db) {
    for (int r = 0; r < rows; r++) grad_row(y + r * cols, dy + r * cols, cols, 0, dz + r * cols, db);
  }
}
