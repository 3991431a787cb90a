// Owns the gradients of a stride-1 convolution whose whole output went into a 2×2 / 2 max pooling
// (LeNet's conv → relu → pool), computed from the pooling's codes (pool.c: the window's place, and
// whether its maximum is > 0) and the pooled output's gradient dp, instead of from the dense dy that
// max_pool_grad_2x2_codes writes, three values in four of which (more after a relu) are 0:
//   dy[n, 2py + a, 2px + b, o] = g = dp[n, py, px, o] · s   at the window's place 2a + b (code bits 0–2;
//   s = 1, or with relu step(maximum), code bit 3: channels.c's product), 0 at its other three.
// With x the input, padded so that every tap is inside (rows of wp pixels of c channels),
//   dw[i, j, ci, o] = Σ_{n, py, px: g ≠ 0} g · x[n, 2py + a + i, 2px + b + j, ci]
//   dx[n, r, s, ci] = Σ_{py, px, o: g ≠ 0} g · w[r − 2py − a, s − 2px − b, ci, o]
// — the dense sums' terms without their products by 0: at most a quarter of the multiply-adds. (A
// product by 0 adds nothing unless x holds ±Inf, where the dense sum turns NaN; the forward pass is
// then already infinite.) A filter row's taps over all channels are fw·c consecutive floats of x: the
// weight gradient walks a window as "vector taps", 4 floats each: row t / nv, floats 4·(t % nv)… of
// it, a row's last vector ending at the row's end (so overlapping the one before when fw·c is not a
// multiple of 4; fw·c ≥ 4). The input gradient walks the region a pooled position's four places
// cover (below).
// Rule for every file here (checked by scripts/build-kernels.js): no globals, no static data, no C stack.

#include "lanes.h"

#ifndef NOINLINE
#define NOINLINE static __attribute__((noinline))
#endif

// Vector taps are summed in blocks of at most MAX_BLOCK, their accumulators in registers (V8 has 16).
#define MAX_BLOCK 10
#define FOR_BLOCK_SIZES(M) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10)
#define BLOCK_SWITCH(B, CALL)  \
  switch (B) {                 \
    case 1: CALL(1); break;    \
    case 2: CALL(2); break;    \
    case 3: CALL(3); break;    \
    case 4: CALL(4); break;    \
    case 5: CALL(5); break;    \
    case 6: CALL(6); break;    \
    case 7: CALL(7); break;    \
    case 8: CALL(8); break;    \
    case 9: CALL(9); break;    \
    default: CALL(10); break;  \
  }
// taps split into near-equal blocks: block k's first tap t and size B (14 → 7 + 7, not 10 + 4).
#define FOR_BLOCKS(taps, BODY)                                                       \
  for (int k_ = 0, blocks_ = ((taps) + MAX_BLOCK - 1) / MAX_BLOCK; k_ < blocks_; k_++) { \
    const int t = k_ * (taps) / blocks_, B = (k_ + 1) * (taps) / blocks_ - t;        \
    BODY;                                                                            \
  }

// Vector tap t's offset from a window's first float (rows `row` floats apart, len = fw·c floats each).
INLINE int tap_offset(int t, int nv, int len, int row) {
  const int at = 4 * (t % nv);
  return (t / nv) * row + (at + 4 > len ? len - 4 : at);
}

// g of one pooled value (its code q and dp value d): channels.c's product d·step(maximum) after a relu
// (d·1 or d·0, NaN kept), and whether it is a term: a place (0–3, bit 2 clear; 4 is none) and g ≠ 0.
INLINE float pooled_g(unsigned q, float d, int relu) {
  return relu ? d * (float)((q >> 3) & 1) : d;
}
INLINE int is_term(unsigned q, float g) {
  return ((q & 4) == 0) & (g != 0);
}

