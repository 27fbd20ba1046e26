import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordedStreams } from '@codedispatch/postgres/testing';
import { main } from './sizing';
import { oneIn, percent } from './sizing-report';

const run = async (argv: readonly string[]): Promise<{ code: number; out: string; err: string }> => {
  const io = recordedStreams();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
};

type JsonRow = Record<string, unknown> & { length: number; alphabet: string; check_digit: string; area: string | null };
const json = (out: string): { load: unknown; config: string | null; rows: JsonRow[]; scaling: Record<string, unknown> } =>
  JSON.parse(out) as ReturnType<typeof json>;

describe('npm run sizing', () => {
  it('prints every length × alphabet × scheme, the default area first (6 digits, damm)', async () => {
    const { code, out, err } = await run([]);
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(/^Code sizing at 4,000 rides\/h per area, planned peak fill 50 % of the code space$/m);
    expect(out).toContain(
      'code_reuse_cooldown_s 3600 (4,000 codes cooling down), order_expire_s 1800 (at most 2,000 orders live)',
    );
    expect(out).toMatch(/^ +6 +decimal +damm +99,997 +6\.0 % +45,998 +1 in 10 +1 in 50 +1 in 10 +none$/m);
    expect(out).toMatch(/^ +4 +decimal +damm +998 +601 % +0 +1 in 10 +— +— +none$/m);
    expect(out).toMatch(
      /^ +6 +crockford +luhn_mod_n +33,554,430 +0\.02 % +16,773,215 +1 in 32 +1 in 17,000 +1 in 3,400 +0↔Z swap$/m,
    );
    expect(out).toMatch(/^ +4-8 +crockford +damm +n\/a: damm needs the decimal alphabet 0123456789/m);
    expect(out).toMatch(/^Scaling at 4,000 rides\/h: 14\.4 requests\/s, 3\.3 writes\/s$/m);
    expect(out).toMatch(/^ {2}connections +22 = 2 x \(DATABASE_POOL_SIZE 10 \+ 1 LISTEN\)/m);
  });

  it('--json: one object, a row per combination, n/a rows with their reason', async () => {
    const { code, out } = await run(['--json', '--length', '5,6', '--alphabet', 'decimal,crockford', '--check', 'damm,none']);
    expect(code).toBe(0);
    const doc = json(out);
    expect(doc.load).toEqual({ rides_per_hour: 4000, fill: 0.5 });
    expect(doc.config).toBeNull();
    expect(doc.rows.map((r) => `${r.alphabet} ${r.check_digit} ${r.length}`)).toEqual([
      'decimal damm 5',
      'decimal damm 6',
      'decimal none 5',
      'decimal none 6',
      'crockford damm 5',
      'crockford damm 6',
      'crockford none 5',
      'crockford none 6',
    ]);
    expect(doc.rows[1]).toEqual({
      area: null,
      length: 6,
      alphabet: 'decimal',
      characters: '0123456789',
      check_digit: 'damm',
      applicable: true,
      settings: {
        code_reuse_cooldown_s: 3600,
        order_expire_s: 1800,
        max_failed_attempts: 5,
        attempts_window_s: 600,
        forbid_trivial: true,
      },
      code_space: 99_997,
      code_space_saturated: false,
      cooling_codes: 4000,
      live_orders: 2000,
      taken_share: 6000 / 99_997,
      exhausted: false,
      peak_active_orders: 45_998,
      string_passes_check: 0.1,
      hit_one_guess: 2000 / 99_997,
      hit_within_limit: expect.closeTo(0.0961, 4) as unknown,
      typos: { checked: true, missed_swaps: [], missed_substitutions: [] },
    });
    expect(doc.rows[4]).toEqual({
      area: null,
      length: 5,
      alphabet: 'crockford',
      characters: '0123456789ABCDEFGHJKMNPQRSTVWXYZ',
      check_digit: 'damm',
      applicable: false,
      reason:
        'damm needs the decimal alphabet 0123456789, not "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; use verhoeff for other alphabets',
    });
    expect(doc.scaling).toMatchObject({ rides_per_hour: 4000, instances: 2, connections: 22 });
  });

  it('sizes with the options given: rate, fill, cooldown, expiry, attempt limit, a custom alphabet', async () => {
    const argv = ['--json', '--length', '6', '--alphabet', 'ABCDEFG', '--check', 'luhn_mod_n', '--fill', '0.8'];
    const more = ['--rides-per-hour', '400', '--cooldown-s', '600', '--order-expire-s', '900', '--max-failed-attempts', '3'];
    const { code, out } = await run([...argv, ...more, '--attempts-window-s', '60']);
    expect(code).toBe(0);
    const [row] = json(out).rows;
    // 7^5 payloads, less the repeats of the 7 characters that pass the check.
    expect(row).toMatchObject({
      alphabet: 'ABCDEFG',
      settings: { code_reuse_cooldown_s: 600, order_expire_s: 900, max_failed_attempts: 3, attempts_window_s: 60 },
      cooling_codes: (400 * 600) / 3600,
      live_orders: 100,
      string_passes_check: 1 / 7,
      typos: {
        missed_swaps: [['A', 'G']],
        missed_substitutions: [
          ['B', 'E'],
          ['C', 'F'],
          ['D', 'G'],
        ],
      },
    });
    expect(row?.code_space).toBeLessThanOrEqual(7 ** 5);
    expect(row?.code_space).toBeGreaterThan(7 ** 5 - 7);
  });

  it.each([['--help'], ['-h']])('%s prints the usage on stdout and exits 0', async (flag) => {
    const { code, out, err } = await run([flag]);
    expect(code).toBe(0);
    expect(out).toMatch(/^Usage: npm run sizing -- \[--length <list>\]/);
    expect(err).toBe('');
  });

  it.each([
    [['--length', '4,x'], '--length "x": expected integer 2..16, got "x"'],
    [['--length', '17'], '--length "17": expected integer 2..16, got 17'],
    [['--length', ','], '--length ",": expected a comma-separated list'],
    [
      ['--alphabet', 'decimall'],
      '--alphabet "decimall": not a preset (decimal, crockford), and as characters: character "d" not allowed',
    ],
    [['--alphabet', 'AB1A'], '--alphabet "AB1A": character "A" appears more than once'],
    [['--check', 'damm,crc'], '--check "crc": expected one of none, damm, verhoeff, luhn_mod_n'],
    [['--fill', '0'], '--fill "0": expected a share of the code space above 0 and at most 1'],
    [['--fill', '50%'], '--fill "50%": expected a share'],
    [['--rides-per-hour=-1'], '--rides-per-hour "-1": expected a number of orders an hour, 0 or more'],
    [['--cooldown-s', 'hour'], '--cooldown-s "hour": expected integer >= 0, got "hour"'],
    [
      ['--max-failed-attempts', '0', '--order-expire-s', '1.5'],
      '--order-expire-s "1.5": expected integer >= 1, got 1.5; --max-failed-attempts "0"',
    ],
    [['--config', 'sizing.yaml', '--check', 'none'], '--check cannot be used with --config'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['extra'], "Unexpected argument 'extra'"],
  ])('%j is refused with a message naming the option, the usage, exit 2', async (argv, message) => {
    const { code, out, err } = await run(argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    const [first, blank] = err.split('\n');
    expect(first).toMatch(/^sizing: /);
    expect(first).toContain(message);
    expect(blank).toBe('');
    expect(err).toContain('Usage: npm run sizing');
  });

  describe('--config', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'sizing-'));
      writeFileSync(
        join(dir, 'areas.yaml'),
        [
          'generator: {length: 6}',
          // The service's own sections are part of the same document: read past, not refused.
          'auth: {service_tokens: {ordercommit: token-1}}',
          'tracker: {kind: memory}',
          'areas:',
          '  svo_d: {code_reuse_cooldown_s: 1800}',
          '  zenit: {max_failed_attempts: 3, generator: {length: 5, alphabet: "0123456789ABCDEFGHJKMNPQRSTVWXYZ", check_digit: verhoeff}}',
        ].join('\n'),
      );
      writeFileSync(join(dir, 'bad.yaml'), 'areas: {svo_d: {generator: {alphabet: "AB", check_digit: damm}}}\n');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('sizes each area with its own generator and settings, and the rate in every area', async () => {
      const { code, out } = await run(['--config', join(dir, 'areas.yaml'), '--json', '--rides-per-hour', '1000']);
      expect(code).toBe(0);
      const doc = json(out);
      expect(doc.config).toBe(join(dir, 'areas.yaml'));
      expect(doc.rows).toMatchObject([
        { area: 'svo_d', length: 6, alphabet: 'decimal', check_digit: 'damm', code_space: 99_997, cooling_codes: 500 },
        { area: 'zenit', length: 5, alphabet: 'crockford', check_digit: 'verhoeff', settings: { max_failed_attempts: 3 } },
      ]);
      expect(doc.scaling).toMatchObject({ rides_per_hour: 2000 });
      const text = await run(['--config', join(dir, 'areas.yaml')]);
      expect(text.out).toMatch(/^svo_d +6 +decimal +damm +99,997 /m);
      expect(text.out).toContain('zenit: code_reuse_cooldown_s 3600');
    });

    it('refuses a document the service would refuse, with every issue, exit 1', async () => {
      const { code, out, err } = await run(['--config', join(dir, 'bad.yaml')]);
      expect(code).toBe(1);
      expect(out).toBe('');
      expect(err).toContain(`sizing: --config ${join(dir, 'bad.yaml')} is refused:`);
      expect(err).toContain('areas.svo_d.generator.check_digit: damm needs the decimal alphabet');
      expect((await run(['--config', join(dir, 'none.yaml')])).err).toContain('cannot read');
    });
  });
});

describe('sizing figures as printed', () => {
  it.each([
    [0.5, '1 in 2'],
    [0.67, '1 in 1.5'],
    [1 / 16_777, '1 in 17,000'],
    [1 / 34_359_738_367, '1 in 3.4e10'],
    [0, '0'],
  ])('oneIn(%p) is %p', (chance, text) => {
    expect(oneIn(chance)).toBe(text);
  });

  it.each([
    [6.012, '601 %'],
    [0.06, '6.0 %'],
    [0.006, '0.60 %'],
    [0.0000057, '< 0.01 %'],
    [Infinity, '—'],
  ])('percent(%p) is %p', (share, text) => {
    expect(percent(share)).toBe(text);
  });
});
