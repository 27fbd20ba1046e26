import type { GeneratorSettings } from '../config/config';
import type { CodeRandom } from '../ports';
import { completePositions, formatOrThrow, hasValidCheck, isDecimalAlphabet, type CodeFormat } from './format';

/**
 * The code space: every payload of `payloadLength` alphabet characters, read
 * as a base-N number (most significant first), so index <-> payload is a
 * bijection on [0, N^payloadLength). The check character adds nothing to the
 * count: each payload has exactly one.
 *
 * Indexes are plain numbers, exact up to 2^53. A larger space (32^15 = 2^75)
 * is enumerated over its first 2^53 payloads only, and its size saturates at
 * `Number.MAX_SAFE_INTEGER`: nothing ever fills it, and random generation,
 * drawing character by character, stays uniform over all of it.
 */
const ENUMERABLE_LIMIT = 2 ** 53;

/**
 * All characters equal ("000000", "AAAA"), or, for decimal alphabets, one
 * ascending or descending run by digit value without wrap-around ("123456",
 * "654321", "789"; not "890123"). Says nothing about validity.
 */
export const isTrivial = (settings: GeneratorSettings, code: string): boolean => {
  const chars = [...code];
  if (chars.every((c) => c === chars[0])) return true;
  if (!isDecimalAlphabet([...settings.alphabet])) return false;
  const steps = chars.slice(1).map((c, i) => Number(c) - Number(chars[i]));
  return steps.every((s) => s === 1) || steps.every((s) => s === -1);
};

interface Space {
  /** N^payloadLength, or Infinity beyond 2^53. */
  readonly payloads: number;
  /** The payloads enumerated by index: min(payloads, 2^53). */
  readonly enumerable: number;
  /** How many valid codes are trivial (0 unless forbidden). */
  readonly trivialCount: number;
  /** Indexes (< enumerable, ascending) of the valid trivial codes to skip. */
  readonly skipped: readonly number[];
}

const power = (base: number, exponent: number): number => {
  let result = 1;
  for (let i = 0; i < exponent && result <= ENUMERABLE_LIMIT; i++) result *= base;
  return result > ENUMERABLE_LIMIT ? Infinity : result;
};

/** Candidates for triviality, each a full code; few (N + 20 at most). */
const trivialCandidates = (format: CodeFormat): readonly string[] => {
  const length = format.settings.length;
  const candidates = new Set(format.chars.map((c) => c.repeat(length)));
  if (format.decimal) {
    for (let start = 0; start <= 10 - length; start++) {
      const run = Array.from({ length }, (_, i) => String(start + i)).join('');
      candidates.add(run);
      candidates.add([...run].reverse().join(''));
    }
  }
  return [...candidates];
};

/** Index of a payload; above 2^53 it is inexact but stays >= 2^53, which is all callers test. */
const indexOf = (format: CodeFormat, payload: readonly string[]): number =>
  payload.reduce((index, c) => index * format.chars.length + (format.position.get(c) ?? 0), 0);

const describe = (format: CodeFormat): Space => {
  const payloads = power(format.chars.length, format.payloadLength);
  const enumerable = Math.min(payloads, ENUMERABLE_LIMIT);
  if (!format.settings.forbidTrivial) return { payloads, enumerable, trivialCount: 0, skipped: [] };
  const trivial = trivialCandidates(format)
    .map((code) => [...code])
    .filter((chars) => hasValidCheck(format, chars));
  const skipped = trivial
    .map((chars) => indexOf(format, chars.slice(0, format.payloadLength)))
    .filter((index) => index < enumerable)
    .sort((a, b) => a - b);
  return { payloads, enumerable, trivialCount: trivial.length, skipped };
};

const spaces = new WeakMap<CodeFormat, Space>();
const spaceOf = (format: CodeFormat): Space => {
  const cached = spaces.get(format);
  if (cached !== undefined) return cached;
  const space = describe(format);
  spaces.set(format, space);
  return space;
};

