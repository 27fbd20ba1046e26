import * as E from 'fp-ts/Either';
import { DEFAULT_GENERATOR, type GeneratorSettings } from '../config/config';
import { checkGeneratorSettings, codeFormat, complete, formatOrThrow } from './format';

const settings = (over: Partial<GeneratorSettings>): GeneratorSettings => ({ ...DEFAULT_GENERATOR, ...over });

describe('checkGeneratorSettings', () => {
  it.each<Partial<GeneratorSettings>>([
    {},
    { alphabet: '9876543210' },
    { alphabet: '0123456789ABCDEFGHJKMNPQRSTVWXYZ', checkDigit: 'verhoeff', length: 8 },
    { alphabet: 'ABC', checkDigit: 'verhoeff', length: 2 },
    { alphabet: '0123456789', checkDigit: 'verhoeff' },
    { alphabet: 'AB', checkDigit: 'none', length: 1 },
    { alphabet: 'abcdef', checkDigit: 'luhn_mod_n' },
    { alphabet: 'AB', checkDigit: 'luhn_mod_n' },
    { alphabet: 'ABCDEFG', checkDigit: 'luhn_mod_n' },
    // Lower case in the alphabet: nothing is upper-cased, so mixed case is stable.
    { alphabet: 'ABCdef', checkDigit: 'none' },
    { length: 64, checkDigit: 'none' },
  ])('accepts %p', (over) => {
    const s = settings(over);
    expect(checkGeneratorSettings(s)).toEqual(E.right(s));
  });

  it.each<[Partial<GeneratorSettings>, string]>([
    [{ alphabet: '0123456789AB' }, 'damm needs the decimal alphabet 0123456789; use verhoeff'],
    [{ alphabet: '012345678' }, 'damm needs the decimal alphabet'],
    [{ alphabet: 'AB', checkDigit: 'verhoeff' }, 'verhoeff needs an alphabet of at least 3 characters, not 2'],
    [{ alphabet: 'A', checkDigit: 'none' }, 'at least 2 characters'],
    [{ alphabet: '01234567890' }, 'more than once'],
    [{ alphabet: '0123-56789', checkDigit: 'none' }, '"-" changes when typed codes are normalised'],
    [{ alphabet: 'AB ', checkDigit: 'none' }, '" " changes'],
    [{ alphabet: 'AB\u0000', checkDigit: 'none' }, 'changes'],
    [{ alphabet: 'ABC１', checkDigit: 'none' }, '"１" changes'],
    [{ length: 1 }, 'from 2 to 64, not 1'],
    [{ length: 0, checkDigit: 'none' }, 'from 1 to 64, not 0'],
    [{ length: 65 }, 'not 65'],
    [{ length: 6.5 }, 'not 6.5'],
    [{ checkDigit: 'crc' as GeneratorSettings['checkDigit'] }, 'unknown check_digit crc'],
  ])('refuses %p', (over, message) => {
    expect(checkGeneratorSettings(settings(over))).toEqual(E.left(expect.stringContaining(message)));
  });

  it('compiles each settings object once', () => {
    const s = settings({});
    expect(codeFormat(s)).toBe(codeFormat(s));
  });

  it('throws for generation with invalid settings', () => {
    expect(() => formatOrThrow(settings({ alphabet: 'ABC' }))).toThrow('invalid generator settings: damm needs');
  });

  it('appends the Damm check digit by digit value, whatever the alphabet order', () => {
    expect(complete(formatOrThrow(settings({ alphabet: '9876543210', length: 4 })), ['5', '7', '2'])).toBe('5724');
    expect(complete(formatOrThrow(settings({ checkDigit: 'none', length: 3 })), ['5', '7', '2'])).toBe('572');
  });
});
