// Owns what mtl's SIMD kernel files share: the export attribute, loads/stores of a vector whose
// last lanes lie past the end of a row (1–3 values), which never touch memory beyond them, and the
// walk over a row's columns 16 at a time that such loads serve.
#pragma once
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))

// acc += a·b on four lanes. The relaxed-SIMD build (-DMTL_RELAXED, kernels-relaxed*.wasm) makes it one
// fused multiply-add where the CPU has one (one rounding instead of two; about a fifth faster in the
// products, which wait on the multiply-add chain); the plain build keeps a multiply then an add.
#ifdef MTL_RELAXED
#define MAD(acc, a, b) acc = wasm_f32x4_relaxed_madd(a, b, acc)
#else
#define MAD(acc, a, b) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(a, b))
#endif

// Four floats, or the first `tail` (1–3) of them with zeros after: never reads past them.
INLINE v128_t load_part(const float* p, int tail) {
  if (tail == 0) return wasm_v128_load(p);
  if (tail == 1) return wasm_v128_load32_zero(p);
  if (tail == 2) return wasm_v128_load64_zero(p);
  return wasm_v128_load32_lane(p + 2, wasm_v128_load64_zero(p), 2);
}

INLINE void store_part(float* p, v128_t v, int tail) {
  if (tail == 0) {
    wasm_v128_store(p, v);
  } else if (tail == 1) {
    wasm_v128_store32_lane(p, v, 0);
  } else {
    wasm_v128_store64_lane(p, v, 0);
    if (tail == 3) wasm_v128_store32_lane(p + 2, v, 2);
  }
}

// For j = 0, 16, 32, … < cols: CALL(NV, T, j) on the block of columns at j, NV its vectors (1–4) and T
// the live lanes of its last one (0: all four). Both are literal constants at every call, so the block
// function is specialised for each of the 16 cases (an inner loop with a variable count is not).
#define COLUMN_TAILS(NV, CALL, j, tail) \
  switch (tail) {                       \
    case 0: CALL(NV, 0, j); break;      \
    case 1: CALL(NV, 1, j); break;      \
    case 2: CALL(NV, 2, j); break;      \
    default: CALL(NV, 3, j); break;     \
  }
#define FOR_COLUMN_BLOCKS(cols, CALL)                                                                      \
  for (int j_ = 0; j_ < (cols); j_ += 16) {                                                              \
    const int rem_ = (cols) - j_, nv_ = rem_ >= 16 ? 4 : (rem_ + 3) / 4, tail_ = rem_ >= 16 ? 0 : rem_ & 3; \
    if (nv_ == 4) {                                                                                      \
      COLUMN_TAILS(4, CALL, j_, tail_)                                                                   \
    } else if (nv_ == 3) {                                                                               \
      COLUMN_TAILS(3, CALL, j_, tail_)                                                                   \
    } else if (nv_ == 2) {                                                                               \
      COLUMN_TAILS(2, CALL, j_, tail_)                                                                   \
    } else {                                                                                             \
      COLUMN_TAILS(1, CALL, j_, tail_)                                                                   \
    }                                                                                                    \
  }
