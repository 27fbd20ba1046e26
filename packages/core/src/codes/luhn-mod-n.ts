/**
 * The check character behind the `luhn_mod_n` setting: the standard Luhn mod N
 * algorithm, exactly as other systems compute it, so that a driver app or a
 * partner can check a code offline with any implementation of it. For the
 * decimal alphabet 0123456789 it is the ordinary Luhn check digit.
 *
 * Code points are alphabet positions 0..N-1. From the rightmost payload
 * character leftwards, every other code point is doubled, starting with the
 * rightmost; each product a adds its base-N digit sum floor(a/N) + a%N, the
 * others add themselves; the check is (N - sum % N) % N.
 *
 * What it catches, for any N >= 2 (the tests confirm it exhaustively):
 * - every single substitution when N is even, the check character included;
 *   when N is odd, doubling is not one-to-one: v and v + (N-1)/2, for
 *   1 <= v <= (N-1)/2, give the same digit sum, so a substitution between them
 *   at a doubled position (the last payload character, then every other one
 *   leftwards) goes unnoticed (N = 7: 1 <-> 4, 2 <-> 5, 3 <-> 6);
 * - every adjacent swap except that of the characters worth 0 and N-1
 *   ("09" <-> "90" for N = 10), for any N.
 * The `verhoeff` setting catches all of these.
 */
export const luhnModNCheck =
  (n: number) =>
  (values: readonly number[]): number => {
    let sum = 0;
    for (let i = values.length - 1, doubled = true; i >= 0; i--, doubled = !doubled) {
      const value = values[i] ?? 0;
      const addend = doubled ? 2 * value : value;
      sum += Math.floor(addend / n) + (addend % n);
    }
    return (n - (sum % n)) % n;
  };
