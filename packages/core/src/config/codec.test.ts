import fc from 'fast-check';
import * as E from 'fp-ts/Either';
import { ConfigDocument, decodeConfig, formatConfigIssues, splitConfigDocument, type ConfigIssue } from './codec';
import { AREA_DEFAULTS, DEFAULT_GENERATOR, type DispatchConfig } from './config';

/** SPEC §8's document as its YAML parses, without the service's own sections (auth, tracker, processing_queue). */
const specExample = () => ({
  processing_enabled: true,
  generator: { length: 6, alphabet: '0123456789', check_digit: 'damm', group: [3, 3], forbid_trivial: true },
  experiment: { enabled: true, areas: ['svo_d', 'zenit'], rollout_percent: 100, deny_users: [] },
  areas: {
    svo_d: {
      enabled: true,
      instructions: {
        ru: 'Назовите код водителю первой машины в очереди',
        en: 'Tell this code to the driver of the first car in the queue',
      },
      order_expire_s: 1800,
      processing_timeout_s: 60,
      driver_due_offset_s: 120,
      max_failed_attempts: 5,
      attempts_window_s: 600,
      code_reuse_cooldown_s: 3600,
      generator: { length: 5 },
    },
  },
});

const decoded = (input: unknown): DispatchConfig => {
  const result = decodeConfig(input);
  if (E.isLeft(result)) throw new Error(`expected a valid document:\n${formatConfigIssues(result.left)}`);
  return result.right;
};

const issuesOf = (input: unknown): readonly ConfigIssue[] => {
  const result = decodeConfig(input);
  if (E.isRight(result)) throw new Error('expected issues, the document decoded');
  return result.left;
};

const pathsOf = (input: unknown): string[] => issuesOf(input).map((i) => i.path);

describe('decodeConfig: SPEC §8 example', () => {
  it('decodes to the expected settings, the per-area generator resolved', () => {
    expect(decoded(specExample())).toEqual({
      processingEnabled: true,
      generator: DEFAULT_GENERATOR,
      experiment: { enabled: true, areas: ['svo_d', 'zenit'], rolloutPercent: 100, denyUsers: [] },
      areas: {
        svo_d: {
          areaId: 'svo_d',
          enabled: true,
          instructions: {
            ru: 'Назовите код водителю первой машины в очереди',
            en: 'Tell this code to the driver of the first car in the queue',
          },
          orderExpireS: 1800,
          processingTimeoutS: 60,
          driverDueOffsetS: 120,
          maxFailedAttempts: 5,
          attemptsWindowS: 600,
          codeReuseCooldownS: 3600,
          generator: { length: 5, alphabet: '0123456789', checkDigit: 'damm', group: [3, 2], forbidTrivial: true },
        },
      },
    });
  });
});

describe('decodeConfig: defaults', () => {
  it('an empty document is the defaults', () => {
    expect(decoded({})).toEqual({
      processingEnabled: true,
      generator: { length: 6, alphabet: '0123456789', checkDigit: 'damm', group: [3, 3], forbidTrivial: true },
      experiment: { enabled: true, areas: null, rolloutPercent: 100, denyUsers: [] },
      areas: {},
    });
  });

  it('an empty area takes the area defaults and the top-level generator', () => {
    const config = decoded({ generator: { length: 7 }, areas: { zenit: {} } });
    expect(config.areas['zenit']).toEqual({ areaId: 'zenit', instructions: {}, generator: config.generator, ...AREA_DEFAULTS });
  });

  it('null counts as left out where the setting may be absent', () => {
    const config = decoded({
      experiment: { areas: null },
      areas: { svo_d: { driver_due_offset_s: null } },
    });
    expect(config.experiment.areas).toBeNull();
    expect(config.areas['svo_d']?.driverDueOffsetS).toBeNull();
  });

  it('allows fractional rollout percentages and zero offsets', () => {
    const config = decoded({
      experiment: { rollout_percent: 12.5, deny_users: ['u1'] },
      areas: { a: { driver_due_offset_s: 0, code_reuse_cooldown_s: 0 } },
    });
    expect(config.experiment).toEqual({ enabled: true, areas: null, rolloutPercent: 12.5, denyUsers: ['u1'] });
    expect(config.areas['a']).toMatchObject({ driverDueOffsetS: 0, codeReuseCooldownS: 0 });
  });
});

