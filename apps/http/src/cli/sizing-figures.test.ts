import { AREA_DEFAULTS, DEFAULT_GENERATOR, type GeneratorSettings } from '@codedispatch/core';
import { chanceOfAHit, scaling, sizeArea, typoCover, type AreaPolicy } from './sizing-figures';

const generator = (over: Partial<GeneratorSettings>): GeneratorSettings => ({ ...DEFAULT_GENERATOR, ...over });
const area = (over: Partial<GeneratorSettings>, policy: Partial<AreaPolicy> = {}): AreaPolicy => ({
  ...AREA_DEFAULTS,
  generator: generator(over),
  ...policy,
});
const LOAD = { ridesPerHour: 4000, fill: 0.5 };
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

describe('sizeArea: the code space, by hand', () => {
  it('6 decimal digits with damm: 10^5 payloads less the 3 trivial codes that pass the check', () => {
    // With the Damm table, 000000 (row 0 has 0 at 0), 555555 (0 -> 9 -> 3 -> 8 -> 1 -> 5 -> 0) and
    // 999999 (0 -> 2 -> 9 -> 0, twice) end on 0; no other run or repeat does.
    expect(sizeArea(area({}), LOAD).codeSpace).toBe(100_000 - 3);
  });

  it('4 decimal digits without a check: 10^4 less 10 repeats, 7 ascending and 7 descending runs', () => {
    expect(sizeArea(area({ length: 4, checkDigit: 'none' }), LOAD).codeSpace).toBe(10_000 - 10 - 7 - 7);
  });

  it('4 decimal digits with damm: 10^3 less 0000 and 1234 (0 -> 3 -> 5 -> 4 -> 0)', () => {
    expect(sizeArea(area({ length: 4 }), LOAD).codeSpace).toBe(1_000 - 2);
  });

  it('Crockford base32 without a check: 32^4 less the 32 repeats (runs are decimal only)', () => {
    expect(sizeArea(area({ length: 4, alphabet: CROCKFORD, checkDigit: 'none' }), LOAD).codeSpace).toBe(32 ** 4 - 32);
  });

  it('saturates beyond 2^53, as the core does, and says so', () => {
    const f = sizeArea(area({ length: 16, alphabet: CROCKFORD, checkDigit: 'none' }), LOAD);
    expect(f.codeSpace).toBe(Number.MAX_SAFE_INTEGER);
    expect(f.saturated).toBe(true);
    expect(sizeArea(area({}), LOAD).saturated).toBe(false);
  });
});

describe('sizeArea: fill and rate', () => {
  it('takes rate × cooldown codes cooling down and rate × order_expire_s orders live, at most', () => {
    const f = sizeArea(area({}), LOAD);
    expect(f.coolingCodes).toBe(4000);
    expect(f.liveOrders).toBe(2000);
    expect(f.takenShare).toBeCloseTo(6000 / 99_997, 12);
  });

  it('holds fill × code space less the cooling codes at peak: 49,998.5 - 4,000 -> 45,998', () => {
    expect(sizeArea(area({}), LOAD).peakActiveOrders).toBe(45_998);
    expect(sizeArea(area({}), { ...LOAD, fill: 1 }).peakActiveOrders).toBe(95_997);
  });

  it('holds nothing when the cooldown alone takes more than the fill', () => {
    // 5 digits with damm: 9,995 codes; a fifth is 1,999, below the 4,000 cooling.
    const f = sizeArea(area({ length: 5 }), { ...LOAD, fill: 0.2 });
    expect(f.codeSpace).toBe(9_995);
    expect(f.peakActiveOrders).toBe(0);
  });

  it('follows the cooldown: none leaves the live orders only', () => {
    const f = sizeArea(area({}, { codeReuseCooldownS: 0 }), LOAD);
    expect(f.coolingCodes).toBe(0);
    expect(f.peakActiveOrders).toBe(49_998);
  });

  it('reports a space the rate exhausts: 4 digits with damm at 4,000 rides/h', () => {
    const f = sizeArea(area({ length: 4 }), LOAD);
    expect(f.takenShare).toBeCloseTo(6000 / 998, 12);
    expect(f.peakActiveOrders).toBe(0);
    // The cooling codes alone are more than the space: no order can be live.
    expect(f.hitOneGuess).toBe(0);
  });
});

