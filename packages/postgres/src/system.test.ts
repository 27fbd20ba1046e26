import { CryptoCodeRandom } from './system';

describe('CryptoCodeRandom', () => {
  const random = new CryptoCodeRandom();

  it('draws every value of a small bound about equally often, and nothing outside it', () => {
    const bound = 10;
    const draws = 100_000;
    const counts = new Array<number>(bound).fill(0);
    for (let i = 0; i < draws; i++) {
      const x = random.int(bound);
      expect(Number.isInteger(x) && x >= 0 && x < bound).toBe(true);
      counts[x] = (counts[x] ?? 0) + 1;
    }
    // Chi-square with 9 degrees of freedom: above 27.9 happens once in a thousand runs of a uniform source.
    const expected = draws / bound;
    const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(27.9);
  });

  it('is unbiased for a bound that does not divide 2^32 (rejection sampling)', () => {
    // 3 * 2^30: plain modulo would draw the lower third half as often again as the rest.
    const bound = 3 * 2 ** 30;
    let low = 0;
    const draws = 60_000;
    for (let i = 0; i < draws; i++) if (random.int(bound) < 2 ** 30) low += 1;
    expect(low / draws).toBeGreaterThan(0.32);
    expect(low / draws).toBeLessThan(0.347);
  });

  it('takes bounds up to 2^48 and refuses others', () => {
    const big = 2 ** 40;
    for (let i = 0; i < 100; i++) expect(random.int(big)).toBeLessThan(big);
    expect(random.int(1)).toBe(0);
    for (const bad of [0, -1, 1.5, 2 ** 48, Number.NaN]) expect(() => random.int(bad)).toThrow(RangeError);
  });
});