describe('decodeConfig: generators', () => {
  it.each([
    [2, [2]],
    [4, [3, 1]],
    [5, [3, 2]],
    [6, [3, 3]],
    [7, [3, 3, 1]],
    [16, [3, 3, 3, 3, 3, 1]],
  ])('a top-level length %i without group is grouped by three: %j', (length, group) => {
    expect(decoded({ generator: { length } }).generator).toEqual({ ...DEFAULT_GENERATOR, length, group });
  });

  it('a per-area override is merged over the top-level generator', () => {
    const config = decoded({
      generator: {
        length: 8,
        alphabet: '0123456789ABCDEFGHJKMNPQRSTVWXYZ',
        check_digit: 'verhoeff',
        group: [4, 4],
        forbid_trivial: false,
      },
      areas: {
        same: {},
        longer: { generator: { length: 10 } },
        grouped: { generator: { length: 9, group: [5, 4] } },
        decimal: { generator: { alphabet: '9876543210', check_digit: 'damm' } },
        regroup: { generator: { group: [2, 2, 2, 2] } },
      },
    });
    const top = {
      length: 8,
      alphabet: '0123456789ABCDEFGHJKMNPQRSTVWXYZ',
      checkDigit: 'verhoeff',
      group: [4, 4],
      forbidTrivial: false,
    };
    expect(config.generator).toEqual(top);
    expect(config.areas['same']?.generator).toEqual(top);
    expect(config.areas['longer']?.generator).toEqual({ ...top, length: 10, group: [3, 3, 3, 1] });
    expect(config.areas['grouped']?.generator).toEqual({ ...top, length: 9, group: [5, 4] });
    expect(config.areas['decimal']?.generator).toEqual({ ...top, alphabet: '9876543210', checkDigit: 'damm' });
    expect(config.areas['regroup']?.generator).toEqual({ ...top, group: [2, 2, 2, 2] });
  });

  it('an area inherits a top-level length with its own grouping unless it overrides length', () => {
    const config = decoded({ generator: { length: 4 }, areas: { a: { generator: { forbid_trivial: false } } } });
    expect(config.areas['a']?.generator).toEqual({ ...DEFAULT_GENERATOR, length: 4, group: [3, 1], forbidTrivial: false });
  });

  it('damm needs a decimal alphabet, at the generator that sets it, and points letter alphabets to verhoeff', () => {
    expect(issuesOf({ generator: { alphabet: 'ABCDEFGHJK' } })).toEqual([
      {
        path: 'generator.check_digit',
        message: 'damm needs the decimal alphabet 0123456789, not "ABCDEFGHJK"; use verhoeff for other alphabets',
      },
    ]);
    expect(pathsOf({ areas: { a: { generator: { alphabet: '0123456789AB' } } } })).toEqual(['areas.a.generator.check_digit']);
    expect(
      decoded({ areas: { a: { generator: { alphabet: '0123456789AB', check_digit: 'luhn_mod_n' } } } }).areas['a']?.generator
        .checkDigit,
    ).toBe('luhn_mod_n');
  });

  it('luhn_mod_n takes any alphabet, two characters included', () => {
    expect(decoded({ generator: { alphabet: '01', check_digit: 'luhn_mod_n' } }).generator).toMatchObject({
      alphabet: '01',
      checkDigit: 'luhn_mod_n',
    });
    expect(decoded({ generator: { alphabet: 'ABCDEFG', check_digit: 'luhn_mod_n' } }).generator.checkDigit).toBe('luhn_mod_n');
  });

  it('verhoeff takes any alphabet of 3 or more characters', () => {
    expect(decoded({ generator: { alphabet: 'ABC', check_digit: 'verhoeff' } }).generator.checkDigit).toBe('verhoeff');
    expect(
      decoded({ areas: { a: { generator: { alphabet: '0123456789', check_digit: 'verhoeff' } } } }).areas['a']?.generator,
    ).toMatchObject({ alphabet: '0123456789', checkDigit: 'verhoeff' });
  });

  it('verhoeff refuses a two-character alphabet, at the generator that sets it', () => {
    expect(issuesOf({ generator: { alphabet: '01', check_digit: 'verhoeff' } })).toEqual([
      { path: 'generator.check_digit', message: 'verhoeff needs an alphabet of at least 3 characters, not "01"' },
    ]);
    expect(pathsOf({ generator: { check_digit: 'verhoeff' }, areas: { a: { generator: { alphabet: 'XY' } } } })).toEqual([
      'areas.a.generator.check_digit',
    ]);
  });

  it('groups must add up to the length', () => {
    expect(issuesOf({ generator: { length: 6, group: [3, 2] } })).toEqual([
      { path: 'generator.group', message: 'groups add up to 5, expected the length 6' },
    ]);
    expect(pathsOf({ generator: { group: [] } })).toEqual(['generator.group']);
    expect(pathsOf({ generator: { length: 4 }, areas: { a: { generator: { group: [3, 3] } } } })).toEqual([
      'areas.a.generator.group',
    ]);
  });

  it('an area is not blamed for a top-level mistake it inherits', () => {
    expect(
      pathsOf({
        generator: { length: 5, group: [3, 3] },
        areas: { a: {}, b: { generator: { forbid_trivial: false } }, c: { generator: { length: 5 } } },
      }),
    ).toEqual(['generator.group']);
  });

  it('checks an area generator on its own when the top-level one cannot be read', () => {
    expect(
      pathsOf({
        generator: { length: 99 },
        areas: { a: { generator: { length: 5, group: [3, 3] } }, b: { generator: { group: [9] } } },
      }),
    ).toEqual(['generator.length', 'areas.a.generator.group']);
    expect(pathsOf({ generator: 'six', areas: { a: { generator: { alphabet: 'ABCDEFGHJK', check_digit: 'damm' } } } })).toEqual([
      'generator',
      'areas.a.generator.check_digit',
    ]);
  });

  it.each([
    [{ length: 1 }, 'generator.length', 'expected integer 2..16, got 1'],
    [{ length: 17 }, 'generator.length', 'expected integer 2..16, got 17'],
    [{ length: 6.5 }, 'generator.length', 'expected integer 2..16, got 6.5'],
    [{ alphabet: '0' }, 'generator.alphabet', 'expected at least 2 characters, got 1'],
    [{ alphabet: '01231' }, 'generator.alphabet', 'character "1" appears more than once'],
    [{ alphabet: 'abcdef' }, 'generator.alphabet', 'character "a" not allowed: use digits 0-9 and capital letters A-Z'],
    [{ alphabet: '012 345' }, 'generator.alphabet', 'character " " not allowed: use digits 0-9 and capital letters A-Z'],
    [{ alphabet: 12 }, 'generator.alphabet', 'expected string, got 12'],
    [{ check_digit: 'crc' }, 'generator.check_digit', 'expected none | damm | verhoeff | luhn_mod_n, got "crc"'],
    [{ group: [3, 0, 3] }, 'generator.group[1]', 'expected integer >= 1, got 0'],
    [{ group: '3,3' }, 'generator.group', 'expected array of integers >= 1, got "3,3"'],
    [{ forbid_trivial: 'yes' }, 'generator.forbid_trivial', 'expected boolean, got "yes"'],
  ])('generator %j → %s: %s', (generator, path, message) => {
    expect(issuesOf({ generator, areas: {} })).toContainEqual({ path, message });
  });
});

