// Owns what conv.c and conv-c1.h share: the forward's bias and relu (MAD comes from lanes.h).
#pragma once
#include "lanes.h"

// v + the bias's values at b (its first `tail` 1–3 of them, or 4; none when b is null), then max(·, 0)
// when relu (a NaN stays NaN, as in tfjs's relu): the forward's epilogue, applied as a block is
// written (the same values as adding the bias to the finished sum, then the relu).
INLINE v128_t bias_relu4(v128_t v, const float* b, int tail, int relu) {
  if (b) v = wasm_f32x4_add(v, load_part(b, tail));
  return relu ? wasm_v128_bitselect(wasm_f32x4_splat(0), v, wasm_f32x4_lt(v, wasm_f32x4_splat(0))) : v;
}
