import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import type { GeneratorSettings } from '../config/config';
import { dammCheck } from './damm';
import { luhnModNCheck } from './luhn-mod-n';
import { verhoeffCheck } from './verhoeff';
import { normaliseFor } from './normalise';

/** Codes longer than this are refused by the settings check (the config allows 16). */
export const MAX_CODE_LENGTH = 64;

const DIGITS = '0123456789';

/** How a check character is computed; absent for `none`. */
export interface CheckCharacter {
  /** The check character of a payload whose characters are all in the alphabet. */
  readonly of: (payload: readonly string[]) => string;
  /** The same, of a payload given by alphabet positions (generation's hot path: no lookups). */
  readonly ofPositions: (positions: readonly number[]) => string;
}

/**
 * The generator settings compiled once for the hot paths (parse, generate):
 * the alphabet as characters, with positions, and the check scheme.
 */
export interface CodeFormat {
  readonly settings: GeneratorSettings;
  /** The alphabet's characters (code points). */
  readonly chars: readonly string[];
  readonly position: ReadonlyMap<string, number>;
  readonly payloadLength: number;
  readonly check: CheckCharacter | null;
  /** Exactly the ten digits: trivial runs are judged by digit value. */
  readonly decimal: boolean;
  readonly normalise: (typed: string) => string;
}

export const isDecimalAlphabet = (chars: readonly string[]): boolean =>
  chars.length === 10 && [...DIGITS].every((d) => chars.includes(d));

/** Damm works on digit values, whatever order the alphabet lists them in. */
const damm = (chars: readonly string[]): CheckCharacter => {
  const values = chars.map(Number);
  return {
    of: (payload) => String(dammCheck(payload.map(Number))),
    ofPositions: (positions) => String(dammCheck(positions.map((p) => values[p] ?? 0))),
  };
};

/** A check computed on alphabet positions, as a check character. */
const byPosition = (
  check: (values: readonly number[]) => number,
  chars: readonly string[],
  position: ReadonlyMap<string, number>,
): CheckCharacter => ({
  of: (payload) => chars[check(payload.map((c) => position.get(c) ?? 0))] ?? '',
  ofPositions: (positions) => chars[check(positions)] ?? '',
});

const verhoeff = (chars: readonly string[], position: ReadonlyMap<string, number>): E.Either<string, CheckCharacter> =>
  pipe(
    verhoeffCheck(chars.length),
    E.fromNullable(`verhoeff needs an alphabet of at least 3 characters, not ${chars.length}`),
    E.map((check) => byPosition(check, chars, position)),
  );

const checkCharacter = (
  settings: GeneratorSettings,
  chars: readonly string[],
  position: ReadonlyMap<string, number>,
): E.Either<string, CheckCharacter | null> => {
  switch (settings.checkDigit) {
    case 'none':
      return E.right(null);
    case 'damm':
      return isDecimalAlphabet(chars) ? E.right(damm(chars)) : E.left('damm needs the decimal alphabet 0123456789; use verhoeff');
    case 'verhoeff':
      return verhoeff(chars, position);
    case 'luhn_mod_n':
      return E.right(byPosition(luhnModNCheck(chars.length), chars, position));
    default: {
      const never: never = settings.checkDigit;
      return E.left(`unknown check_digit ${String(never)}`);
    }
  }
};

/**
 * Every alphabet character must survive normalisation unchanged, or codes
 * made of it could never be typed back (a space, a dash, a lower-case letter
 * next to capitals, a full-width digit).
 */
const alphabetProblem = (chars: readonly string[], normalise: (s: string) => string): string | null => {
  if (chars.length < 2) return `the alphabet needs at least 2 characters, not ${chars.length}`;
  if (new Set(chars).size !== chars.length) return 'the alphabet lists a character more than once';
  const unstable = chars.find((c) => normalise(c) !== c);
  return unstable === undefined
    ? null
    : `the alphabet character ${JSON.stringify(unstable)} changes when typed codes are normalised`;
};

const lengthProblem = (settings: GeneratorSettings): string | null => {
  const min = settings.checkDigit === 'none' ? 1 : 2;
  const { length } = settings;
  return Number.isInteger(length) && length >= min && length <= MAX_CODE_LENGTH
    ? null
    : `the length must be an integer from ${min} to ${MAX_CODE_LENGTH}, not ${length}`;
};

const compile = (settings: GeneratorSettings): E.Either<string, CodeFormat> => {
  const chars = [...settings.alphabet];
  const position = new Map(chars.map((c, i) => [c, i] as const));
  const normalise = normaliseFor(settings.alphabet);
  const problem = lengthProblem(settings) ?? alphabetProblem(chars, normalise);
  if (problem !== null) return E.left(problem);
  return pipe(
    checkCharacter(settings, chars, position),
    E.map((check) => ({
      settings,
      chars,
      position,
      payloadLength: settings.length - (check === null ? 0 : 1),
      check,
      decimal: isDecimalAlphabet(chars),
      normalise,
    })),
  );
};

// Settings objects live as long as the configuration, so compile each once.
const compiled = new WeakMap<GeneratorSettings, E.Either<string, CodeFormat>>();

/** The compiled format, or why these settings cannot make codes. */
export const codeFormat = (settings: GeneratorSettings): E.Either<string, CodeFormat> => {
  const cached = compiled.get(settings);
  if (cached !== undefined) return cached;
  const result = compile(settings);
  compiled.set(settings, result);
  return result;
};

/**
 * For the configuration check: the settings back, or a plain-English reason
 * they cannot make codes. The display grouping is not checked here: a
 * mismatch only means codes are shown ungrouped.
 */
export const checkGeneratorSettings = (settings: GeneratorSettings): E.Either<string, GeneratorSettings> =>
  pipe(
    codeFormat(settings),
    E.map(() => settings),
  );

/**
 * For generation, where invalid settings are a bug (the configuration is
 * checked when it is loaded): fail loudly rather than issue unusable codes.
 */
export const formatOrThrow = (settings: GeneratorSettings): CodeFormat =>
  pipe(
    codeFormat(settings),
    E.getOrElseW((problem) => {
      throw new Error(`invalid generator settings: ${problem}`);
    }),
  );

/** The code of a payload given by alphabet positions, check character appended. */
export const completePositions = (format: CodeFormat, positions: readonly number[]): string => {
  let code = '';
  for (const p of positions) code += format.chars[p] ?? '';
  return format.check === null ? code : code + format.check.ofPositions(positions);
};

/** A payload with its check character appended. */
export const complete = (format: CodeFormat, payload: readonly string[]): string =>
  payload.join('') + (format.check === null ? '' : format.check.of(payload));

/** Whether a full code of alphabet characters ends in the right check character. */
export const hasValidCheck = (format: CodeFormat, chars: readonly string[]): boolean =>
  format.check === null || format.check.of(chars.slice(0, -1)) === chars[chars.length - 1];
