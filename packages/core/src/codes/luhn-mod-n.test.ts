import { luhnModNCheck } from './luhn-mod-n';

/** The check character of `payload`, code points being positions in `alphabet`. */
const checkOf = (alphabet: string, payload: string): string => {
  const chars = [...alphabet];
  return chars[luhnModNCheck(chars.length)([...payload].map((c) => chars.indexOf(c)))] ?? '?';
};

const DECIMAL = '0123456789';
/** The code points of the EU Digital COVID Certificate's identifiers (UVCI), N = 38. */
const UVCI = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:';

describe('luhnModNCheck: published check characters', () => {
  // Complete numbers as published: the Luhn article's example, card-scheme test
  // numbers, an IMEI, and python-stdnum's doctest ("7894" + "9").
  it.each([
    ['7992739871', '3'],
    ['411111111111111', '1'],
    ['401288888888188', '1'],
    ['37828224631000', '5'],
    ['555555555555444', '4'],
    ['49015420323751', '8'],
    ['7894', '9'],
  ])('gives the decimal payload %p the ordinary Luhn check digit %p', (payload, check) => {
    expect(checkOf(DECIMAL, payload)).toBe(check);
  });

  it("gives the Luhn mod N article's example abcdef (N = 6) the check character e", () => {
    expect(checkOf('abcdef', 'abcdef')).toBe('e');
  });

  // python-stdnum's doctest: "1234" sums to 14 in hexadecimal, so "123" needs 4 + 16 - 14 = 6.
  it('gives the hexadecimal payload "123" the check character 6, as python-stdnum computes it', () => {
    expect(checkOf('0123456789abcdef', '123')).toBe('6');
  });

  // Vaccination certificate identifiers issued in Sweden, and the eHealth Network
  // guidelines' own example, each with the check character printed after "#".
  it.each([
    'URN:UVCI:01:SE:EHM/V12907267LAJW#E',
    'URN:UVCI:01:SE:EHM/V12916227TFJJ#Q',
    'URN:UVCI:01:SE:EHM/V12920064NYOH#4',
    'URN:UVCI:01:SE:EHM/V12956472WRGE#7',
    'URN:UVCI:01:SE:EHM/V12997980ASMG#1',
    'URN:UVCI:01:SE:EHM/C878/123456789ABC#B',
  ])('agrees with the published UVCI %p (N = 38, letters first)', (uvci) => {
    const [payload, check] = uvci.split('#') as [string, string];
    expect(checkOf(UVCI, payload)).toBe(check);
  });

  it('works for the smallest alphabet, N = 2 (a parity check)', () => {
    expect(checkOf('01', '1')).toBe('1');
    expect(checkOf('01', '10')).toBe('1');
    expect(checkOf('01', '11')).toBe('0');
  });
});

/**
 * What the documentation says Luhn mod N lets through, and nothing else.
 * A substitution of `from` by `to` at `fromRight` (0 = the check character):
 * only for odd N, at a doubled position (the last payload character, then
 * every other one leftwards), between v and v + (N-1)/2 for 1 <= v <= (N-1)/2.
 */
const missesSubstitution = (n: number, fromRight: number, from: number, to: number): boolean =>
  n % 2 === 1 && fromRight % 2 === 1 && Math.min(from, to) >= 1 && Math.abs(from - to) === (n - 1) / 2;

/** A swap of neighbours worth `a` and `b` (a != b): only 0 and N-1. */
const missesSwap = (n: number, a: number, b: number): boolean => Math.min(a, b) === 0 && Math.max(a, b) === n - 1;

/**
 * Over every code of the given payload length, each single substitution
 * (check character included) and adjacent swap: the errors whose fate differs
 * from the documented one (caught though said to be missed, or the reverse),
 * the first five of them.
 */
const survey = (n: number, length: number): string[] => {
  const check = luhnModNCheck(n);
  const count = n ** length;
  const payloadAt = (index: number): number[] => Array.from({ length }, (_, i) => Math.floor(index / n ** (length - 1 - i)) % n);
  const checks = Array.from({ length: count }, (_, index) => check(payloadAt(index)));
  const valid = (w: readonly number[]): boolean => checks[w.slice(0, length).reduce((acc, v) => acc * n + v, 0)] === w[length];
  const wrong: string[] = [];
  const judge = (code: readonly number[], typo: readonly number[], documented: boolean, what: string): void => {
    const missed = valid(typo);
    if (missed !== documented && wrong.length < 5) wrong.push(`${code.join(',')}: ${what} missed=${missed}`);
  };
  for (let p = 0; p < count; p++) {
    const code = [...payloadAt(p), checks[p] as number];
    const typo = [...code];
    for (let at = 0; at < code.length; at++) {
      const from = code[at] as number;
      for (let to = 0; to < n; to++) {
        if (to === from) continue;
        typo[at] = to;
        judge(code, typo, missesSubstitution(n, code.length - 1 - at, from, to), `${from}->${to} at ${at}`);
      }
      typo[at] = from;
      const next = code[at + 1];
      if (next === undefined || next === from) continue;
      [typo[at], typo[at + 1]] = [next, from];
      judge(code, typo, missesSwap(n, from, next), `swap at ${at}`);
      [typo[at], typo[at + 1]] = [from, next];
    }
  }
  return wrong;
};

describe('luhnModNCheck: what it catches (exhaustive)', () => {
  const ALL_N = Array.from({ length: 63 }, (_, i) => i + 2);

  it.each(ALL_N)(
    'N = %p, payloads of 1 and 2: misses exactly the 0 / N-1 swaps and, for odd N, the documented substitutions',
    (n) => {
      for (const length of [1, 2]) expect(survey(n, length)).toEqual([]);
    },
  );

  it.each([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16])('N = %p, payloads of 3: the same', (n) => {
    expect(survey(n, 3)).toEqual([]);
  });

  it('lets the documented examples through: 09 <-> 90 (N = 10), B <-> E before the check character (N = 7)', () => {
    expect(checkOf(DECIMAL, '09')).toBe(checkOf(DECIMAL, '90'));
    // N = 7: 1 <-> 4 in the doubled position gives the same check character.
    expect(checkOf('ABCDEFG', 'AB')).toBe(checkOf('ABCDEFG', 'AE'));
  });
});