describe('sizeArea: guessing', () => {
  it('one valid guess hits with live ÷ code space', () => {
    expect(sizeArea(area({}), LOAD).hitOneGuess).toBeCloseTo(2000 / 99_997, 15);
  });

  it('max_failed_attempts distinct guesses: 1 - product of (S - live - i) / (S - i)', () => {
    const misses = [0, 1, 2, 3, 4].reduce((p, i) => (p * (99_997 - 2000 - i)) / (99_997 - i), 1);
    expect(sizeArea(area({}), LOAD).hitWithinLimit).toBeCloseTo(1 - misses, 12);
    expect(1 - misses).toBeCloseTo(0.0961, 4);
    const once = sizeArea(area({}, { maxFailedAttempts: 1 }), LOAD);
    expect(once.hitWithinLimit).toBeCloseTo(once.hitOneGuess, 15);
  });

  it('chanceOfAHit: 3 draws from 10 with 2 winners, 1 - 8/10 × 7/9 × 6/8', () => {
    expect(chanceOfAHit(10, 2, 3)).toBeCloseTo(1 - (8 / 10) * (7 / 9) * (6 / 8), 15);
    expect(chanceOfAHit(10, 0, 3)).toBe(0);
    expect(chanceOfAHit(10, 8, 3)).toBe(1);
  });

  it('keeps precision for tiny chances', () => {
    expect(chanceOfAHit(Number.MAX_SAFE_INTEGER, 1, 5)).toBeCloseTo(5 / Number.MAX_SAFE_INTEGER, 30);
  });

  it('lets 1 random string in N pass a check character, every string without one', () => {
    expect(sizeArea(area({}), LOAD).stringPassesCheck).toBe(0.1);
    expect(sizeArea(area({ alphabet: CROCKFORD, checkDigit: 'verhoeff' }), LOAD).stringPassesCheck).toBe(1 / 32);
    expect(sizeArea(area({ checkDigit: 'none' }), LOAD).stringPassesCheck).toBe(1);
  });
});

describe('typoCover: what the core tests establish', () => {
  it.each(['damm', 'verhoeff'] as const)('%s misses no substitution and no adjacent swap', (checkDigit) => {
    expect(typoCover(generator({ checkDigit }))).toEqual({ checked: true, missedSwaps: [], missedSubstitutions: [] });
  });

  it('luhn_mod_n over an even alphabet misses the swap of its first and last characters only', () => {
    expect(typoCover(generator({ checkDigit: 'luhn_mod_n' }))).toEqual({
      checked: true,
      missedSwaps: [['0', '9']],
      missedSubstitutions: [],
    });
    expect(typoCover(generator({ checkDigit: 'luhn_mod_n', alphabet: CROCKFORD })).missedSwaps).toEqual([['0', 'Z']]);
  });

  it('luhn_mod_n over N = 7 also misses 1 <-> 4, 2 <-> 5, 3 <-> 6 (B <-> E, C <-> F, D <-> G)', () => {
    expect(typoCover(generator({ checkDigit: 'luhn_mod_n', alphabet: 'ABCDEFG' }))).toEqual({
      checked: true,
      missedSwaps: [['A', 'G']],
      missedSubstitutions: [
        ['B', 'E'],
        ['C', 'F'],
        ['D', 'G'],
      ],
    });
  });

  it('none checks nothing', () => {
    expect(typoCover(generator({ checkDigit: 'none' })).checked).toBe(false);
  });
});

describe('scaling', () => {
  it('turns 4,000 rides/h into 13 requests and 3 writes a ride, and 2 instances at least', () => {
    const s = scaling(4000);
    expect(s.requestsPerS).toBeCloseTo((4000 * 13) / 3600, 12);
    expect(s.writesPerS).toBeCloseTo((4000 * 3) / 3600, 12);
    expect(s.instances).toBe(2);
    expect(s.connections).toBe(22);
  });

  it('adds an instance per 250 req/s of the mix', () => {
    // 1,200,000 rides/h = 4,333 req/s -> 18 instances, each with 10 + 1 connections.
    expect(scaling(1_200_000)).toMatchObject({ instances: 18, connections: 198 });
  });
});