// Filter o's terms in one image (codes and dp oc apart): the offset in x of each one's window place
// (its window's first float, base[p], + the place's row and column), and its g, in pooled-position
// order. Returns how many. Branch-free (a term or not is a coin toss after a relu): every value is
// written, and the count moves on past the terms.
INLINE int filter_terms(const unsigned char* code, const float* dp, int pooled, int oc, int rowc, int c, int relu, const int* base, int* off, float* g) {
  int k = 0;
  for (int p = 0; p < pooled; p++, code += oc, dp += oc) {
    const unsigned q = *code;
    const float v = pooled_g(q, *dp, relu);
    off[k] = base[p] + (int)((q >> 1) & 1) * rowc + (int)(q & 1) * c;
    g[k] = v;
    k += is_term(q, v);
  }
  return k;
}

// acc (B vector taps at toff) += Σ_e g[e] · x[off[e] + toff[k]]: B accumulators in registers.
INLINE void filter_block(int B, const float* x, const int* off, const float* g, int cnt, const int* toff, float* acc) {
  v128_t a[MAX_BLOCK];
  int t[MAX_BLOCK];
  _Pragma("clang loop unroll(full)") for (int k = 0; k < B; k++) a[k] = wasm_v128_load(acc + 4 * k), t[k] = toff[k];
  for (int e = 0; e < cnt; e++) {
    const float* p = x + off[e];
    const v128_t s = wasm_v128_load32_splat(g + e);
    _Pragma("clang loop unroll(full)") for (int k = 0; k < B; k++) MAD(a[k], wasm_v128_load(p + t[k]), s);
  }
  _Pragma("clang loop unroll(full)") for (int k = 0; k < B; k++) wasm_v128_store(acc + 4 * k, a[k]);
}
#define FILTER_ARGS const float *x, const int *off, const float *g, int cnt, const int *toff, float *acc
#define FILTER_CASE(B) \
  NOINLINE void filter_block_##B(FILTER_ARGS) { filter_block(B, x, off, g, cnt, toff, acc); }
FOR_BLOCK_SIZES(FILTER_CASE)

NOINLINE void filter_blocks(int B, FILTER_ARGS) {
#define FILTER_CALL(B) filter_block_##B(x, off, g, cnt, toff, acc)
  BLOCK_SWITCH(B, FILTER_CALL)
}

INLINE void zero_floats(float* p, int count) {
  int i = 0;
  for (; i + 4 <= count; i += 4) wasm_v128_store(p + i, wasm_f32x4_splat(0));
  for (; i < count; i++) p[i] = 0;
}

// Floats of scratch conv2d_filter_grad_pooled takes for filters o0…o0 + filters.
EXPORT(conv2d_filter_grad_pooled_scratch)
int conv2d_filter_grad_pooled_scratch(int filters, int fh, int fw, int c, int ph, int pw) {
  const int taps = fh * ((fw * c + 3) / 4);
  return filters * taps * 4 + taps + 3 * ph * pw;
}

