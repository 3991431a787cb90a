// Owns Viterbi decoding of the linear-chain CRF on tfjs-backend-wasm's memory (crf_viterbi), in
// float64 with the JS decoder's operations in its order (src/layers/crf.ts): the same paths, ties to
// the lowest tag. Rules as in crf.c: no globals, no static data, no C stack.
#include "crf.h"

// ---- Viterbi -------------------------------------------------------------------------------------

// One step of the max-product recursion: next[j] = max_i (δ(i) + A(i, j)), back[j] = the first i that
// attains it; 4 tags j at a time in two float64 pairs. Ad: A as float64 [K × Kp].
static void viterbi_step(int K, int Kp, const double* delta, const double* Ad, double* next, int* back) {
  for (int j = 0; j < Kp; j += 4) {
    v128_t b0 = wasm_f64x2_splat(-__builtin_inf()), b1 = b0, g0 = wasm_f64x2_splat(0), g1 = g0;
    for (int i = 0; i < K; i++) {
      v128_t di = wasm_f64x2_splat(delta[i]), idx = wasm_f64x2_splat(i);
      v128_t c0 = wasm_f64x2_add(di, wasm_v128_load(Ad + i * Kp + j)), c1 = wasm_f64x2_add(di, wasm_v128_load(Ad + i * Kp + j + 2));
      v128_t m0 = wasm_f64x2_gt(c0, b0), m1 = wasm_f64x2_gt(c1, b1);
      b0 = wasm_v128_bitselect(c0, b0, m0);
      b1 = wasm_v128_bitselect(c1, b1, m1);
      g0 = wasm_v128_bitselect(idx, g0, m0);
      g1 = wasm_v128_bitselect(idx, g1, m1);
    }
    wasm_v128_store(next + j, b0);
    wasm_v128_store(next + j + 2, b1);
    back[j] = (int)wasm_f64x2_extract_lane(g0, 0);
    back[j + 1] = (int)wasm_f64x2_extract_lane(g0, 1);
    back[j + 2] = (int)wasm_f64x2_extract_lane(g1, 0);
    back[j + 3] = (int)wasm_f64x2_extract_lane(g1, 1);
  }
}

// The highest-scoring path of each row over its lengths[s] leading tokens into out [b, T] (0 at
// padded steps). work: K·Kp + 2·Kp doubles; back: T·Kp ints.
EXPORT(crf_viterbi)
void crf_viterbi(int b, int T, int K, const float* e, const float* a, const float* start, const float* end, const int* lengths, int* out, double* work, int* back) {
  int Kp = padded(K);
  double *Ad = work, *delta = Ad + K * Kp, *next = delta + Kp;
  for (int i = 0; i < K; i++)
    for (int j = 0; j < Kp; j++) Ad[i * Kp + j] = j < K ? a[i * K + j] : 0;
  for (int s = 0; s < b; s++) {
    int L = lengths[s] < T ? lengths[s] : T;
    int* o = out + s * T;
    const float* es = e + s * T * K;
    for (int t = 0; t < T; t++) o[t] = 0;
    if (L <= 0) continue;
    for (int j = 0; j < K; j++) delta[j] = (double)start[j] + (double)es[j];
    for (int t = 1; t < L; t++) {
      viterbi_step(K, Kp, delta, Ad, next, back + t * Kp);
      for (int j = 0; j < K; j++) delta[j] = next[j] + (double)es[t * K + j];
    }
    double best = -__builtin_inf();
    int tag = 0;
    for (int j = 0; j < K; j++)
      if (delta[j] + end[j] > best) { best = delta[j] + end[j]; tag = j; }
    for (int t = L - 1; t >= 0; t--) {
      o[t] = tag;
      if (t > 0) tag = back[t * Kp + tag];
    }
  }
}
