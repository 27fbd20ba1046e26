import * as E from 'fp-ts/Either';
import { codeSpaceSize, DEFAULT_GENERATOR, parseCode, type GeneratorSettings } from '@codedispatch/core';
import { codeAt } from '@codedispatch/core/adapter';
import { seededRandom } from './random';
import { chooseEntry, typedCode, withSwap, withTypo, wrongCode } from './typing';

const damm: GeneratorSettings = DEFAULT_GENERATOR;
const verhoeff: GeneratorSettings = {
  ...DEFAULT_GENERATOR,
  alphabet: '0123456789ABCDEFGHJKMNPQRSTVWXYZ',
  checkDigit: 'verhoeff',
};

/** Well-formed codes of the format, spread over its space. */
const codes = (settings: GeneratorSettings, n: number): string[] => {
  const r = seededRandom(42);
  return Array.from({ length: n }, () => codeAt(settings, r.int(codeSpaceSize(settings))));
};

const refusal = (settings: GeneratorSettings, typed: string): string | null => {
  const parsed = parseCode(settings, typed);
  return E.isLeft(parsed) ? parsed.left.code : null;
};

describe('typing mistakes', () => {
  it.each([
    ['damm', damm],
    ['verhoeff', verhoeff],
  ])('a typo changes one character, and the %s check character refuses it', (_, settings) => {
    const r = seededRandom(1);
    for (const code of codes(settings, 2_000)) {
      const typed = withTypo(r, code, settings.alphabet);
      expect([...typed].filter((c, i) => c !== code[i])).toHaveLength(1);
      expect(refusal(settings, typed)).toBe('invalid_code_checksum');
    }
  });

  it.each([
    ['damm', damm],
    ['verhoeff', verhoeff],
  ])('a swap exchanges two different neighbours, and the %s check character refuses it', (_, settings) => {
    const r = seededRandom(2);
    for (const code of codes(settings, 2_000)) {
      const typed = withSwap(r, code, settings.alphabet);
      expect([...typed].sort().join('')).toBe([...code].sort().join(''));
      expect(typed).not.toBe(code);
      expect(refusal(settings, typed)).toBe('invalid_code_checksum');
    }
  });

  it('a wrong code passes the check, and is neither the code nor one held by another passenger', () => {
    const r = seededRandom(3);
    const [code, held] = codes(damm, 2) as [string, string];
    for (let i = 0; i < 500; i++) {
      const typed = wrongCode(r, damm, code, (c) => c === held);
      expect(parseCode(damm, typed)).toEqual({ _tag: 'Right', right: typed });
      expect(typed).not.toBe(code);
      expect(typed).not.toBe(held);
    }
  });

  it('chooses each mistake at its rate and types the code itself when right', () => {
    const r = seededRandom(4);
    const counts = { correct: 0, typo: 0, swap: 0, wrong_code: 0 };
    const n = 100_000;
    for (let i = 0; i < n; i++) counts[chooseEntry(r, { typo: 0.05, swap: 0.03, wrongCode: 0.02 })]++;
    expect(counts.typo / n).toBeCloseTo(0.05, 2);
    expect(counts.swap / n).toBeCloseTo(0.03, 2);
    expect(counts.wrong_code / n).toBeCloseTo(0.02, 2);
    expect(typedCode(r, 'correct', '482918', damm, () => false)).toBe('482918');
  });
});
