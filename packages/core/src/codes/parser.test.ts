import fc from 'fast-check';
import * as E from 'fp-ts/Either';
import { DEFAULT_GENERATOR, type GeneratorSettings } from '../config/config';
import { candidatesFromIndex, codeAt, codeSpaceSize } from './code-space';
import { isValidCode, MAX_TYPED_LENGTH, normaliseTyped, parseCode, type CodeParseError } from './parser';

const settings = (over: Partial<GeneratorSettings>): GeneratorSettings => ({ ...DEFAULT_GENERATOR, ...over });
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ALNUM36 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

const checksumError: E.Either<CodeParseError, string> = E.left({ code: 'invalid_code_checksum' });
const formatError = (detail: string): E.Either<CodeParseError, string> => E.left({ code: 'invalid_code_format', detail });

/** Every single-character substitution and adjacent transposition of a code (none equal to it). */
const typos = (alphabet: string, code: string): string[] => {
  const chars = [...code];
  const out: string[] = [];
  chars.forEach((c, i) => {
    for (const other of alphabet) if (other !== c) out.push([...chars.slice(0, i), other, ...chars.slice(i + 1)].join(''));
    const next = chars[i + 1];
    if (next !== undefined && next !== c) out.push([...chars.slice(0, i), next, c, ...chars.slice(i + 2)].join(''));
  });
  return out;
};

const SCHEMES: readonly [string, GeneratorSettings][] = [
  ['decimal Damm', settings({})],
  ['decimal verhoeff', settings({ checkDigit: 'verhoeff' })],
  ['Crockford base32 verhoeff', settings({ alphabet: CROCKFORD, checkDigit: 'verhoeff' })],
  ['36 characters verhoeff', settings({ alphabet: ALNUM36, checkDigit: 'verhoeff' })],
  ['hexadecimal verhoeff', settings({ alphabet: '0123456789ABCDEF', checkDigit: 'verhoeff' })],
];

