// Owns expFast, e^x for the fused recurrent and CRF loops, where Math.exp is most of the time (V8's
// Math.exp is a call of ~25–35 ns here; this inlines to ~8–10 ns). Cody & Waite range reduction
// (Cody & Waite, "Software Manual for the Elementary Functions", 1980; see Muller, "Elementary
// Functions", 3rd ed. 2016, ch. 11, doi:10.1007/978-1-4899-7983-4):
//   x = n·ln 2 + r, n = round(x / ln 2), |r| ≤ ln 2 / 2;  e^x = 2^n · p(r),
// p the degree-7 Taylor polynomial of e^r (relative error ≤ r^8/8! ≈ 5e-9 on that range, far below
// float32's 6e-8), evaluated in Estrin's scheme for a short dependency chain; 2^n from a table.
// Rounding adds and subtracts 1.5·2^52 (exact for |x/ln 2| < 2^51: no Math.round, which is a call).

const MAGIC = 6755399441055744; // 1.5·2^52
const LOG2E = 1.4426950408889634;
const LN2 = 0.6931471805599453;
const OFFSET = 1100;
/** 2^n for n in [−1100, 1100) (the subnormal and infinite ends included). */
const POW2 = Float64Array.from({ length: 2 * OFFSET }, (_, i) => 2 ** (i - OFFSET));

/** e^x to ~1e-8 relative error for x in [−708, 709]; 0 below, Infinity above (NaN gives NaN). */
export function expFast(x: number): number {
  if (x < -708) return 0;
  if (x > 709) return Infinity;
  const n = x * LOG2E + MAGIC - MAGIC;
  const r = x - n * LN2;
  const r2 = r * r;
  const p = 1 + r + r2 * (0.5 + r * 0.16666666666666666) + r2 * r2 * (0.041666666666666664 + r * 0.008333333333333333 + r2 * (0.001388888888888889 + r * 0.0001984126984126984));
  // NaN passes both tests; then p is NaN, as Math.exp gives.
  return p * POW2[(n | 0) + OFFSET];
}
