import * as E from 'fp-ts/Either';
import type { GeneratorSettings } from '../config/config';
import { codeFormat, hasValidCheck, type CodeFormat } from './format';
import { normaliseFor } from './normalise';

export type CodeParseError =
  { readonly code: 'invalid_code_format'; readonly detail: string } | { readonly code: 'invalid_code_checksum' };

/**
 * Typed input longer than this is refused before any work: a code is at most
 * 16 characters, so even generously separated it is far shorter.
 */
export const MAX_TYPED_LENGTH = 256;

const formatError = (detail: string): E.Either<CodeParseError, never> => E.left({ code: 'invalid_code_format', detail });

/**
 * What the driver typed, without separators and folded to the alphabet's form
 * (SPEC §5), but not checked: the form legacy codes are looked up in. Input
 * beyond `MAX_TYPED_LENGTH` gives "" (nothing to look up).
 */
export const normaliseTyped = (settings: GeneratorSettings, typed: string): string => {
  if (typeof typed !== 'string' || typed.length > MAX_TYPED_LENGTH) return '';
  const format = codeFormat(settings);
  return E.isRight(format) ? format.right.normalise(typed) : normaliseFor(settings.alphabet)(typed);
};

const allowed = (format: CodeFormat): string => (format.decimal ? 'digits only' : `only ${format.settings.alphabet}`);

/** Length, alphabet, then check character, on an already normalised code. */
const validate = (format: CodeFormat, code: string): E.Either<CodeParseError, string> => {
  const chars = [...code];
  const { length } = format.settings;
  if (chars.length !== length) return formatError(`expected ${length} characters, got ${chars.length}`);
  const outside = chars.findIndex((c) => !format.position.has(c));
  if (outside >= 0) return formatError(`character ${outside + 1} is not allowed: use ${allowed(format)}`);
  return hasValidCheck(format, chars) ? E.right(code) : E.left({ code: 'invalid_code_checksum' });
};

/**
 * A typed code, normalised and checked before any lookup: the code as stored,
 * or why it cannot be one. Total: never throws, whatever the string.
 */
export const parseCode = (settings: GeneratorSettings, typed: string): E.Either<CodeParseError, string> => {
  const format = codeFormat(settings);
  if (E.isLeft(format)) return formatError(`the area's code settings are invalid: ${format.left}`);
  if (typeof typed !== 'string') return formatError('expected the code as text');
  if (typed.length > MAX_TYPED_LENGTH) return formatError(`expected ${settings.length} characters, got over ${MAX_TYPED_LENGTH}`);
  return validate(format.right, format.right.normalise(typed));
};

/** Whether an already normalised code has the current format and check character. */
export const isValidCode = (settings: GeneratorSettings, code: string): boolean => {
  const format = codeFormat(settings);
  return E.isRight(format) && typeof code === 'string' && E.isRight(validate(format.right, code));
};