describe('parseCode: typos', () => {
  it.each(SCHEMES)('rejects every substitution and adjacent swap of every short %s code (exhaustive)', (_, base) => {
    const length = base.alphabet.length === 10 ? 4 : 3;
    const s = settings({ ...base, length, group: [length], forbidTrivial: false });
    const size = codeSpaceSize(s);
    const missed: string[] = [];
    for (let i = 0; i < size; i++) {
      const code = codeAt(s, i);
      if (!isValidCode(s, code)) missed.push(`${code} itself`);
      for (const typo of typos(s.alphabet, code)) if (isValidCode(s, typo)) missed.push(`${typo} for ${code}`);
    }
    expect(missed).toEqual([]);
  });

  it.each(SCHEMES)('rejects every substitution and adjacent swap of longer %s codes', (_, base) => {
    const arb = fc
      .integer({ min: 2, max: 16 })
      .chain((length) => fc.tuple(fc.constant(settings({ ...base, length, group: [length] })), fc.nat()));
    fc.assert(
      fc.property(arb, ([s, index]) => {
        const [code] = candidatesFromIndex(s, index, 1) as [string];
        const missed = typos(s.alphabet, code).filter((typo) => {
          const parsed = parseCode(s, typo);
          return E.isRight(parsed) || parsed.left.code !== 'invalid_code_checksum';
        });
        expect(missed).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it('knows the Damm vector 572 -> 4', () => {
    const s = settings({ length: 4, group: [4] });
    expect(parseCode(s, '5724')).toEqual(E.right('5724'));
    expect(parseCode(s, '5725')).toEqual(checksumError);
    expect(parseCode(s, '5274')).toEqual(checksumError);
  });

  it('takes any code as valid without a check character', () => {
    const s = settings({ checkDigit: 'none' });
    expect(parseCode(s, '482 917')).toEqual(E.right('482917'));
    expect(parseCode(s, '000000')).toEqual(E.right('000000'));
  });
});

/** Whether `typo` is `code` with neighbouring `a` and `b` swapped (in either order). */
const swapsPair = (code: string, typo: string, a: string, b: string): boolean => {
  const at = [...code].flatMap((c, i) => (typo[i] === c ? [] : [i]));
  return at.length === 2 && at[1] === (at[0] as number) + 1 && [a + b, b + a].includes(code.slice(at[0], (at[0] as number) + 2));
};

describe('parseCode: luhn_mod_n', () => {
  it.each([
    ['decimal', '0123456789', 4],
    ['Crockford base32', CROCKFORD, 3],
    ['hexadecimal', '0123456789ABCDEF', 3],
  ])(
    'rejects every substitution and adjacent swap of every short %s code except the swap of its first and last characters, which it takes (exhaustive)',
    (_, alphabet, length) => {
      const s = settings({ alphabet, checkDigit: 'luhn_mod_n', length, group: [length], forbidTrivial: false });
      const [first, last] = [alphabet[0] as string, alphabet[alphabet.length - 1] as string];
      const wrong: string[] = [];
      for (let i = 0; i < codeSpaceSize(s); i++) {
        const code = codeAt(s, i);
        for (const typo of typos(alphabet, code))
          if (isValidCode(s, typo) !== swapsPair(code, typo, first, last)) wrong.push(`${typo} for ${code}`);
      }
      expect(wrong).toEqual([]);
    },
  );

  it('knows the ordinary Luhn vector 7992739871 -> 3 and the hexadecimal 123 -> 6', () => {
    const decimal = settings({ checkDigit: 'luhn_mod_n', length: 11, group: [11] });
    expect(parseCode(decimal, '7992 7398 713')).toEqual(E.right('79927398713'));
    expect(parseCode(decimal, '79927398710')).toEqual(checksumError);
    const hex = settings({ alphabet: '0123456789ABCDEF', checkDigit: 'luhn_mod_n', length: 4, group: [4] });
    expect(parseCode(hex, '1236')).toEqual(E.right('1236'));
    expect(parseCode(hex, '1234')).toEqual(checksumError);
  });

  it('takes, over an odd alphabet, a substitution of the documented pairs before the check character (N = 7: B <-> E)', () => {
    const s = settings({ alphabet: 'ABCDEFG', checkDigit: 'luhn_mod_n', length: 3, group: [3] });
    const code = [...'ABCDEFG'].map((c) => `AB${c}`).find((c) => isValidCode(s, c)) as string;
    expect(parseCode(s, `AE${code.slice(-1)}`)).toEqual(E.right(`AE${code.slice(-1)}`));
    expect(parseCode(s, `AC${code.slice(-1)}`)).toEqual(checksumError);
  });
});

describe('parseCode: format', () => {
  it.each<[string, string]>([
    ['', 'expected 6 characters, got 0'],
    ['  - . ', 'expected 6 characters, got 0'],
    ['12345', 'expected 6 characters, got 5'],
    ['1234567', 'expected 6 characters, got 7'],
    ['12A456', 'character 3 is not allowed: use digits only'],
    ['12\u0000456', 'expected 6 characters, got 5'],
    ['482/918', 'expected 6 characters, got 7'],
    ['x'.repeat(MAX_TYPED_LENGTH + 1), `expected 6 characters, got over ${MAX_TYPED_LENGTH}`],
  ])('refuses %p: %s', (typed, detail) => {
    expect(parseCode(DEFAULT_GENERATOR, typed)).toEqual(formatError(detail));
  });

  it('names the alphabet of a letter code', () => {
    const s = settings({ alphabet: CROCKFORD, checkDigit: 'verhoeff' });
    expect(parseCode(s, 'ABCDEU')).toEqual(formatError(`character 6 is not allowed: use only ${CROCKFORD}`));
  });

  it('refuses everything, without throwing, when the settings are invalid', () => {
    const s = settings({ alphabet: 'ABCDEFGHIJ' });
    expect(parseCode(s, 'ABCDEF')).toEqual(
      formatError("the area's code settings are invalid: damm needs the decimal alphabet 0123456789; use verhoeff"),
    );
    expect(isValidCode(s, 'ABCDEF')).toBe(false);
    expect(normaliseTyped(s, 'abc-def')).toBe('ABCDEF');
  });

  it('refuses what is not text', () => {
    expect(parseCode(DEFAULT_GENERATOR, 482918 as unknown as string)).toEqual(formatError('expected the code as text'));
    expect(isValidCode(DEFAULT_GENERATOR, null as unknown as string)).toBe(false);
    expect(normaliseTyped(DEFAULT_GENERATOR, undefined as unknown as string)).toBe('');
  });

  it('never throws, whatever the string: any code unit, lone surrogates, NUL, a megabyte', () => {
    const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u));
    const crockford = settings({ alphabet: CROCKFORD, checkDigit: 'verhoeff' });
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: anyUnit }), fc.string({ unit: 'binary' }), fc.string({ unit: anyUnit, maxLength: 400 })),
        fc.constantFrom(DEFAULT_GENERATOR, crockford),
        (typed, s) => {
          const parsed = parseCode(s, typed);
          if (E.isRight(parsed)) expect(isValidCode(s, parsed.right)).toBe(true);
          else expect(['invalid_code_format', 'invalid_code_checksum']).toContain(parsed.left.code);
          expect(typeof normaliseTyped(s, typed)).toBe('string');
        },
      ),
      { numRuns: 500 },
    );
    const huge = ['4'.repeat(1 << 20), ' '.repeat(1 << 20), '\ud800'.repeat(1 << 20)];
    for (const typed of huge)
      expect(parseCode(DEFAULT_GENERATOR, typed)).toEqual(formatError(`expected 6 characters, got over ${MAX_TYPED_LENGTH}`));
    expect(parseCode(DEFAULT_GENERATOR, '\ud800')).toEqual(formatError('expected 6 characters, got 0'));
    expect(parseCode(DEFAULT_GENERATOR, '\u0000'.repeat(6))).toEqual(formatError('expected 6 characters, got 0'));
    // Lone surrogates and control characters are never part of a code: dropped like separators.
    expect(normaliseTyped(DEFAULT_GENERATOR, '\udc0048\ud8002\u0000918\u007f')).toBe('482918');
  });
});

