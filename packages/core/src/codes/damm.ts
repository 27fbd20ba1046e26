/**
 * Damm's check digit for decimal codes (H. M. Damm, 2004): every single-digit
 * error and every adjacent transposition is detected, the check digit
 * included. The table is a totally anti-symmetric quasigroup of order 10 with
 * a zero diagonal; the zero diagonal is what lets the check digit simply be
 * the interim value, since appending it then brings the interim back to 0.
 */
const TABLE: readonly (readonly number[])[] = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/** The check digit (0-9) of payload digits given by value (0-9). */
export const dammCheck = (digits: readonly number[]): number => digits.reduce((interim, d) => TABLE[interim]?.[d] ?? 0, 0);