describe('decodeConfig: every issue, with its path', () => {
  it('a document with four mistakes yields four issues', () => {
    const document = specExample();
    const broken = {
      ...document,
      generator: { length: 6, group: [3, 2] },
      experiment: { ...document.experiment, rolout_percent: 50 },
      areas: { svo_d: { ...document.areas.svo_d, generator: { length: 1 } } },
      processing_enabled: 'yes',
    };
    expect(issuesOf(broken)).toEqual([
      { path: 'processing_enabled', message: 'expected boolean, got "yes"' },
      { path: 'experiment.rolout_percent', message: 'unknown key' },
      { path: 'areas.svo_d.generator.length', message: 'expected integer 2..16, got 1' },
      { path: 'generator.group', message: 'groups add up to 5, expected the length 6' },
    ]);
  });

  it('collects every area setting out of range', () => {
    const issues = issuesOf({
      areas: {
        svo_d: {
          enabled: 'true',
          order_expire_s: 0,
          processing_timeout_s: -3,
          driver_due_offset_s: -1,
          max_failed_attempts: 0.5,
          attempts_window_s: 400_000_000,
          code_reuse_cooldown_s: '1h',
          instructions: { en: '', 'en US': 'x', ru: 5 },
        },
      },
    });
    expect(issues).toEqual([
      { path: 'areas.svo_d.enabled', message: 'expected boolean, got "true"' },
      { path: 'areas.svo_d.instructions.en', message: 'must not be empty' },
      { path: 'areas.svo_d.instructions["en US"]', message: 'invalid key: expected a locale tag such as en or pt-BR' },
      { path: 'areas.svo_d.instructions.ru', message: 'expected non-empty string, got 5' },
      { path: 'areas.svo_d.order_expire_s', message: 'expected integer >= 1, got 0' },
      { path: 'areas.svo_d.processing_timeout_s', message: 'expected integer >= 1, got -3' },
      { path: 'areas.svo_d.driver_due_offset_s', message: 'expected integer >= 0, got -1' },
      { path: 'areas.svo_d.max_failed_attempts', message: 'expected integer >= 1, got 0.5' },
      { path: 'areas.svo_d.attempts_window_s', message: 'expected integer <= 315360000, got 400000000' },
      { path: 'areas.svo_d.code_reuse_cooldown_s', message: 'expected integer >= 0, got "1h"' },
    ]);
  });

  it('reports unknown keys at every level instead of dropping them', () => {
    expect(
      issuesOf({
        procesing_enabled: false,
        generator: { lenght: 6 },
        areas: { svo_d: { order_expire: 60, generator: { grup: [6] } } },
        experiment: { rollout: 1 },
      }),
    ).toEqual(
      [
        'procesing_enabled',
        'generator.lenght',
        'experiment.rollout',
        'areas.svo_d.order_expire',
        'areas.svo_d.generator.grup',
      ].map((path) => ({ path, message: 'unknown key' })),
    );
  });

  it('checks area ids', () => {
    const long = 'x'.repeat(129);
    expect(
      issuesOf({
        areas: { '': {}, ' svo': {}, [long]: {}, 'a\nb': {}, ok: {} },
      }),
    ).toEqual([
      { path: 'areas[""]', message: expect.stringContaining('invalid key') },
      { path: 'areas[" svo"]', message: expect.stringContaining('invalid key') },
      { path: `areas.${long}`, message: expect.stringContaining('invalid key') },
      { path: 'areas["a\\nb"]', message: expect.stringContaining('invalid key') },
    ]);
  });

  it('experiment settings', () => {
    expect(issuesOf({ experiment: { enabled: 1, areas: ['svo_d', 7, ''], rollout_percent: 100.5, deny_users: [''] } })).toEqual([
      { path: 'experiment.enabled', message: 'expected boolean, got 1' },
      { path: 'experiment.areas[1]', message: 'expected area id, got 7' },
      { path: 'experiment.areas[2]', message: expect.stringContaining('expected an id of 1..128 characters') },
      { path: 'experiment.rollout_percent', message: 'expected number 0..100, got 100.5' },
      { path: 'experiment.deny_users[0]', message: 'must not be empty' },
    ]);
    expect(pathsOf({ experiment: { rollout_percent: Number.NaN, areas: 'svo_d' } })).toEqual([
      'experiment.areas',
      'experiment.rollout_percent',
    ]);
  });

  it('a document that is not an object', () => {
    for (const input of [null, undefined, 42, 'processing_enabled: true', [], [{}], true]) {
      expect(issuesOf(input)).toEqual([{ path: '', message: expect.stringMatching(/^expected an object, got /) }]);
    }
  });

  it('wrong types for whole sections', () => {
    expect(
      issuesOf({
        processing_enabled: 'no',
        generator: null,
        experiment: [],
        areas: ['svo_d'],
      }),
    ).toEqual([
      { path: 'processing_enabled', message: 'expected boolean, got "no"' },
      { path: 'generator', message: 'expected an object, got null' },
      { path: 'experiment', message: 'expected an object, got an array' },
      { path: 'areas', message: 'expected an object, got an array' },
    ]);
    expect(pathsOf({ areas: { svo_d: null, zenit: 5 } })).toEqual(['areas.svo_d', 'areas.zenit']);
  });
});

