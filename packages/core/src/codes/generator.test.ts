import fc from 'fast-check';
import * as E from 'fp-ts/Either';
import { DEFAULT_GENERATOR, type GeneratorSettings } from '../config/config';
import type { CodeRandom } from '../ports';
import { codeSpaceSize, isTrivial } from './code-space';
import { displayCode } from './display';
import { generateCandidates } from './generator';
import { isValidCode, parseCode } from './parser';

/** mulberry32: a tiny seeded `CodeRandom`, so failures replay. */
const seeded = (seed: number): CodeRandom => {
  let state = seed >>> 0;
  return {
    int: (bound) => {
      state = (state + 0x6d2b79f5) >>> 0;
      let x = state;
      x = Math.imul(x ^ (x >>> 15), x | 1);
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
      return Math.floor((((x ^ (x >>> 14)) >>> 0) / 4294967296) * bound);
    },
  };
};

const settings = (over: Partial<GeneratorSettings>): GeneratorSettings => ({ ...DEFAULT_GENERATOR, ...over });
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ALNUM36 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A spread of valid settings: every scheme, decimal and letter alphabets, lengths 4..16 (spaces far above 50 codes). */
const arbSettings: fc.Arbitrary<GeneratorSettings> = fc.oneof(
  fc.integer({ min: 4, max: 16 }).map((length) => settings({ length, group: [length] })),
  fc.integer({ min: 4, max: 16 }).map((length) => settings({ length, checkDigit: 'none', group: [length] })),
  fc
    .tuple(
      fc.constantFrom(CROCKFORD, ALNUM36, '0123456789', 'ACDEFHJKLMNPRTUVWXY', '0123456789ABCDEF'),
      fc.integer({ min: 4, max: 16 }),
      fc.constantFrom('verhoeff' as const, 'luhn_mod_n' as const),
    )
    .map(([alphabet, length, checkDigit]) => settings({ alphabet, length, checkDigit, group: [length] })),
);

const FULL_WIDTH_OFFSET = 0xff10 - 0x30;
/** The code as a person might type it: separators in between, full-width digits. */
const arbTyping = (code: string): fc.Arbitrary<string> =>
  fc
    .array(fc.constantFrom('', ' ', '-', '–', '—', '.', '·', '\u00a0', '\u3000', '\u200b', '\t'), {
      minLength: code.length + 1,
      maxLength: code.length + 1,
    })
    .chain((seps) =>
      fc.array(fc.boolean(), { minLength: code.length, maxLength: code.length }).map(
        (wide) =>
          [...code]
            .map((c, i) => {
              const shown = wide[i] && /[0-9A-Z]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + FULL_WIDTH_OFFSET) : c;
              return `${seps[i] ?? ''}${shown}`;
            })
            .join('') + (seps[code.length] ?? ''),
      ),
    );

describe('generateCandidates', () => {
  it('gives distinct, valid, non-trivial codes that parse back to themselves', () => {
    fc.assert(
      fc.property(arbSettings, fc.integer(), fc.integer({ min: 0, max: 50 }), (s, seed, count) => {
        const codes = generateCandidates(s, seeded(seed), count);
        expect(codes).toHaveLength(count);
        expect(new Set(codes).size).toBe(codes.length);
        for (const code of codes) {
          expect(isTrivial(s, code)).toBe(false);
          expect(isValidCode(s, code)).toBe(true);
          expect(parseCode(s, code)).toEqual(E.right(code));
          expect(parseCode(s, displayCode(s, code))).toEqual(E.right(code));
        }
      }),
    );
  });

  it('parses a code back however it is typed: spaces, dashes, dots, full-width characters', () => {
    const arb = fc.tuple(arbSettings, fc.integer()).chain(([s, seed]) => {
      const [code] = generateCandidates(s, seeded(seed), 1) as [string];
      return arbTyping(code).map((typed) => ({ s, code, typed }));
    });
    fc.assert(
      fc.property(arb, ({ s, code, typed }) => {
        expect(parseCode(s, typed)).toEqual(E.right(code));
      }),
    );
  });

  it('never gives a trivial code, even when the random source favours them', () => {
    const zeros: CodeRandom = { int: () => 0 };
    expect(generateCandidates(DEFAULT_GENERATOR, zeros, 5)).toEqual([]);
    const s = settings({ length: 2, alphabet: 'ABC', checkDigit: 'luhn_mod_n', group: [2] });
    expect(generateCandidates(s, zeros, 5)).toEqual([]);
  });

  it('keeps trivial codes when they are allowed', () => {
    const zeros: CodeRandom = { int: () => 0 };
    expect(generateCandidates(settings({ forbidTrivial: false }), zeros, 5)).toEqual(['000000']);
  });

  it('stops at the size of a small space, and after a bounded number of draws', () => {
    const s = settings({ length: 3, group: [3] });
    const codes = generateCandidates(s, seeded(7), 1000);
    expect(codes.length).toBeLessThanOrEqual(codeSpaceSize(s));
    let draws = 0;
    const counting: CodeRandom = {
      int: (bound) => {
        draws++;
        return seeded(draws).int(bound);
      },
    };
    generateCandidates(s, counting, 1000);
    expect(draws).toBeLessThanOrEqual((codeSpaceSize(s) * 4 + 32) * 2);
  });

  it.each([0, -3, Number.NaN])('gives nothing for a count of %p', (count) => {
    expect(generateCandidates(DEFAULT_GENERATOR, seeded(1), count)).toEqual([]);
  });

  it('draws each character uniformly from the alphabet', () => {
    const s = settings({ length: 16, alphabet: CROCKFORD, checkDigit: 'none', group: [16] });
    const counts = new Map<string, number>();
    for (const code of generateCandidates(s, seeded(3), 2000)) for (const c of code) counts.set(c, (counts.get(c) ?? 0) + 1);
    // 32 000 characters over 32 symbols: 1000 each, give or take a few standard deviations (~31).
    expect(counts.size).toBe(32);
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(160);
  });

  it('draws a code of a space under 2^48 as one number, uniform over the payloads', () => {
    // 100 payloads of two digits (the check digit follows), one draw each.
    const s = settings({ length: 3, forbidTrivial: false, group: [3] });
    let draws = 0;
    const counting = seeded(11);
    const counted: CodeRandom = {
      int: (bound) => {
        draws++;
        expect(bound).toBe(100);
        return counting.int(bound);
      },
    };
    const counts = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const [code] = generateCandidates(s, counted, 1) as [string];
      expect(isValidCode(s, code)).toBe(true);
      counts.set(code.slice(0, 2), (counts.get(code.slice(0, 2)) ?? 0) + 1);
    }
    expect(draws).toBe(200);
    for (let i = 0; i < 19_800; i++) {
      const [code] = generateCandidates(s, counting, 1) as [string];
      counts.set(code.slice(0, 2), (counts.get(code.slice(0, 2)) ?? 0) + 1);
    }
    // 20 000 codes over 100 payloads: 200 each, give or take a few standard deviations (~14).
    expect(counts.size).toBe(100);
    for (const n of counts.values()) expect(Math.abs(n - 200)).toBeLessThan(70);
  });

  it('refuses a random source that breaks its contract, and invalid settings', () => {
    expect(() => generateCandidates(DEFAULT_GENERATOR, { int: (bound) => bound }, 1)).toThrow('returned 10');
    expect(() => generateCandidates(settings({ alphabet: 'ABCDEFGHIJ' }), seeded(1), 1)).toThrow('invalid generator settings');
  });
});
