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
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define F4(x) wasm_f32x4_splat(x)

// ---- 4-lane loads and stores that stop at a row's end (n = 1…4 lanes) ---------------------------

static inline v128_t ldn(const float* p, int n) {
  if (n >= 4) return wasm_v128_load(p);
  v128_t v = F4(0);
  v = wasm_f32x4_replace_lane(v, 0, p[0]);
  if (n > 1) v = wasm_f32x4_replace_lane(v, 1, p[1]);
  if (n > 2) v = wasm_f32x4_replace_lane(v, 2, p[2]);
  return v;
}

static inline void stn(float* p, v128_t v, int n) {
  if (n >= 4) { wasm_v128_store(p, v); return; }
  p[0] = wasm_f32x4_extract_lane(v, 0);
  if (n > 1) p[1] = wasm_f32x4_extract_lane(v, 1);
  if (n > 2) p[2] = wasm_f32x4_extract_lane(v, 2);
}

static inline int lanes(int from, int n) { return n - from < 4 ? n - from : 4; }

// ---- activations ---------------------------------------------------------------------------------

// e^x: x = n·ln2 + r (|r| ≤ ln2/2, ln2 in two parts), e^r by Cephes' expf polynomial (~1 ulp), 2^n
// through the exponent bits. x clamped to [−87, 88] so 2^n stays a normal float; NaN stays NaN.
static inline v128_t exp4(v128_t x) {
  x = wasm_f32x4_pmax(wasm_f32x4_pmin(x, F4(88.0f)), F4(-87.0f));
  v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, F4(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, F4(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, F4(-2.12194440e-4f)));
  v128_t p = F4(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), F4(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), F4(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), F4(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), F4(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), F4(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), r), F4(1.0f));
  v128_t e = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, e);
}

static inline v128_t sigmoid4(v128_t x) {
  return wasm_f32x4_div(F4(1.0f), wasm_f32x4_add(F4(1.0f), exp4(wasm_f32x4_neg(x))));
}

// tanh(x) = 2σ(2x) − 1: absolute error ~1e-7 (the tests ask 1e-5 of outputs and gradients).
static inline v128_t act4(int code, v128_t x) {
  switch (code) {
    case 1: return wasm_f32x4_sub(wasm_f32x4_mul(F4(2.0f), sigmoid4(wasm_f32x4_add(x, x))), F4(1.0f));
    case 2: return sigmoid4(x);
    case 3: return wasm_f32x4_pmax(wasm_f32x4_pmin(wasm_f32x4_add(wasm_f32x4_mul(x, F4(0.2f)), F4(0.5f)), F4(1.0f)), F4(0.0f));
    case 4: return wasm_f32x4_pmax(x, F4(0.0f));
    default: return x;
  }
}

// The derivative at the point where the activation took the value y (as fused-seq.ts' derivative()).
static inline v128_t dact4(int code, v128_t y) {
  switch (code) {
    case 1: return wasm_f32x4_sub(F4(1.0f), wasm_f32x4_mul(y, y));
    case 2: return wasm_f32x4_mul(y, wasm_f32x4_sub(F4(1.0f), y));
    case 3: return wasm_v128_and(wasm_v128_and(wasm_f32x4_gt(y, F4(0.0f)), wasm_f32x4_lt(y, F4(1.0f))), F4(0.2f));
    case 4: return wasm_v128_and(wasm_f32x4_gt(y, F4(0.0f)), F4(1.0f));
    default: return F4(1.0f);
  }
}

static void act_run(int code, float* p, int n) {
  if (code == 0) return;
  for (int i = 0; i < n; i += 4) stn(p + i, act4(code, ldn(p + i, lanes(i, n))), lanes(i, n));
}

// ---- products --------------------------------------------------------------------------------------

// C[m×n] (+)= op(A)·B with A's element (i, p) at a[i·ai + p·ap]: (ai, ap) = (lda, 1) for A, (1, lda)
// for Aᵀ stored [k×m]; B [k×n] and C row-major with row strides. Blocks of 4 or 1 rows × 8 columns
// in registers; the last n % 8 columns by dot products. gemm.c's sgemm has no Aᵀ and is another
// helper's file; the weight gradients need Aᵀ·B.
static inline void block(int rows, int k, const float* a, int ai, int ap, const float* b, int ldb, float* c, int ldc, int acc) {
  v128_t s0 = F4(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  for (int p = 0; p < k; p++) {
    const float* bp = b + p * ldb;
    v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
    const float* ar = a + p * ap;
    v128_t a0 = F4(ar[0]);
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(a0, b0)); s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(a0, b1));
    if (rows == 4) {
      v128_t a1 = F4(ar[ai]), a2 = F4(ar[2 * ai]), a3 = F4(ar[3 * ai]);
      s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(a1, b0)); s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(a1, b1));
      s4 = wasm_f32x4_add(s4, wasm_f32x4_mul(a2, b0)); s5 = wasm_f32x4_add(s5, wasm_f32x4_mul(a2, b1));
      s6 = wasm_f32x4_add(s6, wasm_f32x4_mul(a3, b0)); s7 = wasm_f32x4_add(s7, wasm_f32x4_mul(a3, b1));
    }
  }
  for (int r = 0; r < rows; r++) {
    v128_t lo = r == 0 ? s0 : r == 1 ? s2 : r == 2 ? s4 : s6;
    v128_t hi = r == 0 ? s1 : r == 1 ? s3 : r == 2 ? s5 : s7;
    float* cr = c + r * ldc;
    if (acc) { lo = wasm_f32x4_add(lo, wasm_v128_load(cr)); hi = wasm_f32x4_add(hi, wasm_v128_load(cr + 4)); }
    wasm_v128_store(cr, lo);
    wasm_v128_store(cr + 4, hi);
  }
}

// `rows` (4 or 1) rows of C: 8-column blocks, then the last n % 8 columns by dot products.
static void gemm_rows(int rows, int n, int k, const float* a, int ai, int ap, const float* b, int ldb, float* c, int ldc, int acc) {
  int n8 = n & ~7;
  for (int j = 0; j < n8; j += 8) block(rows, k, a, ai, ap, b + j, ldb, c + j, ldc, acc);
  for (int r = 0; r < rows; r++)
    for (int j = n8; j < n; j++) {
      float s = 0;
      for (int p = 0; p < k; p++) s += a[r * ai + p * ap] * b[p * ldb + j];
      c[r * ldc + j] = acc ? c[r * ldc + j] + s : s;
    }
}

static void gemm(int m, int n, int k, const float* a, int ai, int ap, const float* b, int ldb, float* c, int ldc, int acc) {
  int i = 0;
  for (; i + 4 <= m; i += 4) gemm_rows(4, n, k, a + i * ai, ai, ap, b, ldb, c + i * ldc, ldc, acc);
  for (; i < m; i++) gemm_rows(1, n, k, a + i * ai, ai, ap, b, ldb, c + i * ldc, ldc, acc);
}

// ---- small shared pieces -----------------------------------------------------------------------------

static inline int real(const float* mask, int T, int s, int t) { return !mask || mask[s * T + t] != 0; }

static void zero(float* p, int n) {
  for (int i = 0; i < n; i++) p[i] = 0;
}

// dst[cols×rows] = src[rows×cols]ᵀ.
EXPORT(rnn_transpose)
void rnn_transpose(int rows, int cols, const float* src, float* dst) {
  for (int r = 0; r < rows; r++)
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