describe('decodeConfig: hostile input', () => {
  it('keeps __proto__ and constructor as ordinary keys and pollutes nothing', () => {
    const input: unknown = JSON.parse(
      '{"__proto__": {"polluted": true}, "constructor": {}, "areas": {"__proto__": {"order_expire_s": 5}, "constructor": {}, "toString": {}}}',
    );
    expect(pathsOf(input)).toEqual(['__proto__', 'constructor']);
    const config = decoded(
      JSON.parse('{"areas": {"__proto__": {"order_expire_s": 5}, "constructor": {}, "hasOwnProperty": {}}}'),
    );
    expect(Object.keys(config.areas)).toEqual(['__proto__', 'constructor', 'hasOwnProperty']);
    expect(Object.getOwnPropertyDescriptor(config.areas, '__proto__')?.value).toMatchObject({
      areaId: '__proto__',
      orderExpireS: 5,
    });
    expect(Object.getPrototypeOf(config.areas)).toBeNull();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(decoded({}).areas['constructor']).toBeUndefined();
    expect(decoded({ areas: { a: {} } }).areas['a']?.instructions['constructor']).toBeUndefined();
  });

  it('does not read keys through the prototype', () => {
    const inherited = Object.create({ processing_enabled: 'inherited', generator: { length: 1 } }) as object;
    expect(decoded(inherited).processingEnabled).toBe(true);
  });

  it('never throws on anything', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withNullPrototype: true,
          withObjectString: true,
          withBoxedValues: true,
          withSparseArray: true,
        }),
        (input) => {
          const result = decodeConfig(input);
          return E.isRight(result) || result.left.length > 0;
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws on JSON, and every issue names a place', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        const result = decodeConfig(JSON.parse(text));
        if (E.isRight(result)) return true;
        return result.left.length > 0 && result.left.every((i) => typeof i.path === 'string' && i.message.length > 0);
      }),
      { numRuns: 500 },
    );
  });

  it('reports symbols, functions and bigints without throwing', () => {
    expect(issuesOf({ processing_enabled: Symbol('x'), experiment: () => 1, generator: { length: 10n } })).toEqual([
      { path: 'processing_enabled', message: 'expected boolean, got a symbol' },
      { path: 'generator.length', message: 'expected integer 2..16, got 10n' },
      { path: 'experiment', message: 'expected an object, got a function' },
    ]);
  });

  it('survives a huge document of mistakes', () => {
    // More errors than a spread call can take as arguments.
    const areas = Object.fromEntries(Array.from({ length: 150_000 }, (_, i) => [`a${i}`, { enabled: 'x' }]));
    expect(issuesOf({ areas })).toHaveLength(150_000);
  });
});

