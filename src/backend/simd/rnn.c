// Owns the fused recurrent ops' SIMD kernels (src/layers/fused-simd.ts calls them): one lstm or gru
// direction over a whole sequence, forwards and by backpropagation through time, on tensors where
// they lie on tfjs's heap. On the JS path each of the ~64 recurrent products per layer and step was a
// backend call of ~20 µs and the gate arithmetic ran element by element in JS; here a step is one or
// two strided products straight into the saved gates and a few 4-lane passes.
// Layouts match src/layers/fused-lstm.ts / fused-gru.ts (the JS path and its comments hold the
// equations): gates [b, T, G·U] time order (filled with x·W + b by the caller, activated in place),
// saved states [b, T, U] time order, y [b, T, U] processing order, mask [b, T] or 0, recurrent
// dropout mask [b, U] or 0. Activation codes: 0 linear, 1 tanh, 2 sigmoid, 3 hardSigmoid, 4 relu.
// Rule for every file here (checked by scripts/build-kernels.js): no globals, no static data, no C
// stack — callers pass scratch (`work`) on the heap.
#include "rnn-math.h"

// dst[cols×rows] = src[rows×cols]ᵀ: 4×4 blocks through registers (four row loads, four shuffles
// pairs, four column stores), the last 1–3 rows and columns one float at a time. Element by element
// it was a cache miss per write at a dense layer's [256, 320] (~0.3 ms of a quickstart step, on the
// main thread under --threads).
EXPORT(rnn_transpose)
void rnn_transpose(int rows, int cols, const float* src, float* dst) {
  const int r4 = rows & ~3, c4 = cols & ~3;
  for (int r = 0; r < r4; r += 4) {
    const float* s = src + r * cols;
    for (int c = 0; c < c4; c += 4) {
      v128_t a0 = wasm_v128_load(s + c), a1 = wasm_v128_load(s + cols + c);
      v128_t a2 = wasm_v128_load(s + 2 * cols + c), a3 = wasm_v128_load(s + 3 * cols + c);
      v128_t t0 = wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7);
      v128_t t2 = wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7);
      float* d = dst + c * rows + r;
      wasm_v128_store(d, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
      wasm_v128_store(d + rows, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
      wasm_v128_store(d + 2 * rows, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
      wasm_v128_store(d + 3 * rows, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
    }
    for (int c = c4; c < cols; c++)
      for (int i = 0; i < 4; i++) dst[c * rows + r + i] = s[i * cols + c];
  }
  for (int r = r4; r < rows; r++)
    for (int c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
}

// C[m×n] (+)= A·B (transA 0, A [m×k]) or Aᵀ·B (transA 1, A [k×m]); B [k×n]; row strides lda, ldb, ldc.
EXPORT(rnn_gemm)
void rnn_gemm(int m, int n, int k, const float* a, int lda, int transA, const float* b, int ldb, float* c, int ldc, int acc) {
  gemm(m, n, k, a, transA ? 1 : lda, transA ? lda : 1, b, ldb, c, ldc, acc);
}

// out[j] = Σ_i a[i·g + j] for a [n×g] (the bias gradient).
EXPORT(rnn_col_sums)
void rnn_col_sums(int n, int g, const float* a, float* out) {
  zero(out, g);
  int g4 = g & ~3;
  for (int i = 0; i < n; i++) {
    const float* r = a + i * g;
    for (int j = 0; j < g4; j += 4) wasm_v128_store(out + j, wasm_f32x4_add(wasm_v128_load(out + j), wasm_v128_load(r + j)));
    for (int j = g4; j < g; j++) out[j] += r[j];
  }
}

// The state a step reads, h̃ = h ⊙ recurrent-dropout mask (h itself without one), into `into`.
static void read_state(int U, const float* h, const float* rmask, float* into) {
  for (int u = 0; u < U; u++) into[u] = rmask ? h[u] * rmask[u] : h[u];
}

// dh[b×U] += the rows of dy at stride ld (one processing step of dy [b, T, U]).
static void add_rows(int b, int U, const float* dy, int ld, float* dh) {
  for (int s = 0; s < b; s++)
    for (int u = 0; u < U; u++) dh[s * U + u] += dy[s * ld + u];
}

// ---- lstm --------------------------------------------------------------------------------------------

// One row of a step: activate the gates z = [i f g o] in place, c' = f⊙c + i⊙g, ac = act(c'), h = o⊙ac.
static void lstm_cell(int U, int act, int rec, float* z, float* c, float* ac, float* h) {
  act_run(rec, z, 2 * U);
  act_run(act, z + 2 * U, U);
  act_run(rec, z + 3 * U, U);
  for (int u = 0; u < U; u += 4) {
    int n = lanes(u, U);
    v128_t cv = wasm_f32x4_add(wasm_f32x4_mul(ldn(z + U + u, n), ldn(c + u, n)), wasm_f32x4_mul(ldn(z + u, n), ldn(z + 2 * U + u, n)));
    stn(c + u, cv, n);
    v128_t a = act4(act, cv);
    stn(ac + u, a, n);
    stn(h + u, wasm_f32x4_mul(ldn(z + 3 * U + u, n), a), n);
  }
}

// gates [b, T, 4U] in: x·W + b; out: i, f, act(g), o (0 at masked steps). Saved: cprev, ac (act of the
// new cell state; 0 at masked steps), hprev = h̃. work: 2·b·U (h, c).
EXPORT(lstm_forward)
void lstm_forward(int b, int T, int U, int backwards, int act, int rec, float* gates, const float* ur, const float* mask, const float* rmask,
                  float* y, float* cprev, float* ac, float* hprev, float* work) {
  int G = 4 * U;
  float *h = work, *c = work + b * U;
  zero(work, 2 * b * U);
  for (int k = 0; k < T; k++) {
    int t = backwards ? T - 1 - k : k;
    for (int s = 0; s < b; s++) {
      read_state(U, h + s * U, rmask ? rmask + s * U : 0, hprev + (s * T + t) * U);
      for (int u = 0; u < U; u++) cprev[(s * T + t) * U + u] = c[s * U + u];
    }
    // h = 0 before the first step: no product.
    if (k > 0) gemm(b, G, U, hprev + t * U, T * U, 1, ur, G, gates + t * G, T * G, 1);
    for (int s = 0; s < b; s++) {
      int st = s * T + t;
      if (real(mask, T, s, t)) lstm_cell(U, act, rec, gates + st * G, c + s * U, ac + st * U, h + s * U);
      else { zero(gates + st * G, G); zero(ac + st * U, U); }
      // A masked step outputs the previous output and keeps the state.
      for (int u = 0; u < U; u++) y[(s * T + k) * U + u] = h[s * U + u];
    }
  }
}

// One real row backwards: from dh, dc after the step to the row's dZ [4U] and dc before it.
static void lstm_cell_back(int U, int act, int rec, const float* g, const float* cp, const float* ac, const float* dh, float* dc, float* dz) {
  for (int u = 0; u < U; u += 4) {
    int n = lanes(u, U);
    v128_t i = ldn(g + u, n), f = ldn(g + U + u, n), gg = ldn(g + 2 * U + u, n), o = ldn(g + 3 * U + u, n);
    v128_t a = ldn(ac + u, n), dhv = ldn(dh + u, n);
    v128_t dcv = wasm_f32x4_add(ldn(dc + u, n), wasm_f32x4_mul(wasm_f32x4_mul(dhv, o), dact4(act, a)));
    stn(dz + u, wasm_f32x4_mul(wasm_f32x4_mul(dcv, gg), dact4(rec, i)), n);
    stn(dz + U + u, wasm_f32x4_mul(wasm_f32x4_mul(dcv, ldn(cp + u, n)), dact4(rec, f)), n);
    stn(dz + 2 * U + u, wasm_f32x4_mul(wasm_f32x4_mul(dcv, i), dact4(act, gg)), n);
    stn(dz + 3 * U + u, wasm_f32x4_mul(wasm_f32x4_mul(dhv, a), dact4(rec, o)), n);
    stn(dc + u, wasm_f32x4_mul(dcv, f), n);
  }
}

// dy [b, T, U] processing order → dz [b, T, 4U] time order (0 at masked steps, whose output and state
// gradients pass straight to the step before). work: 3·b·U + 4U·U (dh, dc, the product, Urᵀ).
EXPORT(lstm_backward)
void lstm_backward(int b, int T, int U, int backwards, int act, int rec, const float* gates, const float* ur, const float* mask, const float* rmask,
                   const float* cprev, const float* ac, const float* dy, float* dz, float* work) {
  int G = 4 * U;
  float *dh = work, *dc = work + b * U, *back = work + 2 * b * U, *urt = work + 3 * b * U;
  zero(work, 2 * b * U);
  rnn_transpose(U, G, ur, urt);
  for (int k = T - 1; k >= 0; k--) {
    int t = backwards ? T - 1 - k : k;
    add_rows(b, U, dy + k * U, T * U, dh);
    for (int s = 0; s < b; s++) {
      int st = s * T + t;
      if (real(mask, T, s, t)) lstm_cell_back(U, act, rec, gates + st * G, cprev + st * U, ac + st * U, dh + s * U, dc + s * U, dz + st * G);
      else zero(dz + st * G, G);
    }
    if (k == 0) break;
    // ∂/∂h̃ = dZ_t·Urᵀ; ∂/∂h = that ⊙ the recurrent dropout mask.
    gemm(b, U, G, dz + t * G, T * G, 1, urt, U, back, U, 0);
    for (int s = 0; s < b; s++)
      if (real(mask, T, s, t)) read_state(U, back + s * U, rmask ? rmask + s * U : 0, dh + s * U);
  }
}

// ---- gru ---------------------------------------------------------------------------------------------

// One row's candidate and update after the products: ĥ = act(z_h) in place; h = z⊙h̃ + (1 − z)⊙ĥ when real.
static void gru_cell(int U, int act, float* z, const float* hp, float* h, int isReal) {
  act_run(act, z + 2 * U, U);
  if (!isReal) return;
  for (int u = 0; u < U; u += 4) {
    int n = lanes(u, U);
    v128_t zv = ldn(z + u, n);
    stn(h + u, wasm_f32x4_add(wasm_f32x4_mul(zv, ldn(hp + u, n)), wasm_f32x4_mul(wasm_f32x4_sub(F4(1.0f), zv), ldn(z + 2 * U + u, n))), n);
  }
}

// gates [b, T, 3U] in: x·W + b; out: z, r, ĥ. Saved: hprev = h̃, rh = r ⊙ h̃. work: b·U (h).
EXPORT(gru_forward)
void gru_forward(int b, int T, int U, int backwards, int act, int rec, float* gates, const float* ur, const float* mask, const float* rmask,
                 float* y, float* hprev, float* rh, float* work) {
  int G = 3 * U;
  float* h = work;
  zero(h, b * U);
  for (int k = 0; k < T; k++) {
    int t = backwards ? T - 1 - k : k;
    for (int s = 0; s < b; s++) read_state(U, h + s * U, rmask ? rmask + s * U : 0, hprev + (s * T + t) * U);
    // h = 0 before the first step: no products (the reset gate needs its z, r before the candidate's).
    if (k > 0) gemm(b, 2 * U, U, hprev + t * U, T * U, 1, ur, G, gates + t * G, T * G, 1);
    for (int s = 0; s < b; s++) {
      int st = s * T + t;
      act_run(rec, gates + st * G, 2 * U);
      for (int u = 0; u < U; u++) rh[st * U + u] = gates[st * G + U + u] * hprev[st * U + u];
    }
    if (k > 0) gemm(b, U, U, rh + t * U, T * U, 1, ur + 2 * U, G, gates + t * G + 2 * U, T * G, 1);
    for (int s = 0; s < b; s++) {
      int st = s * T + t;
      // A masked step outputs the previous output and keeps the state (h, not h̃).
      gru_cell(U, act, gates + st * G, hprev + st * U, h + s * U, real(mask, T, s, t));
      for (int u = 0; u < U; u++) y[(s * T + k) * U + u] = h[s * U + u];
    }
  }
}

// One real row: dZ's z and ĥ parts from dh (the r part needs the product of the ĥ part first).
static void gru_cell_back(int U, int act, int rec, const float* g, const float* hp, const float* dh, float* dz) {
  for (int u = 0; u < U; u += 4) {
    int n = lanes(u, U);
    v128_t z = ldn(g + u, n), hh = ldn(g + 2 * U + u, n), dhv = ldn(dh + u, n);
    stn(dz + u, wasm_f32x4_mul(wasm_f32x4_mul(dhv, wasm_f32x4_sub(ldn(hp + u, n), hh)), dact4(rec, z)), n);
    stn(dz + 2 * U + u, wasm_f32x4_mul(wasm_f32x4_mul(dhv, wasm_f32x4_sub(F4(1.0f), z)), dact4(act, hh)), n);
  }
}

// After the products: dZ_r = d(r⊙h̃)⊙h̃⊙rec′(r); ∂/∂h = (dh⊙z + d(r⊙h̃)⊙r + dZ_zr·U_zrᵀ) ⊙ recurrent mask.
static void gru_state_back(int U, const float* g, const float* drh, const float* back, const float* rmask, float* dh) {
  for (int u = 0; u < U; u += 4) {
    int n = lanes(u, U);
    v128_t z = ldn(g + u, n), r = ldn(g + U + u, n), d = ldn(drh + u, n);
    v128_t v = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(ldn(dh + u, n), z), wasm_f32x4_mul(d, r)), ldn(back + u, n));
    stn(dh + u, rmask ? wasm_f32x4_mul(v, ldn(rmask + u, n)) : v, n);
  }
}

// dZ_r of the real rows of one step (before the product that reads it).
static void gru_reset_back(int b, int T, int U, int rec, int t, const float* gates, const float* hprev, const float* drh, const float* mask, float* dz) {
  int G = 3 * U;
  for (int s = 0; s < b; s++) {
    int st = s * T + t;
    if (!real(mask, T, s, t)) continue;
    for (int u = 0; u < U; u += 4) {
      int n = lanes(u, U);
      v128_t v = wasm_f32x4_mul(wasm_f32x4_mul(ldn(drh + s * U + u, n), ldn(hprev + st * U + u, n)), dact4(rec, ldn(gates + st * G + U + u, n)));
      stn(dz + st * G + U + u, v, n);
    }
  }
}

// dy [b, T, U] processing order → dz [b, T, 3U] time order (0 at masked steps). work: 3·b·U + 3U·U
// (dh, d(r⊙h̃), the product, Urᵀ).
EXPORT(gru_backward)
void gru_backward(int b, int T, int U, int backwards, int act, int rec, const float* gates, const float* ur, const float* mask, const float* rmask,
                  const float* hprev, const float* dy, float* dz, float* work) {
  int G = 3 * U;
  float *dh = work, *drh = work + b * U, *back = work + 2 * b * U, *urt = work + 3 * b * U;
  zero(dh, b * U);
  rnn_transpose(U, G, ur, urt);
  for (int k = T - 1; k >= 0; k--) {
    int t = backwards ? T - 1 - k : k;
    add_rows(b, U, dy + k * U, T * U, dh);
    for (int s = 0; s < b; s++) {
      int st = s * T + t;
      zero(dz + st * G, G);
      if (real(mask, T, s, t)) gru_cell_back(U, act, rec, gates + st * G, hprev + st * U, dh + s * U, dz + st * G);
    }
    // h̃ = 0 at the first step: nothing flows to the reset gate or further back.
    if (k == 0) break;
    gemm(b, U, U, dz + t * G + 2 * U, T * G, 1, urt + 2 * U * U, U, drh, U, 0);
    gru_reset_back(b, T, U, rec, t, gates, hprev, drh, mask, dz);
    gemm(b, U, 2 * U, dz + t * G, T * G, 1, urt, U, back, U, 0);
    for (int s = 0; s < b; s++) {
      int st = s * T + t;
      if (real(mask, T, s, t)) gru_state_back(U, gates + st * G, drh + s * U, back + s * U, rmask ? rmask + s * U : 0, dh + s * U);
    }
  }
}
