// Owns the optimizers' per-variable updates as one pass over a variable (src/optim/wasm-adam.ts,
// wasm-momentum.ts), where tfjs's optimizers run 4–14 kernels per variable. Each operation is the
// one tfjs's kernels run, in their order, rounded to float32 as they round it (no fused multiply-add:
// IEEE single add, mul, div and sqrt, lane by lane), so the results are tfjs's bit for bit.
//   adam_update:     m ← b1·m + a1·g;  v ← b2·v + a2·g²  (in place; a = 1 − b)
//                    out = ((m / c1) / (√(v / c2) + ε))·(−lr) + x   (c = 1 − βᵗ, bias corrections)
//   momentum_update: acc ← m·acc + g (in place);  out = c·acc + x, or with Nesterov
//                    out = c·(g + acc·m) + x   (c = −lr)
// Rule for every file here (checked by scripts/build-kernels.js): no globals, no static data, no C
// stack — the module shares tfjs's memory and owns none of it.
#include "lanes.h"

#define SCALAR _Pragma("clang loop vectorize(disable) interleave(disable)")

EXPORT(adam_update)
void adam_update(int n, const float* x, const float* g, float* m, float* v, float* out, float b1, float b2, float a1, float a2, float c1, float c2, float nlr, float eps) {
  const v128_t B1 = wasm_f32x4_splat(b1), B2 = wasm_f32x4_splat(b2), A1 = wasm_f32x4_splat(a1), A2 = wasm_f32x4_splat(a2);
  const v128_t C1 = wasm_f32x4_splat(c1), C2 = wasm_f32x4_splat(c2), L = wasm_f32x4_splat(nlr), E = wasm_f32x4_splat(eps);
  const int n4 = n & ~3;
  int i = 0;
  for (; i < n4; i += 4) {
    v128_t gi = wasm_v128_load(g + i);
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), B1), wasm_f32x4_mul(gi, A1));
    v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), B2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), A2));
    wasm_v128_store(m + i, mi);
    wasm_v128_store(v + i, vi);
    v128_t den = wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(vi, C2)), E);
    v128_t step = wasm_f32x4_mul(wasm_f32x4_div(wasm_f32x4_div(mi, C1), den), L);
    wasm_v128_store(out + i, wasm_f32x4_add(step, wasm_v128_load(x + i)));
  }
  SCALAR for (; i < n; i++) {
    float gi = g[i];
    float mi = m[i] * b1 + gi * a1;
    float vi = v[i] * b2 + (gi * gi) * a2;
    m[i] = mi;
    v[i] = vi;
    out[i] = ((mi / c1) / (__builtin_sqrtf(vi / c2) + eps)) * nlr + x[i];
  }
}

EXPORT(momentum_update)
void momentum_update(int n, const float* x, const float* g, float* acc, float* out, float mom, float c, int nesterov) {
  const v128_t M = wasm_f32x4_splat(mom), C = wasm_f32x4_splat(c);
  const int n4 = n & ~3;
  int i = 0;
  for (; i < n4; i += 4) {
    v128_t gi = wasm_v128_load(g + i);
    v128_t a = wasm_f32x4_add(wasm_f32x4_mul(M, wasm_v128_load(acc + i)), gi);
    wasm_v128_store(acc + i, a);
    v128_t d = nesterov ? wasm_f32x4_add(gi, wasm_f32x4_mul(a, M)) : a;
    wasm_v128_store(out + i, wasm_f32x4_add(wasm_f32x4_mul(C, d), wasm_v128_load(x + i)));
  }
  SCALAR for (; i < n; i++) {
    float a = mom * acc[i] + g[i];
    acc[i] = a;
    out[i] = c * (nesterov ? g[i] + a * mom : a) + x[i];
  }
}