describe('decodeConfig: valid-ish documents', () => {
  const junk = fc.oneof(fc.constant(null), fc.string({ maxLength: 3 }), fc.integer({ min: -5, max: 20 }), fc.boolean());
  const generator = fc.record(
    {
      length: fc.oneof(fc.integer({ min: 2, max: 16 }), junk),
      alphabet: fc.oneof(fc.constantFrom('0123456789', '9876543210', '0123456789ABCDEFGHJKMNPQRSTVWXYZ', 'ABCD', '0012'), junk),
      check_digit: fc.oneof(fc.constantFrom('none', 'damm', 'verhoeff', 'luhn_mod_n'), junk),
      group: fc.oneof(fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 5 }), junk),
      forbid_trivial: fc.oneof(fc.boolean(), junk),
    },
    { requiredKeys: [] },
  );
  const area = fc.record(
    {
      enabled: fc.oneof(fc.boolean(), junk),
      order_expire_s: fc.oneof(fc.integer({ min: 1, max: 7200 }), junk),
      driver_due_offset_s: fc.oneof(fc.integer({ min: 0, max: 600 }), junk),
      max_failed_attempts: fc.oneof(fc.integer({ min: 1, max: 10 }), junk),
      instructions: fc.oneof(fc.dictionary(fc.constantFrom('en', 'ru', 'pt-BR', 'e n'), fc.string({ maxLength: 5 })), junk),
      generator: fc.oneof(generator, junk),
    },
    { requiredKeys: [] },
  );
  const document = fc.record(
    {
      processing_enabled: fc.oneof(fc.boolean(), junk),
      generator: fc.oneof(generator, junk),
      experiment: fc.record(
        {
          enabled: fc.boolean(),
          areas: fc.oneof(fc.array(fc.constantFrom('svo_d', 'zenit', '')), fc.constant(null)),
          rollout_percent: fc.oneof(fc.double({ min: -1, max: 101 }), junk),
        },
        { requiredKeys: [] },
      ),
      areas: fc.dictionary(fc.constantFrom('svo_d', 'zenit', 'pulkovo', ' bad'), area, { maxKeys: 3 }),
      unknown_key: fc.constant(1),
    },
    { requiredKeys: [] },
  );

  it('either decodes to consistent settings or lists issues under known sections', () => {
    const sections = /^(processing_enabled|generator|experiment|areas|unknown_key)(\.|\[|$)/;
    fc.assert(
      fc.property(document, (input) => {
        const result = decodeConfig(input);
        if (E.isLeft(result)) {
          expect(result.left.length).toBeGreaterThan(0);
          for (const issue of result.left) expect(issue.path).toMatch(sections);
          expect(new Set(result.left.map((i) => `${i.path}: ${i.message}`)).size).toBe(result.left.length);
          return;
        }
        const config = result.right;
        for (const g of [config.generator, ...Object.values(config.areas).map((a) => a.generator)]) {
          expect(g.group.reduce((a, b) => a + b, 0)).toBe(g.length);
          if (g.checkDigit === 'damm') expect([...g.alphabet].sort().join('')).toBe('0123456789');
        }
        for (const [id, a] of Object.entries(config.areas)) expect(a.areaId).toBe(id);
      }),
      { numRuns: 1000 },
    );
  });

  it("the document codec's guard agrees with its decoder", () => {
    fc.assert(
      fc.property(document, (input) => ConfigDocument.is(input) === E.isRight(ConfigDocument.decode(input))),
      { numRuns: 500 },
    );
    expect(ConfigDocument.is(specExample())).toBe(true);
    expect(ConfigDocument.is({ generator: { length: 1 } })).toBe(false);
  });
});

