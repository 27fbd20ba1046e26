/**
 * What a driver types, brought to the form codes are stored in (SPEC §5).
 * Pure string work, so it can neither throw nor depend on the locale.
 */

/**
 * Separators people type or paste: white space, invisible formatting
 * characters (zero-width spaces, bidi marks, soft hyphens), every Unicode dash,
 * the minus signs, and dots. Applied after NFKC, which already folds the
 * full-width forms (U+FF0D, U+FF0E, U+3000) into their ASCII counterparts.
 */
const SEPARATORS = /[\s\p{Cf}\p{Pd}\u2212\u02d7\u2043\u2796.\u00b7\u0387\u2022\u2024\u2027\u2219\u22c5\u30fb\u3002]/gu;

/**
 * Never part of a code, and unstorable in a PostgreSQL `text` lookup (NUL,
 * lone surrogates): dropped too, so the result is always safe to query with.
 */
const UNSTORABLE = /[\p{Cc}\p{Cs}]/gu;

/** Cyrillic letters that look like Latin capitals (SPEC §5), both cases. */
const CYRILLIC_LOOKALIKES: Readonly<Record<string, string>> = {
  А: 'A',
  а: 'A',
  В: 'B',
  в: 'B',
  Е: 'E',
  е: 'E',
  К: 'K',
  к: 'K',
  М: 'M',
  м: 'M',
  Н: 'H',
  н: 'H',
  О: 'O',
  о: 'O',
  Р: 'P',
  р: 'P',
  С: 'C',
  с: 'C',
  Т: 'T',
  т: 'T',
  Х: 'X',
  х: 'X',
};
const CYRILLIC = /[АаВвЕеКкМмНнОоРрСсТтХх]/gu;

/**
 * Upper-casing and look-alike mapping only make sense for letter alphabets
 * without lower case; a look-alike that is itself in the alphabet stays.
 */
export const normaliseFor = (alphabet: string): ((typed: string) => string) => {
  const letters = /\p{L}/u.test(alphabet) && !/\p{Ll}/u.test(alphabet);
  const map = (ch: string): string => (alphabet.includes(ch) ? ch : (CYRILLIC_LOOKALIKES[ch] ?? ch));
  return (typed) => {
    const stripped = typed.normalize('NFKC').replace(SEPARATORS, '').replace(UNSTORABLE, '');
    return letters ? stripped.toUpperCase().replace(CYRILLIC, map) : stripped;
  };
};
