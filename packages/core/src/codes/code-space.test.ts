import fc from 'fast-check';
import { DEFAULT_GENERATOR, type GeneratorSettings } from '../config/config';
import { candidatesFromIndex, codeAt, codeSpaceSize, isTrivial, payloadLength } from './code-space';
import { isValidCode } from './parser';

const settings = (over: Partial<GeneratorSettings>): GeneratorSettings => ({ ...DEFAULT_GENERATOR, ...over });

const DECIMAL = '0123456789';
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Every string of `length` alphabet characters. */
const allStrings = (alphabet: string, length: number): string[] =>
  length === 0 ? [''] : allStrings(alphabet, length - 1).flatMap((s) => [...alphabet].map((c) => s + c));

/** The issuable codes found the slow way: every string, kept if valid and (when forbidden) not trivial. */
const bruteForce = (s: GeneratorSettings): string[] =>
  allStrings(s.alphabet, s.length).filter((code) => isValidCode(s, code) && !(s.forbidTrivial && isTrivial(s, code)));

const SMALL: GeneratorSettings[] = [3, 4].flatMap((length) =>
  [true, false].flatMap((forbidTrivial) => [
    settings({ length, forbidTrivial, checkDigit: 'damm', group: [length] }),
    settings({ length, forbidTrivial, checkDigit: 'none', group: [length] }),
    settings({ length, forbidTrivial, checkDigit: 'luhn_mod_n', group: [length] }),
    settings({ length, forbidTrivial, checkDigit: 'luhn_mod_n', alphabet: 'ABCDEFG', group: [length] }),
    settings({ length, forbidTrivial, checkDigit: 'verhoeff', alphabet: 'ABCDEFG', group: [length] }),
    settings({ length, forbidTrivial, checkDigit: 'none', alphabet: 'XYZ', group: [length] }),
  ]),
);
const label = (s: GeneratorSettings): string =>
  `${s.alphabet} ${s.checkDigit} length ${s.length}${s.forbidTrivial ? ' no trivial' : ''}`;

describe('isTrivial', () => {
  it.each(['000000', '123456', '654321', '789', '0123456789', '9876543210', '12', '7', ''])('finds %p trivial', (code) => {
    expect(isTrivial(DEFAULT_GENERATOR, code)).toBe(true);
  });
  it.each(['890123', '210987', '123457', '112233', '482918', '135'])('finds %p not trivial', (code) => {
    expect(isTrivial(DEFAULT_GENERATOR, code)).toBe(false);
  });
  it('counts runs only for decimal alphabets', () => {
    const crockford = settings({ alphabet: CROCKFORD, checkDigit: 'verhoeff' });
    expect(isTrivial(crockford, 'KKKKKK')).toBe(true);
    expect(isTrivial(crockford, '123456')).toBe(false);
    expect(isTrivial(crockford, 'ABCDEF')).toBe(false);
  });
});