describe('normaliseTyped', () => {
  const crockford = settings({ alphabet: CROCKFORD, checkDigit: 'verhoeff' });
  const lower = settings({ alphabet: 'abcdefgh', checkDigit: 'none' });

  it.each<[string, string, GeneratorSettings]>([
    ['482 918', '482918', DEFAULT_GENERATOR],
    [' 482-918\n', '482918', DEFAULT_GENERATOR],
    ['48.29.18', '482918', DEFAULT_GENERATOR],
    ['482·918', '482918', DEFAULT_GENERATOR],
    ['482‐918', '482918', DEFAULT_GENERATOR],
    ['482–918', '482918', DEFAULT_GENERATOR],
    ['482—918', '482918', DEFAULT_GENERATOR],
    ['482−918', '482918', DEFAULT_GENERATOR],
    ['482\u00ad918', '482918', DEFAULT_GENERATOR],
    ['482\u200b918\u200f', '482918', DEFAULT_GENERATOR],
    ['４８２　９１８', '482918', DEFAULT_GENERATOR],
    ['４８２－９１８', '482918', DEFAULT_GENERATOR],
    ['４８２．９１８', '482918', DEFAULT_GENERATOR],
    ['48\u00002918', '482918', DEFAULT_GENERATOR],
    ['abc', 'abc', DEFAULT_GENERATOR],
    ['abc-xyz', 'ABCXYZ', crockford],
    ['ＡＢＣ１２３', 'ABC123', crockford],
    // Cyrillic look-alikes, upper and lower case: А В Е К М Н О Р С Т Х.
    ['АВЕКМН', 'ABEKMH', crockford],
    ['авекмн', 'ABEKMH', crockford],
    ['ОРСТХ', 'OPCTX', crockford],
    ['орстх', 'OPCTX', crockford],
    // Other Cyrillic letters are left as they are (and then fail the alphabet check).
    ['Д', 'Д', crockford],
    // An alphabet with lower case is taken as it is.
    ['ABC def', 'ABCdef', lower],
    ['а', 'а', lower],
  ])('normalises %p to %p', (typed, expected, s) => {
    expect(normaliseTyped(s, typed)).toBe(expected);
  });

  it('keeps a look-alike that is itself in the alphabet', () => {
    const cyrillic = settings({ alphabet: 'АБВГДЕЖЗИК', checkDigit: 'none' });
    expect(normaliseTyped(cyrillic, 'а-б в')).toBe('АБВ');
  });

  it('gives "" for absurdly long input, so nothing is looked up', () => {
    expect(normaliseTyped(DEFAULT_GENERATOR, '1'.repeat(MAX_TYPED_LENGTH + 1))).toBe('');
    expect(normaliseTyped(DEFAULT_GENERATOR, '1'.repeat(MAX_TYPED_LENGTH))).toBe('1'.repeat(MAX_TYPED_LENGTH));
  });

  it('parses Cyrillic-typed letter codes', () => {
    const s = settings({ alphabet: CROCKFORD, checkDigit: 'verhoeff', length: 12, group: [4, 4, 4] });
    const code = [...CROCKFORD].map((c) => `ABEKMHPCTXM${c}`).find((c) => isValidCode(s, c)) as string;
    expect(parseCode(s, 'авекмнрстхм'.toUpperCase() + code.slice(-1))).toEqual(E.right(code));
    expect(parseCode(s, `авек мнрс тхм${code.slice(-1).toLowerCase()}`)).toEqual(E.right(code));
  });
});