/** A non-negative integer below `modulus`, whatever number comes in. */
const wrap = (n: number, modulus: number): number => {
  const rest = (Number.isFinite(n) ? Math.floor(n) : 0) % modulus;
  // Adding the modulus only to a negative rest keeps the sum below 2^53, exact.
  return rest < 0 ? rest + modulus : rest;
};

/** The code of payload number `index` (below the enumerable size), check character appended. */
const codeOfIndex = (format: CodeFormat, index: number): string => {
  const base = format.chars.length;
  const positions = new Array<number>(format.payloadLength);
  let rest = index;
  for (let i = format.payloadLength - 1; i >= 0; i--) {
    positions[i] = rest % base;
    rest = Math.floor(rest / base);
  }
  return completePositions(format, positions);
};

/** The largest bound `CodeRandom.int` takes (the port's contract). */
const MAX_DRAW_BOUND = 2 ** 48 - 1;

/**
 * Draws a random code as one number, its payload index, when the space has
 * fewer than 2^48 payloads: one draw per code instead of one per character,
 * equally uniform (every payload index is equally likely, as every character
 * is when drawn one by one). Gives null for a trivial code that may not be
 * issued, and undefined (the function) for a larger space, which is drawn
 * character by character.
 */
export const indexDrawer = (settings: GeneratorSettings): ((random: CodeRandom) => string | null) | undefined => {
  const format = formatOrThrow(settings);
  const { payloads, skipped } = spaceOf(format);
  if (payloads > MAX_DRAW_BOUND) return undefined;
  const skip = new Set(skipped);
  return (random) => {
    const index = random.int(payloads);
    if (!Number.isInteger(index) || index < 0 || index >= payloads)
      throw new Error(`CodeRandom.int(${payloads}) returned ${index}`);
    return skip.has(index) ? null : codeOfIndex(format, index);
  };
};

/** How many characters are drawn; the check character follows. */
export const payloadLength = (settings: GeneratorSettings): number => formatOrThrow(settings).payloadLength;

/**
 * The code with payload number `index` (taken modulo the space), check
 * character appended. Trivial codes included: this is the raw bijection.
 */
export const codeAt = (settings: GeneratorSettings, index: number): string => {
  const format = formatOrThrow(settings);
  return codeOfIndex(format, wrap(index, spaceOf(format).enumerable));
};

/**
 * How many codes can be issued: N^payloadLength, less the valid trivial codes
 * when they are forbidden. Saturates at `Number.MAX_SAFE_INTEGER`.
 */
export const codeSpaceSize = (settings: GeneratorSettings): number => {
  const space = spaceOf(formatOrThrow(settings));
  return space.payloads === Infinity ? Number.MAX_SAFE_INTEGER : space.payloads - space.trivialCount;
};

/**
 * Up to `count` distinct issuable codes, in index order from `start`, wrapping
 * around at the end. `start` counts issuable codes only (trivial ones are
 * skipped, not counted), so for a space of size S the calls for
 * start = s, s + c, s + 2c, ... (mod S) with count c partition the space.
 */
export const candidatesFromIndex = (settings: GeneratorSettings, start: number, count: number): string[] => {
  const format = formatOrThrow(settings);
  const { enumerable, skipped } = spaceOf(format);
  const issuable = enumerable - skipped.length;
  const wanted = Math.min(Number.isFinite(count) ? Math.floor(count) : 0, issuable);
  if (wanted <= 0) return [];
  // The issuable position -> payload index: step over the skipped ones at or before it.
  let index = wrap(start, issuable);
  for (const s of skipped) if (s <= index) index += 1;
  const skip = new Set(skipped);
  const out: string[] = [];
  while (out.length < wanted) {
    if (!skip.has(index)) out.push(codeOfIndex(format, index));
    index = index + 1 === enumerable ? 0 : index + 1;
  }
  return out;
};