describe('codeSpaceSize', () => {
  it.each(SMALL.map((s) => [label(s), s] as const))('equals a brute-force count for %s', (_, s) => {
    expect(codeSpaceSize(s)).toBe(bruteForce(s).length);
  });

  it('is 10^5 less the valid trivial codes for the default settings', () => {
    const trivial = ['000000', '111111', '222222', '333333', '444444', '555555', '666666', '777777', '888888', '999999']
      .concat(['012345', '123456', '234567', '345678', '456789', '543210', '654321', '765432', '876543', '987654'])
      .filter((code) => isValidCode(DEFAULT_GENERATOR, code));
    expect(codeSpaceSize(DEFAULT_GENERATOR)).toBe(100_000 - trivial.length);
    // With a zero-diagonal Damm table, "000000" is always valid.
    expect(trivial).toContain('000000');
  });

  it('saturates for spaces beyond 2^53', () => {
    expect(codeSpaceSize(settings({ alphabet: CROCKFORD, checkDigit: 'verhoeff', length: 16, group: [4, 4, 4, 4] }))).toBe(
      Number.MAX_SAFE_INTEGER,
    );
    expect(codeSpaceSize(settings({ checkDigit: 'none', length: 16 }))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('is 0 when every code is trivial', () => {
    expect(codeSpaceSize(settings({ length: 1, checkDigit: 'none', group: [1] }))).toBe(0);
    expect(candidatesFromIndex(settings({ length: 1, checkDigit: 'none', group: [1] }), 0, 10)).toEqual([]);
  });
});

describe('codeAt', () => {
  it('is a bijection from [0, N^payload) onto the valid codes', () => {
    const s = settings({ length: 4, group: [4], forbidTrivial: false });
    const codes = Array.from({ length: 1000 }, (_, i) => codeAt(s, i));
    expect(new Set(codes).size).toBe(1000);
    expect(codes.every((c) => isValidCode(s, c))).toBe(true);
    expect(codes[0]).toBe('0000');
    expect(codes[572]).toBe('5724');
  });

  it('takes the index modulo the space', () => {
    const s = settings({ length: 4, group: [4] });
    expect(codeAt(s, 1572)).toBe('5724');
    expect(codeAt(s, -428)).toBe('5724');
    expect(codeAt(s, 572.9)).toBe('5724');
    expect(codeAt(s, Number.NaN)).toBe('0000');
  });

  it('reaches into spaces beyond 2^53', () => {
    const s = settings({ alphabet: CROCKFORD, checkDigit: 'verhoeff', length: 16, group: [4, 4, 4, 4] });
    const code = codeAt(s, Number.MAX_SAFE_INTEGER);
    expect(code).toHaveLength(16);
    // 2^53 - 1 = 7 * 32^10 + (32^10 - 1): payload 0000 7 ZZZZZZZZZZ.
    expect(code.slice(0, 15)).toBe('00007ZZZZZZZZZZ');
    expect(isValidCode(s, code)).toBe(true);
  });

  it('reports the payload length', () => {
    expect(payloadLength(DEFAULT_GENERATOR)).toBe(5);
    expect(payloadLength(settings({ checkDigit: 'none' }))).toBe(6);
  });
});

describe('candidatesFromIndex', () => {
  it.each(SMALL.map((s) => [label(s), s] as const))('lists the whole space from 0 for %s', (_, s) => {
    const all = candidatesFromIndex(s, 0, codeSpaceSize(s));
    expect(all).toEqual(bruteForce(s));
  });

  it('wraps around and partitions the space into chunks, like the issuer scans it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SMALL), fc.nat(), fc.integer({ min: 1, max: 400 }), (s, seed, chunk) => {
        const size = codeSpaceSize(s);
        const start = seed % size;
        const scanned: string[] = [];
        for (let done = 0; done < size; done += chunk)
          scanned.push(...candidatesFromIndex(s, (start + done) % size, Math.min(chunk, size - done)));
        expect(scanned).toHaveLength(size);
        expect(new Set(scanned)).toEqual(new Set(bruteForce(s)));
      }),
      { numRuns: 40 },
    );
  });

  it('continues from the end of the space at its beginning', () => {
    const s = settings({ length: 3, group: [3] });
    const size = codeSpaceSize(s);
    const all = candidatesFromIndex(s, 0, size);
    expect(candidatesFromIndex(s, size - 2, 4)).toEqual([...all.slice(-2), ...all.slice(0, 2)]);
    expect(candidatesFromIndex(s, size + 3, 1)).toEqual([all[3]]);
    expect(candidatesFromIndex(s, -1, 1)).toEqual([all[size - 1]]);
  });

  it('never returns more than the space, nor duplicates', () => {
    const s = settings({ length: 3, group: [3] });
    const many = candidatesFromIndex(s, 17, 10_000);
    expect(many).toHaveLength(codeSpaceSize(s));
    expect(new Set(many).size).toBe(many.length);
  });

  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY])('returns nothing for a count of %p', (count) => {
    expect(candidatesFromIndex(DEFAULT_GENERATOR, 0, count)).toEqual([]);
  });

  it('skips trivial codes but counts positions over issuable codes only', () => {
    const s = settings({ length: 3, group: [3] });
    const trivialValid = allStrings(DECIMAL, 3).filter((c) => isValidCode(s, c) && isTrivial(s, c));
    expect(trivialValid.length).toBeGreaterThan(0);
    const all = candidatesFromIndex(s, 0, codeSpaceSize(s));
    expect(all.some((c) => isTrivial(s, c))).toBe(false);
    expect(all).toHaveLength(100 - trivialValid.length);
  });

  it('works in spaces beyond 2^53, from any safe start', () => {
    const s = settings({ alphabet: CROCKFORD, checkDigit: 'verhoeff', length: 16, group: [4, 4, 4, 4] });
    const near = candidatesFromIndex(s, Number.MAX_SAFE_INTEGER - 1, 4);
    expect(near).toHaveLength(4);
    expect(new Set(near).size).toBe(4);
    expect(near.every((c) => isValidCode(s, c) && !isTrivial(s, c))).toBe(true);
    // The enumeration covers the first 2^53 payloads, then wraps to the first
    // issuable code ("0000000000000000" is trivial and skipped).
    expect(near[0]).toBe(codeAt(s, Number.MAX_SAFE_INTEGER));
    expect(near.slice(1)).toEqual(candidatesFromIndex(s, 0, 3));
    expect(near[1]).toBe(codeAt(s, 1));
  });
});