// dw [fh, fw, c, oc] for filters o0 ≤ o < o1 (header), x [n] images xImage floats apart, rows wp pixels;
// codes and dp [n, ph, pw, oc]. Each filter's weights sum their terms image by image in pooled-position
// order, whatever range of filters a call covers.
EXPORT(conv2d_filter_grad_pooled)
void conv2d_filter_grad_pooled(int n, const float* x, int xImage, int wp, int c, int fh, int fw, const unsigned char* codes, const float* dp,
                               int ph, int pw, int oc, int relu, float* dw, float* scratch, int o0, int o1) {
  const int len = fw * c, nv = (len + 3) / 4, taps = fh * nv, pooled = ph * pw;
  float* acc = scratch;
  int* toff = (int*)(acc + (o1 - o0) * taps * 4);
  int* base = toff + taps;
  int* off = base + pooled;
  float* g = (float*)(off + pooled);
  zero_floats(acc, (o1 - o0) * taps * 4);
  for (int t = 0; t < taps; t++) toff[t] = tap_offset(t, nv, len, wp * c);
  for (int p = 0; p < pooled; p++) base[p] = (2 * (p / pw) * wp + 2 * (p % pw)) * c;
  for (int b = 0; b < n; b++) {
    const float* xb = x + b * xImage;
    for (int o = o0; o < o1; o++) {
      const int cnt = filter_terms(codes + b * pooled * oc + o, dp + b * pooled * oc + o, pooled, oc, wp * c, c, relu, base, off, g);
      float* a = acc + (o - o0) * taps * 4;
      FOR_BLOCKS(taps, filter_blocks(B, xb, off, g, cnt, toff + t, a + 4 * t));
    }
  }
  // A row's last vector repeats lanes of the one before with the same terms in the same order: the
  // same values, written twice.
  for (int o = o0; o < o1; o++) {
    for (int t = 0; t < taps; t++) {
      const int at = (t / nv) * len + tap_offset(t % nv, nv, len, 0);
      for (int l = 0; l < 4; l++) dw[(at + l) * oc + o] = acc[((o - o0) * taps + t) * 4 + l];
    }
  }
}

// The input gradient goes window by window: a pooled position's four places share one region of dx,
// fh + 1 rows of (fw + 1)·c floats (region rows r, the place (a, b) covering rows a…a + fh − 1 from
// column b). Each region row sums every term that reaches it in registers, then is added to dx once
// — not once per place and filter row, whose overlapping stores would wait on each other. A term's
// filter row r − a comes from wt_b, its filter's rows laid out at b·c floats into a region row (zeros
// around), so every term of a row adds the same vectors. Terms are split by a: those with a = 0 reach
// rows 0…fh − 1, those with a = 1 rows 1…fh.

// acc (B vectors from v0 of region row r) += Σ over both lists of g · wt row; then dx row += acc.
INLINE void input_block(int B, const float* wt, int rowFloats, int r, int fh, const int* off0, const float* g0, int n0, const int* off1, const float* g1,
                        int n1, int v0, int tail, float* d) {
  v128_t a[MAX_BLOCK];
  _Pragma("clang loop unroll(full)") for (int k = 0; k < B; k++) a[k] = wasm_f32x4_splat(0);
  const float* w = wt + r * rowFloats + 4 * v0;
  if (r < fh) {
    for (int e = 0; e < n0; e++) {
      const float* p = w + off0[e];
      const v128_t s = wasm_v128_load32_splat(g0 + e);
      _Pragma("clang loop unroll(full)") for (int k = 0; k < B; k++) MAD(a[k], wasm_v128_load(p + 4 * k), s);
    }
  }
  if (r > 0) {
    for (int e = 0; e < n1; e++) {
      const float* p = w + off1[e];
      const v128_t s = wasm_v128_load32_splat(g1 + e);
      _Pragma("clang loop unroll(full)") for (int k = 0; k < B; k++) MAD(a[k], wasm_v128_load(p + 4 * k), s);
    }
  }
  d += 4 * v0;
  _Pragma("clang loop unroll(full)") for (int k = 0; k < B - 1; k++) wasm_v128_store(d + 4 * k, wasm_f32x4_add(wasm_v128_load(d + 4 * k), a[k]));
  float* last = d + 4 * (B - 1);
  store_part(last, wasm_f32x4_add(load_part(last, tail), a[B - 1]), tail);
}
#define INPUT_ARGS \
  const float *wt, int rowFloats, int r, int fh, const int *off0, const float *g0, int n0, const int *off1, const float *g1, int n1, int v0, int tail, float *d
#define INPUT_CASE(B) \
  NOINLINE void input_block_##B(INPUT_ARGS) { input_block(B, wt, rowFloats, r, fh, off0, g0, n0, off1, g1, n1, v0, tail, d); }
FOR_BLOCK_SIZES(INPUT_CASE)

