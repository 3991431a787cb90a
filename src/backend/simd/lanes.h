// Owns what mtl's SIMD kernel files share: the export attribute, and loads/stores of a vector whose
// last lanes lie past the end of a row (1–3 values), which never touch memory beyond them.
#pragma once
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))

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

