// Owns relu's gradient mask, shared by elementwise.c (relu_grad) and channels.c (max pooling's
// gradient fused with it): d·step(y), step(y) 1 for y > 0, 0 otherwise and NaN for NaN — tfjs's
// relu gradient dy·step(x), as y > 0 exactly when x > 0 (and the same products: −0 where d < 0 is cut).
#pragma once
#include "lanes.h"

INLINE v128_t masked(v128_t y, v128_t d) {
  v128_t zero = wasm_f32x4_splat(0);
  v128_t s = wasm_v128_bitselect(wasm_f32x4_splat(1), zero, wasm_f32x4_gt(y, zero));
  s = wasm_v128_bitselect(y, s, wasm_f32x4_ne(y, y));
  return wasm_f32x4_mul(d, s);
}
