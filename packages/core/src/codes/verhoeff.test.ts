import { luhnModNCheck } from './luhn-mod-n';
import { verhoeffCheck, type VerhoeffCheck } from './verhoeff';

/** Every payload of `length` values below n, as arrays. */
const payloads = (n: number, length: number): number[][] =>
  Array.from({ length: n ** length }, (_, index) =>
    Array.from({ length }, (_, i) => Math.floor(index / n ** (length - 1 - i)) % n),
  );

/**
 * Undetected errors among all codes of the given payload length: single
 * substitutions (check character included) and adjacent transpositions.
 */
const undetected = (n: number, length: number, check: VerhoeffCheck): number => {
  // The check of every payload, by payload index: one call each, then lookups.
  const all = payloads(n, length);
  const checks = all.map(check);
  const indexOf = (w: readonly number[]): number => w.slice(0, length).reduce((acc, v) => acc * n + v, 0);
  const valid = (w: readonly number[]): boolean => checks[indexOf(w)] === w[length];
  let misses = 0;
  all.forEach((payload, p) => {
    const code = [...payload, checks[p] as number];
    for (let i = 0; i < code.length; i++) {
      for (let v = 0; v < n; v++) {
        if (v === code[i]) continue;
        const typo = [...code];
        typo[i] = v;
        if (valid(typo)) misses++;
      }
      if (i + 1 < code.length && code[i] !== code[i + 1]) {
        const swap = [...code];
        [swap[i], swap[i + 1]] = [code[i + 1] as number, code[i] as number];
        if (valid(swap)) misses++;
      }
    }
  });
  return misses;
};

describe('verhoeffCheck', () => {
  it.each([0, 1, 2, 2.5])('has no scheme for %p symbols', (n) => {
    expect(verhoeffCheck(n)).toBeNull();
  });

  // Every N from 3 to 64, so every kind of group the construction picks: odd (Z_m),
  // N = 2 mod 4 (dihedral, 6 and 10 included), powers of two (GF(2^k)) and mixed
  // (Z_m x GF(2^k)).
  it.each(Array.from({ length: 62 }, (_, i) => i + 3))(
    'detects every substitution and adjacent swap for N = %p (exhaustive, payloads of 1 and 2)',
    (n) => {
      const check = verhoeffCheck(n) as VerhoeffCheck;
      expect(undetected(n, 1, check)).toBe(0);
      expect(undetected(n, 2, check)).toBe(0);
    },
  );

  it.each([3, 4, 5, 6, 8, 10, 12, 14, 16])('detects them for N = %p with payloads of 3 (exhaustive)', (n) => {
    expect(undetected(n, 3, verhoeffCheck(n) as VerhoeffCheck)).toBe(0);
  });

  it('gives check values inside the alphabet', () => {
    const check = verhoeffCheck(36) as VerhoeffCheck;
    for (const payload of payloads(36, 2)) expect(check(payload)).toBeGreaterThanOrEqual(0);
    for (const payload of payloads(36, 2)) expect(check(payload)).toBeLessThan(36);
  });

  it('is not Luhn mod N: Luhn misses the swap 09 <-> 90, this scheme does not', () => {
    const luhn = luhnModNCheck(10);
    expect(luhn([0, 9])).toBe(luhn([9, 0]));
    const check = verhoeffCheck(10) as VerhoeffCheck;
    expect(check([0, 9])).not.toBe(check([9, 0]));
  });

  it('is not the classic decimal Verhoeff check digit (236 -> 3): its own group encoding gives 6', () => {
    expect((verhoeffCheck(10) as VerhoeffCheck)([2, 3, 6])).toBe(6);
  });
});
