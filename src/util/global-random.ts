// Owns process-wide determinism. tfjs draws every unseeded random number (initialisers without a
// seed, dropout masks, random ops) from a generator seeded with Math.random(); a seeded Math.random
// therefore makes a whole training run repeatable without passing a fixed seed to dropout (which in
// tfjs would repeat the same mask at every step).

const original = Math.random;

let current: (() => number) | null = null;

/**
 * `state` (from globalRandomState) continues a sequence where a checkpoint left it, so that a resumed
 * run draws the same dropout masks as an uninterrupted one.
 */
export function seedGlobalRandom(seed: number, state?: number): void {
  let a = state ?? (seed ^ 0x9e3779b9) >>> 0;
  current = () => a;
  Math.random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function restoreGlobalRandom(): void {
  Math.random = original;
  current = null;
}

/** The seeded generator's internal state (null when Math.random is not seeded). */
export function globalRandomState(): number | null {
  return current ? current() : null;
}
