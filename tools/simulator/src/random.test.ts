import { seededRandom } from './random';

const draws = (seed: number, n: number, label?: string): number[] => {
  const r = label === undefined ? seededRandom(seed) : seededRandom(seed).fork(label);
  return Array.from({ length: n }, () => r.next());
};

describe('seededRandom', () => {
  it('gives the same numbers for the same seed, other numbers for another seed', () => {
    expect(draws(7, 5)).toEqual(draws(7, 5));
    expect(draws(7, 5)).not.toEqual(draws(8, 5));
  });

  it('forks a stream per label that does not depend on what the parent drew before', () => {
    const a = seededRandom(3);
    const b = seededRandom(3);
    b.next();
    b.next();
    expect(Array.from({ length: 4 }, a.fork('driver:svo_d:1').next)).toEqual(
      Array.from({ length: 4 }, b.fork('driver:svo_d:1').next),
    );
    expect(draws(3, 4, 'driver:svo_d:1')).not.toEqual(draws(3, 4, 'driver:svo_d:2'));
  });

  it('draws uniformly from [0, 1)', () => {
    const xs = draws(11, 100_000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeCloseTo(0.5, 2);
    // Each tenth of the interval holds about a tenth of the draws.
    const deciles = Array.from({ length: 10 }, () => 0);
    for (const x of xs) deciles[Math.floor(x * 10)]!++;
    for (const d of deciles) expect(Math.abs(d - 10_000)).toBeLessThan(500);
  });

  it('keeps chance, int and between within their bounds and rates', () => {
    const r = seededRandom(5);
    const n = 50_000;
    let hits = 0;
    for (let i = 0; i < n; i++) if (r.chance(0.2)) hits++;
    expect(hits / n).toBeCloseTo(0.2, 2);
    expect(seededRandom(5).chance(0)).toBe(false);
    const ints = Array.from({ length: 1000 }, () => r.int(6));
    expect(new Set(ints)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    const between = Array.from({ length: 1000 }, () => r.between(2, 3));
    expect(between.every((x) => x >= 2 && x < 3)).toBe(true);
  });
});
