/*
 * A seeded pseudo-random source, so that a run's choices (arrival times,
 * typos, cancellations) are the same for the same seed. Not for secrets.
 *
 * Streams are forked by label (`fork('passenger:svo_d:17')`): each passenger,
 * driver entry and area draws from its own stream, so one actor's choices do
 * not depend on how the others' requests happened to interleave.
 */

/** A uniform number in [0, 1). */
export type Uniform = () => number;

export interface Random {
  /** Uniform in [0, 1). */
  readonly next: Uniform;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** Uniform in [low, high). */
  between(low: number, high: number): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** Exponentially distributed with the given mean (the gap between Poisson arrivals). */
  exponential(mean: number): number;
  /** `mean` scaled by a uniform factor in [1 - spread, 1 + spread]. */
  around(mean: number, spread?: number): number;
  /** An independent stream for `label`, the same for the same seed and label. */
  fork(label: string): Random;
}

/** FNV-1a over the label's UTF-16 units, mixed with a seed: 32 bits. */
const hash32 = (seed: number, label: string): number => {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
};

/** splitmix32: spreads one 32-bit seed over the generator's state. */
const splitmix32 = (seed: number): (() => number) => {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
};

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator), 128 bits of state. */
const sfc32 = (seed: number): Uniform => {
  const init = splitmix32(seed);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
};

/** The stream of `seed` (any integer; only its low 32 bits count). */
export const seededRandom = (seed: number): Random => {
  const next = sfc32(seed);
  const random: Random = {
    next,
    chance: (p) => p > 0 && next() < p,
    between: (low, high) => low + (high - low) * next(),
    int: (n) => Math.floor(next() * n),
    // 1 - next() is in (0, 1]: the logarithm stays finite.
    exponential: (mean) => -Math.log(1 - next()) * mean,
    around: (mean, spread = 0.5) => mean * (1 - spread + 2 * spread * next()),
    fork: (label) => seededRandom(hash32(seed, label)),
  };
  return random;
};
