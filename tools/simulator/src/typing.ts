import { codeSpaceSize, type GeneratorSettings } from '@codedispatch/core';
import { codeAt } from '@codedispatch/core/adapter';
import type { Random } from './random';

/*
 * How a driver types the code a passenger tells him: right, or with one of the
 * mistakes of the queue — one character wrong (a typo), two neighbours
 * swapped, or another code altogether (misheard, an old code on the
 * passenger's screen). A check character (SPEC §5) refuses the first two
 * before any lookup; a wrong code passes it and is answered `code_not_found`.
 */

export type Entry = 'correct' | 'typo' | 'swap' | 'wrong_code';

export interface TypingRates {
  /** Share of entries with one character replaced by another of the alphabet. */
  readonly typo: number;
  /** Share of entries with two adjacent (different) characters swapped. */
  readonly swap: number;
  /** Share of entries of another, well-formed code. */
  readonly wrongCode: number;
}

/** Which entry a driver makes: each mistake with its rate, else correct. */
export const chooseEntry = (random: Random, rates: TypingRates): Entry => {
  const u = random.next();
  if (u < rates.typo) return 'typo';
  if (u < rates.typo + rates.swap) return 'swap';
  if (u < rates.typo + rates.swap + rates.wrongCode) return 'wrong_code';
  return 'correct';
};

/** `code` with one character replaced by another character of `alphabet`. */
export const withTypo = (random: Random, code: string, alphabet: string): string => {
  const chars = [...code];
  const at = random.int(chars.length);
  const others = [...alphabet].filter((c) => c !== chars[at]);
  chars[at] = others[random.int(others.length)] ?? chars[at] ?? '';
  return chars.join('');
};

/**
 * `code` with two adjacent characters swapped; they are chosen among the
 * pairs that differ (swapping equal ones changes nothing). A code without
 * such a pair gets a typo instead.
 */
export const withSwap = (random: Random, code: string, alphabet: string): string => {
  const chars = [...code];
  const pairs = chars.slice(1).flatMap((c, i) => (c !== chars[i] ? [i] : []));
  if (pairs.length === 0) return withTypo(random, code, alphabet);
  const i = pairs[random.int(pairs.length)] ?? 0;
  [chars[i], chars[i + 1]] = [chars[i + 1] ?? '', chars[i] ?? ''];
  return chars.join('');
};

/**
 * A well-formed code of the area's format (its check character right) other
 * than the passenger's, and not one `taken` says is held by a passenger of
 * the run (a wrong code must not hit someone else's order).
 */
export const wrongCode = (
  random: Random,
  settings: GeneratorSettings,
  code: string,
  taken: (code: string) => boolean,
): string => {
  const size = codeSpaceSize(settings);
  for (let tries = 0; tries < 100; tries++) {
    const candidate = codeAt(settings, random.int(size));
    if (candidate !== code && !taken(candidate)) return candidate;
  }
  return codeAt(settings, random.int(size));
};

/** What the driver types for `entry`: the code itself for a correct entry. */
export const typedCode = (
  random: Random,
  entry: Entry,
  code: string,
  settings: GeneratorSettings,
  taken: (code: string) => boolean,
): string => {
  switch (entry) {
    case 'correct':
      return code;
    case 'typo':
      return withTypo(random, code, settings.alphabet);
    case 'swap':
      return withSwap(random, code, settings.alphabet);
    case 'wrong_code':
      return wrongCode(random, settings, code, taken);
    default: {
      const never: never = entry;
      return never;
    }
  }
};
