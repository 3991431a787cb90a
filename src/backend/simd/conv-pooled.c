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
// then already infinite.) A filter row's taps over all channels are fw·c consecutive floats of x (and
// of w read per filter): both kernels walk a window as "vector taps", 4 floats each: row t / nv,
// floats 4·(t % nv)… of it, a row's last vector ending at the row's end (so overlapping the one before
// when fw·c is not a multiple of 4; fw·c ≥ 4).
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

// g of one pooled value (its code and dp): channels.c's product, and whether it is a term (a place, ≠ 0).
INLINE float pooled_g(unsigned char code, float d, int relu) {
  return relu ? d * ((code & 8) ? 1.0f : 0.0f) : d;
}
#define IS_TERM(code, g) (((code) & 7) < 4 && (g) != 0)

// Filter o's terms in one image (codes and dp oc apart): the offset in x of each one's window place
// (its window's first float, base[p], + the place's row and column), and its g, in pooled-position
// order. Returns how many. Branch-free (a term or not is a coin toss after a relu): every value is
// written, and the count moves on past the terms. Places are 0–3 (bit 2 clear) or 4: none.
INLINE int filter_terms(const unsigned char* code, const float* dp, int pooled, int oc, int rowc, int c, int relu, const int* base, int* off, float* g) {
  int k = 0;
  for (int p = 0; p < pooled; p++, code += oc, dp += oc) {
    const unsigned q = *code;
    const float v = relu ? *dp * (float)((q >> 3) & 1) : *dp;
    off[k] = base[p] + (int)((q >> 1) & 1) * rowc + (int)(q & 1) * c;
    g[k] = v;
    k += ((q & 4) == 0) & (v != 0);
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

// dx (B vector taps at base + toff) += Σ_e g[e] · wt[o[e], t0 + k]: sums in registers, then one add each.
INLINE void input_block(int B, const float* wt, int taps, const int* o, const float* g, int cnt, const int* toff, const int* tail, float* base) {
  v128_t a[MAX_BLOCK];
  _Pragma("clang loop unroll(full)") for (int k = 0; k < B; k++) a[k] = wasm_f32x4_splat(0);
  for (int e = 0; e < cnt; e++) {
    const float* p = wt + o[e] * taps * 4;
    const v128_t s = wasm_v128_load32_splat(g + e);
    _Pragma("clang loop unroll(full)") for (int k = 0; k < B; k++) MAD(a[k], wasm_v128_load(p + 4 * k), s);
  }
  _Pragma("clang loop unroll(full)") for (int k = 0; k < B; k++) {
    float* d = base + toff[k];
    if (tail[k]) store_part(d, wasm_f32x4_add(load_part(d, tail[k]), a[k]), tail[k]);
    else wasm_v128_store(d, wasm_f32x4_add(wasm_v128_load(d), a[k]));
  }
}
#define INPUT_ARGS const float *wt, int taps, const int *o, const float *g, int cnt, const int *toff, const int *tail, float *base
#define INPUT_CASE(B) \
  NOINLINE void input_block_##B(INPUT_ARGS) { input_block(B, wt, taps, o, g, cnt, toff, tail, base); }
FOR_BLOCK_SIZES(INPUT_CASE)

NOINLINE void input_blocks(int B, INPUT_ARGS) {
#define INPUT_CALL(B) input_block_##B(wt, taps, o, g, cnt, toff, tail, base)
  BLOCK_SWITCH(B, INPUT_CALL)
}

// The input gradient's vector taps do not overlap (their sums are added to dx, which must count each
// float once, and a store that overlaps the one before would wait on it): a row's last one holds its
// last len mod 4 floats (tail; 0 for a full vector), loaded and stored lane by lane.
// wt [oc, taps, 4]: filter o's window as those vector taps (w [fh, fw, c, oc]), 0 past a row's end.
INLINE void filter_taps(const float* w, int fh, int len, int nv, int oc, float* wt) {
  for (int o = 0; o < oc; o++) {
    for (int t = 0; t < fh * nv; t++) {
      const int at = 4 * (t % nv);
      for (int l = 0; l < 4; l++) wt[(o * fh * nv + t) * 4 + l] = at + l < len ? w[((t / nv) * len + at + l) * oc + o] : 0;
    }
  }
}

// Floats of scratch conv2d_input_grad_pooled takes.
EXPORT(conv2d_input_grad_pooled_scratch)
int conv2d_input_grad_pooled_scratch(int oc, int fh, int fw, int c) {
  const int taps = fh * ((fw * c + 3) / 4);
  return oc * taps * 4 + 2 * taps + 2 * 4 * oc + 4;
}

// dx [n] images xImage floats apart (rows wp pixels of c channels: the padded input's geometry) from
// codes and dp [n, ph, pw, oc] and w [fh, fw, c, oc] (header). Each window's terms are grouped by their
// place, summed over filters in order, and added to dx once per place; windows in row-major order.
EXPORT(conv2d_input_grad_pooled)
void conv2d_input_grad_pooled(int n, const unsigned char* codes, const float* dp, int ph, int pw, int oc, int relu, const float* w, int c, int fh,
                              int fw, float* dx, int wp, int xImage, float* scratch) {
  const int len = fw * c, nv = (len + 3) / 4, taps = fh * nv;
  float* wt = scratch;
  int* toff = (int*)(wt + oc * taps * 4);
  int* tail = toff + taps;
  int* terms = tail + taps;              // per place q: filter indices at terms + q·oc
  float* g = (float*)(terms + 4 * oc);   // and their g at g + q·oc
  int* count = (int*)(g + 4 * oc);       // terms per place
  filter_taps(w, fh, len, nv, oc, wt);
  for (int t = 0; t < taps; t++) {
    const int at = 4 * (t % nv);
    toff[t] = (t / nv) * wp * c + at;
    tail[t] = at + 4 > len ? len - at : 0;
  }
  for (int b = 0; b < n; b++, codes += ph * pw * oc, dp += ph * pw * oc, dx += xImage) {
    zero_floats(dx, xImage);
    for (int py = 0; py < ph; py++) {
      for (int px = 0; px < pw; px++) {
        const unsigned char* code = codes + (py * pw + px) * oc;
        const float* d = dp + (py * pw + px) * oc;
        count[0] = count[1] = count[2] = count[3] = 0;
        for (int o = 0; o < oc; o++) {
          const float v = pooled_g(code[o], d[o], relu);
          if (!IS_TERM(code[o], v)) continue;
          const int q = code[o] & 7, k = count[q]++;
          terms[q * oc + k] = o;
          g[q * oc + k] = v;
        }
        for (int q = 0; q < 4; q++) {
          if (!count[q]) continue;
          float* base = dx + ((2 * py + (q >> 1)) * wp + 2 * px + (q & 1)) * c;
          FOR_BLOCKS(taps, input_blocks(B, wt + 4 * t, taps, terms + q * oc, g + q * oc, count[q], toff + t, tail + t, base));
        }
      }
    }
  }
}