describe('formatConfigIssues', () => {
  it('prints one line per issue', () => {
    expect(formatConfigIssues(issuesOf({ generator: { length: 1 }, areas: { a: { enabled: 1 } } }))).toBe(
      'generator.length: expected integer 2..16, got 1\nareas.a.enabled: expected boolean, got 1',
    );
    expect(formatConfigIssues(issuesOf(null))).toBe('(document): expected an object, got null');
    expect(formatConfigIssues([])).toBe('');
  });
});

describe('splitConfigDocument: the domain part of the service document', () => {
  const serviceDocument = () => ({
    generator: { length: 5 },
    experiment: { rollout_percent: 50, provider: { kind: 'ofrep', url: 'http://flags:8016' } },
    areas: { svo_d: {} },
    auth: { service_tokens: { ordercommit: 'token' } },
    tracker: { kind: 'memory' },
    processing_queue: { sink: 'embedded' },
  });

  it('the service sections are not the domain: decodeConfig alone calls them unknown', () => {
    expect(pathsOf(serviceDocument())).toEqual(['auth', 'tracker', 'processing_queue', 'experiment.provider']);
  });

  it('cuts out auth, tracker, processing_queue and experiment.provider, and the rest decodes', () => {
    const { domain, host } = splitConfigDocument(serviceDocument());
    expect(host).toEqual({
      auth: { service_tokens: { ordercommit: 'token' } },
      tracker: { kind: 'memory' },
      processing_queue: { sink: 'embedded' },
      experiment: { provider: { kind: 'ofrep', url: 'http://flags:8016' } },
    });
    const config = decoded(domain);
    expect(config.experiment.rolloutPercent).toBe(50);
    expect(config.areas['svo_d']?.generator.length).toBe(5);
  });

  it('leaves what is not an object to the decoder, and unknown keys in the domain part', () => {
    expect(splitConfigDocument(null)).toEqual({ domain: null, host: {} });
    expect(pathsOf(splitConfigDocument({ trackr: {} }).domain)).toEqual(['trackr']);
  });
});
