/**
 * The check character behind the `verhoeff` setting, for an alphabet of any
 * size N >= 3 (values are alphabet positions 0..N-1): it rejects every single
 * substitution and every adjacent swap, the check character included.
 *
 * Why not something computed in Z_N: Luhn mod N misses the swap of the
 * characters worth 0 and N-1 ("09" <-> "90" for N = 10), and for odd N even
 * some single substitutions; ISO/IEC 7064 "MOD N+1,N" misses swaps with the
 * check character (e.g. "00101" <-> "00110" for N = 10). For even N nothing
 * computed in Z_N can work: weights would have to be odd (units) and differ by
 * odd amounts, and more generally Z_N then has no anti-symmetric mapping. So
 * the scheme is Verhoeff's, generalised to any N:
 *
 *   code w_0 .. w_L (w_L the check character) is valid iff
 *   d^0(w_L) * d^1(w_(L-1)) * ... * d^L(w_0) = e
 *
 * in a group G of order N, with d an anti-symmetric permutation of G:
 * x * d(y) != y * d(x) whenever x != y. A single substitution changes one
 * factor, so the product changes. Swapping neighbours w_j, w_(j+1) turns
 * ... y * d(x) ... into ... x * d(y) ... (x = d^k(w_j), y = d^k(w_(j+1))),
 * which the anti-symmetry forbids; this holds for the check character too.
 *
 * The group, by the power of two in N = 2^k * m (m odd):
 * - k != 1: the abelian group Z_m x GF(2^k)+, d(u, v) = (-u, X*v). Then
 *   x - d(x) = (2u, (1+X)*v) is a bijection, which is the anti-symmetry for an
 *   abelian group. The multiplication is modulo X^k + X + 1: it need not be
 *   irreducible, only make X and 1+X invertible (constant term 1, odd number of
 *   terms).
 * - k = 1 (N = 6, 10, 14, ...): the dihedral group D_m of order 2m (rotations
 *   r^i, reflections r^i s), with d(r^i) = r^-i, d(r^i s) = r^(i+1) s. Checking
 *   x*d(y) against y*d(x): two rotations give r^(i-j) vs r^(j-i), two
 *   reflections r^(i-j-1) vs r^(j-i-1), equal only if 2(i-j) = 0 mod m, i.e.
 *   i = j as m is odd; a rotation and a reflection give r^(i+j+1)s vs r^(i+j)s.
 *   (Gallian and Mullin's mapping; Verhoeff used D_5 for decimal numbers.)
 * The tests confirm both by exhaustive search for many N.
 *
 * Elements are encoded as 0..N-1 with the identity at 0.
 */

interface Group {
  readonly op: (a: number, b: number) => number;
  readonly inverse: (a: number) => number;
  /** The anti-symmetric permutation. */
  readonly d: (a: number) => number;
}

/** Z_m x GF(2^k)+, element u + m*v. */
const abelian = (m: number, k: number): Group => {
  const reduce = k === 0 ? 0 : (1 << k) | 0b11;
  const timesX = (v: number): number => (k === 0 ? 0 : v & (1 << (k - 1)) ? (v << 1) ^ reduce : v << 1);
  const make = (u: number, v: number): number => u + m * v;
  return {
    op: (a, b) => make(((a % m) + (b % m)) % m, Math.floor(a / m) ^ Math.floor(b / m)),
    inverse: (a) => make((m - (a % m)) % m, Math.floor(a / m)),
    d: (a) => make((m - (a % m)) % m, timesX(Math.floor(a / m))),
  };
};

/** D_m (m odd), element i + m*f for r^i s^f. */
const dihedral = (m: number): Group => {
  const make = (i: number, f: number): number => (((i % m) + m) % m) + m * f;
  return {
    // r^i s^f * r^j s^g = r^(i +- j) s^(f+g): a reflection reverses rotations.
    op: (a, b) => {
      const f = Math.floor(a / m);
      const g = Math.floor(b / m);
      return make((a % m) + (f === 1 ? -(b % m) : b % m), f ^ g);
    },
    // Reflections are their own inverses.
    inverse: (a) => (a < m ? make(-a, 0) : a),
    d: (a) => (a < m ? make(-a, 0) : make((a % m) + 1, 1)),
  };
};

const groupOfOrder = (n: number): Group | null => {
  if (!Number.isInteger(n) || n < 3) return null;
  let m = n;
  let k = 0;
  while (m % 2 === 0) {
    m /= 2;
    k += 1;
  }
  return k === 1 ? dihedral(m) : abelian(m, k);
};

export type VerhoeffCheck = (values: readonly number[]) => number;

/**
 * The check function for alphabets of `n` characters: payload values in,
 * check value out. Null when n < 3: with two symbols no single check
 * character catches both every substitution and every swap.
 */
export const verhoeffCheck = (n: number): VerhoeffCheck | null => {
  const group = groupOfOrder(n);
  if (group === null) return null;
  // powers[k][a] = d^k(a), grown as longer codes come in (at most the code length).
  const powers: number[][] = [Array.from({ length: n }, (_, a) => a)];
  const power = (a: number, k: number): number => {
    for (let have = powers.length; have <= k; have++) powers.push((powers[have - 1] as number[]).map(group.d));
    return (powers[k] as number[])[a] ?? 0;
  };
  return (values) => {
    // rest = d^1(w_(L-1)) * ... * d^L(w_0); the check c must make c * rest = e.
    const length = values.length;
    let rest = 0;
    for (let j = length - 1; j >= 0; j--) rest = group.op(rest, power(values[j] ?? 0, length - j));
    return group.inverse(rest);
  };
};
