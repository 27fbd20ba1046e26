import { dammCheck } from './damm';

const digits = (s: string): number[] => [...s].map(Number);

describe('dammCheck', () => {
  it.each([
    ['572', 4],
    ['', 0],
    ['0', 0],
    ['1', 3],
    ['5724', 0],
  ])('gives %p the check digit %p', (payload, check) => {
    expect(dammCheck(digits(payload))).toBe(check);
  });

  it('brings a payload followed by its check digit back to 0', () => {
    for (let n = 0; n < 1000; n++) {
      const payload = digits(String(n).padStart(3, '0'));
      expect(dammCheck([...payload, dammCheck(payload)])).toBe(0);
    }
  });

  // The properties the scheme's guarantees rest on, checked on the table itself.
  it('is totally anti-symmetric: (c*x)*y = (c*y)*x only when x = y', () => {
    // Row 0 of the table is a permutation, so every interim value c has a one-digit prefix.
    const after = (c: number, ...ds: number[]): number => dammCheck([...interimPrefix(c), ...ds]);
    for (let c = 0; c < 10; c++)
      for (let x = 0; x < 10; x++) for (let y = 0; y < 10; y++) if (x !== y) expect(after(c, x, y)).not.toBe(after(c, y, x));
  });
});

/** A digit sequence whose interim Damm value is `c` (row 0 of the table is a permutation). */
const interimPrefix = (c: number): number[] => {
  for (let d = 0; d < 10; d++) if (dammCheck([d]) === c) return [d];
  throw new Error(`no prefix for ${c}`);
};