NOINLINE void input_blocks(int B, INPUT_ARGS) {
#define INPUT_CALL(B) input_block_##B(wt, rowFloats, r, fh, off0, g0, n0, off1, g1, n1, v0, tail, d)
  BLOCK_SWITCH(B, INPUT_CALL)
}

// wt [2, oc, fh, nvr · 4]: for b = 0, 1, filter o's row i (w [fh, fw, c, oc]) at b·c floats into a
// region row of nvr vectors, zeros around.
INLINE void region_rows(const float* w, int fh, int fw, int c, int oc, int nvr, float* wt) {
  const int len = fw * c;
  for (int b = 0; b < 2; b++) {
    for (int o = 0; o < oc; o++) {
      for (int i = 0; i < fh; i++) {
        float* row = wt + ((b * oc + o) * fh + i) * nvr * 4;
        for (int f = 0; f < nvr * 4; f++) {
          const int q = f - b * c;
          row[f] = q >= 0 && q < len ? w[(i * len + q) * oc + o] : 0;
        }
      }
    }
  }
}

// Floats of scratch conv2d_input_grad_pooled takes.
EXPORT(conv2d_input_grad_pooled_scratch)
int conv2d_input_grad_pooled_scratch(int oc, int fh, int fw, int c) {
  const int nvr = ((fw + 1) * c + 3) / 4;
  return 2 * oc * fh * nvr * 4 + 4 * oc;
}

// dx [n] images xImage floats apart (rows wp pixels of c channels: the padded input's geometry) from
// codes and dp [n, ph, pw, oc] and w [fh, fw, c, oc] (header; the region walk above). Windows in
// row-major order, each region row's terms in filter order.
EXPORT(conv2d_input_grad_pooled)
void conv2d_input_grad_pooled(int n, const unsigned char* codes, const float* dp, int ph, int pw, int oc, int relu, const float* w, int c, int fh,
                              int fw, float* dx, int wp, int xImage, float* scratch) {
  const int lr = (fw + 1) * c, nvr = (lr + 3) / 4, tail = lr & 3, rowFloats = nvr * 4;
  float* wt = scratch;
  int* off0 = (int*)(wt + 2 * oc * fh * rowFloats);
  int* off1 = off0 + oc;
  float* g0 = (float*)(off1 + oc);
  float* g1 = g0 + oc;
  region_rows(w, fh, fw, c, oc, nvr, wt);
  for (int b = 0; b < n; b++, codes += ph * pw * oc, dp += ph * pw * oc, dx += xImage) {
    zero_floats(dx, xImage);
    for (int p = 0; p < ph * pw; p++) {
      const unsigned char* code = codes + p * oc;
      const float* d = dp + p * oc;
      int n0 = 0, n1 = 0;
      // Branch-free: each term is written to both lists and counted in the one of its row a.
      for (int o = 0; o < oc; o++) {
        const unsigned q = code[o];
        const float v = pooled_g(q, d[o], relu);
        const int term = is_term(q, v), a = (q >> 1) & 1;
        const int at = ((int)(q & 1) * oc + o) * fh * rowFloats;
        off0[n0] = at;
        g0[n0] = v;
        off1[n1] = at - rowFloats;
        g1[n1] = v;
        n0 += term & (a ^ 1);
        n1 += term & a;
      }
      if (n0 + n1 == 0) continue;
      float* region = dx + (2 * (p / pw) * wp + 2 * (p % pw)) * c;
      for (int r = 0; r <= fh; r++, region += wp * c) {
        const int blocks = (nvr + MAX_BLOCK - 1) / MAX_BLOCK;
        for (int k = 0; k < blocks; k++) {
          const int v0 = k * nvr / blocks, B = (k + 1) * nvr / blocks - v0;
          input_blocks(B, wt, rowFloats, r, fh, off0, g0, n0, off1, g1, n1, v0, k == blocks - 1 ? tail : 0, region);
        }
      }
    }
  }
}
