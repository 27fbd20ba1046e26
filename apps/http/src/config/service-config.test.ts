import fc from 'fast-check';
import * as E from 'fp-ts/Either';
import { decodeConfig, formatConfigIssues, splitConfigDocument, type ConfigIssue, type DispatchConfig } from '@codedispatch/core';
import { decodeServiceConfig, type ServiceConfig } from './service-config';

/** SPEC §8's document as its YAML parses, placeholders replaced by real values. */
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
  auth: {
    service_tokens: { ordercommit: 'ordercommit-token-1', processing: 'processing-token-2' },
    driver_jwt: { hs256_secret: 'a-secret-of-at-least-32-bytes-0123456789' },
    gateway_token: 'gateway-token-3',
  },
  tracker: { kind: 'http', url: 'http://127.0.0.1:9100', timeout_ms: 300 },
  processing_queue: {
    sink: 'webhook',
    webhook_url: 'http://127.0.0.1:9200/events',
    webhook_secret: 'webhook-secret',
    amqp_url: 'amqp://guest:guest@127.0.0.1:5672',
    amqp_exchange: 'codedispatch',
  },
});

const decoded = (input: unknown): ServiceConfig => {
  const result = decodeServiceConfig(input);
  if (E.isLeft(result)) throw new Error(`expected a valid document:\n${formatConfigIssues(result.left)}`);
  return result.right;
};

const issuesOf = (input: unknown): readonly ConfigIssue[] => {
  const result = decodeServiceConfig(input);
  if (E.isRight(result)) throw new Error('expected issues, the document decoded');
  return result.left;
};

const pathsOf = (input: unknown): string[] => issuesOf(input).map((i) => i.path);

/** What the core makes of the domain's part of `input`: the service adds its sections beside it. */
const domainOf = (input: unknown): DispatchConfig => {
  const result = decodeConfig(splitConfigDocument(input).domain);
  if (E.isLeft(result)) throw new Error(formatConfigIssues(result.left));
  return result.right;
};

describe('decodeServiceConfig: SPEC §8 example', () => {
  it("decodes to the core's reading of the domain sections and the service's own settings", () => {
    const config = decoded(specExample());
    expect(config).toEqual({
      ...domainOf(specExample()),
      experiment: { ...domainOf(specExample()).experiment, provider: null },
      auth: {
        serviceTokens: { ordercommit: 'ordercommit-token-1', processing: 'processing-token-2' },
        driverJwt: {
          hs256Secret: 'a-secret-of-at-least-32-bytes-0123456789',
          jwksUrl: null,
          audience: null,
          issuer: null,
          maxTtlS: 86_400,
        },
        gatewayToken: 'gateway-token-3',
        operatorTokens: {},
      },
      tracker: { kind: 'http', url: 'http://127.0.0.1:9100', timeoutMs: 300 },
      processingQueue: {
        sink: 'webhook',
        webhookUrl: 'http://127.0.0.1:9200/events',
        webhookSecret: 'webhook-secret',
        amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
        amqpExchange: 'codedispatch',
        maxAttempts: 25,
      },
    });
    expect(config.areas['svo_d']?.generator.group).toEqual([3, 2]);
  });
});

describe('decodeServiceConfig: defaults', () => {
  it('an empty document is the defaults', () => {
    expect(decoded({})).toEqual({
      ...domainOf({}),
      experiment: { ...domainOf({}).experiment, provider: null },
      auth: { serviceTokens: {}, driverJwt: null, gatewayToken: null, operatorTokens: {} },
      tracker: { kind: 'memory' },
      processingQueue: {
        sink: 'embedded',
        webhookUrl: null,
        webhookSecret: null,
        amqpUrl: null,
        amqpExchange: 'codedispatch',
        maxAttempts: 25,
      },
    });
  });

  it('tracker http defaults timeout_ms to 300; amqp defaults the exchange', () => {
    const config = decoded({
      tracker: { kind: 'http', url: 'https://tracker.internal/base' },
      processing_queue: { sink: 'amqp', amqp_url: 'amqps://user:pw@rabbit:5671/vhost', max_attempts: 3 },
    });
    expect(config.tracker).toEqual({ kind: 'http', url: 'https://tracker.internal/base', timeoutMs: 300 });
    expect(config.processingQueue).toMatchObject({
      sink: 'amqp',
      amqpUrl: 'amqps://user:pw@rabbit:5671/vhost',
      amqpExchange: 'codedispatch',
      maxAttempts: 3,
    });
  });

  it('null counts as left out where the setting may be absent', () => {
    const config = decoded({
      experiment: { areas: null },
      areas: { svo_d: { driver_due_offset_s: null } },
      auth: { driver_jwt: null, gateway_token: null },
      processing_queue: { sink: 'embedded', webhook_url: null, webhook_secret: null, amqp_url: null },
    });
    expect(config.experiment.areas).toBeNull();
    expect(config.areas['svo_d']?.driverDueOffsetS).toBeNull();
    expect(config.auth).toEqual({ serviceTokens: {}, driverJwt: null, gatewayToken: null, operatorTokens: {} });
  });

  it('driver_jwt by JWKS with audience and issuer', () => {
    const config = decoded({
      auth: {
        driver_jwt: { jwks_url: 'https://id.example/.well-known/jwks.json', audience: 'taximeter', issuer: 'https://id.example' },
      },
    });
    expect(config.auth.driverJwt).toEqual({
      hs256Secret: null,
      jwksUrl: 'https://id.example/.well-known/jwks.json',
      audience: 'taximeter',
      issuer: 'https://id.example',
      maxTtlS: 86_400,
    });
  });
});

describe('decodeServiceConfig: every issue, with its path', () => {
  it('a document with five mistakes yields five issues', () => {
    const document = specExample();
    const broken = {
      ...document,
      generator: { length: 6, group: [3, 2] },
      experiment: { ...document.experiment, rolout_percent: 50 },
      areas: { svo_d: { ...document.areas.svo_d, generator: { length: 1 } } },
      auth: { ...document.auth, service_tokens: { ...document.auth.service_tokens, ordercommit: '' } },
      processing_queue: { sink: 'webhook', webhook_secret: 's' },
    };
    expect(issuesOf(broken)).toEqual([
      { path: 'experiment.rolout_percent', message: 'unknown key' },
      { path: 'areas.svo_d.generator.length', message: 'expected integer 2..16, got 1' },
      { path: 'generator.group', message: 'groups add up to 5, expected the length 6' },
      { path: 'auth.service_tokens.ordercommit', message: 'must not be empty' },
      { path: 'processing_queue.webhook_url', message: 'required when sink is webhook' },
    ]);
  });

  it('reports unknown keys at every level instead of dropping them', () => {
    expect(
      issuesOf({
        procesing_enabled: false,
        generator: { lenght: 6 },
        areas: { svo_d: { order_expire: 60, generator: { grup: [6] } } },
        auth: { service_token: {}, driver_jwt: { hs256_secret: 'a-secret-of-at-least-32-bytes-0123456789', aud: 'x' } },
        tracker: { kind: 'memory', timeout: 1 },
        processing_queue: { sink: 'embedded', max_attempt: 1 },
        experiment: { rollout: 1 },
      }),
    ).toEqual(
      [
        'procesing_enabled',
        'generator.lenght',
        'experiment.rollout',
        'areas.svo_d.order_expire',
        'areas.svo_d.generator.grup',
        'auth.service_token',
        'auth.driver_jwt.aud',
        'tracker.timeout',
        'processing_queue.max_attempt',
      ].map((path) => ({ path, message: 'unknown key' })),
    );
  });

  it('checks area ids and caller names', () => {
    const long = 'x'.repeat(129);
    expect(
      issuesOf({
        areas: { '': {}, ' svo': {}, [long]: {}, 'a\nb': {}, ok: {} },
        auth: { service_tokens: { 'bad\u0000': 'token-1' } },
      }),
    ).toEqual([
      { path: 'areas[""]', message: expect.stringContaining('invalid key') },
      { path: 'areas[" svo"]', message: expect.stringContaining('invalid key') },
      { path: `areas.${long}`, message: expect.stringContaining('invalid key') },
      { path: 'areas["a\\nb"]', message: expect.stringContaining('invalid key') },
      { path: 'auth.service_tokens["bad\\u0000"]', message: expect.stringContaining('invalid key') },
    ]);
  });

  it('auth: tokens, secrets and the JWT source', () => {
    expect(issuesOf({ auth: { service_tokens: { a: 'tok en', b: 'token\n', c: 5 }, gateway_token: '' } })).toEqual([
      { path: 'auth.service_tokens.a', message: 'expected visible ASCII characters only (no spaces or line breaks)' },
      { path: 'auth.service_tokens.b', message: 'expected visible ASCII characters only (no spaces or line breaks)' },
      { path: 'auth.service_tokens.c', message: 'expected non-empty string, got a number (value not shown)' },
      { path: 'auth.gateway_token', message: 'must not be empty' },
    ]);
    expect(issuesOf({ auth: { operator_tokens: { alice: 'tok en', 'bad\u0000': 'token-2' } } })).toEqual([
      { path: 'auth.operator_tokens.alice', message: 'expected visible ASCII characters only (no spaces or line breaks)' },
      { path: 'auth.operator_tokens["bad\\u0000"]', message: expect.stringContaining('invalid key') },
    ]);
    expect(decoded({ auth: { operator_tokens: { alice: 'op-token-1' } } }).auth.operatorTokens).toEqual({ alice: 'op-token-1' });
    const secret32 = 'x'.repeat(32);
    expect(decoded({ auth: { driver_jwt: { hs256_secret: secret32 } } }).auth.driverJwt?.hs256Secret).toBe(secret32);
    expect(issuesOf({ auth: { driver_jwt: { hs256_secret: 'x'.repeat(31) } } })).toEqual([
      { path: 'auth.driver_jwt.hs256_secret', message: 'expected at least 32 bytes, got 31' },
    ]);
    // Bytes, not characters: 16 Cyrillic letters are 32 bytes of UTF-8.
    expect(decoded({ auth: { driver_jwt: { hs256_secret: 'ж'.repeat(16) } } }).auth.driverJwt?.hs256Secret).toBe('ж'.repeat(16));
    expect(issuesOf({ auth: { driver_jwt: { hs256_secret: '' } } })).toEqual([
      { path: 'auth.driver_jwt.hs256_secret', message: 'expected at least 32 bytes, got 0' },
    ]);
    const exactlyOne = [{ path: 'auth.driver_jwt', message: 'expected exactly one of hs256_secret and jwks_url' }];
    expect(issuesOf({ auth: { driver_jwt: {} } })).toEqual(exactlyOne);
    expect(issuesOf({ auth: { driver_jwt: { audience: 'a' } } })).toEqual(exactlyOne);
    expect(
      issuesOf({
        auth: { driver_jwt: { hs256_secret: 'a-secret-of-at-least-32-bytes-0123456789', jwks_url: 'https://id/jwks' } },
      }),
    ).toEqual(exactlyOne);
    expect(issuesOf({ auth: { driver_jwt: { jwks_url: 'ftp://id/jwks', issuer: '' } } })).toEqual([
      { path: 'auth.driver_jwt.jwks_url', message: 'expected http(s) URL, got "ftp://id/jwks"' },
      { path: 'auth.driver_jwt.issuer', message: 'must not be empty' },
    ]);
    expect(pathsOf({ auth: [] })).toEqual(['auth']);
    expect(issuesOf({ auth: { driver_jwt: 'secret' } })).toEqual([
      { path: 'auth.driver_jwt', message: 'expected an object, got "secret"' },
    ]);
  });

  it('never shows the value of a secret or the credentials of a URL in an issue', () => {
    const issues = issuesOf({
      auth: {
        service_tokens: { ordercommit: 73914820, processing: 'has a space 5551212' },
        driver_jwt: { hs256_secret: 4815162342 },
        gateway_token: ['gw-0042'],
      },
      processing_queue: { sink: 'amqp', amqp_url: 'amqps://guest:pw-771199@rabbit:99999', webhook_secret: 12345678 },
      tracker: { kind: 'http', url: 'http://user:tr-5566@tracker host' },
    });
    const text = JSON.stringify(issues);
    for (const secret of ['73914820', '5551212', '4815162342', 'gw-0042', 'pw-771199', '12345678', 'tr-5566']) {
      expect(text).not.toContain(secret);
    }
    expect(issues.map((i) => i.path)).toEqual([
      'auth.service_tokens.ordercommit',
      'auth.service_tokens.processing',
      'auth.driver_jwt.hs256_secret',
      'auth.gateway_token',
      'tracker.url',
      'processing_queue.webhook_secret',
      'processing_queue.amqp_url',
    ]);
    expect(issues[2]).toEqual({
      path: 'auth.driver_jwt.hs256_secret',
      message: 'expected string, got a number (value not shown)',
    });
    expect(issues[6]?.message).toBe('expected amqp(s) URL, got "amqps://***@rabbit:99999"');
  });

  it('experiment.provider: an OFREP flag service, url required, timeout 500 ms by default', () => {
    expect(decoded({ experiment: { provider: { kind: 'ofrep', url: 'http://flags:8016' } } }).experiment.provider).toEqual({
      kind: 'ofrep',
      url: 'http://flags:8016',
      timeoutMs: 500,
    });
    expect(decoded({ experiment: { provider: null } }).experiment.provider).toBeNull();
    expect(issuesOf({ experiment: { provider: { kind: 'flagd', timeout_ms: 0 } } })).toEqual([
      { path: 'experiment.provider.kind', message: 'expected ofrep, got "flagd"' },
      { path: 'experiment.provider.url', message: 'required' },
      { path: 'experiment.provider.timeout_ms', message: 'expected integer 1..10000, got 0' },
    ]);
  });

  it('driver tokens live at most max_ttl_s (default 24 h)', () => {
    const secret = 'x'.repeat(32);
    expect(decoded({ auth: { driver_jwt: { hs256_secret: secret } } }).auth.driverJwt?.maxTtlS).toBe(86_400);
    expect(decoded({ auth: { driver_jwt: { hs256_secret: secret, max_ttl_s: 600 } } }).auth.driverJwt?.maxTtlS).toBe(600);
    expect(issuesOf({ auth: { driver_jwt: { hs256_secret: secret, max_ttl_s: 0 } } })).toEqual([
      { path: 'auth.driver_jwt.max_ttl_s', message: 'expected integer >= 1, got 0' },
    ]);
  });

  it('accepts tokens shared between callers and the gateway, as in the spec example', () => {
    const config = decoded({ auth: { service_tokens: { a: 'shared-token', b: 'shared-token' }, gateway_token: 'shared-token' } });
    expect(config.auth.serviceTokens).toEqual({ a: 'shared-token', b: 'shared-token' });
    expect(config.auth.gatewayToken).toBe('shared-token');
  });

  it('tracker', () => {
    expect(issuesOf({ tracker: { kind: 'http' } })).toEqual([{ path: 'tracker.url', message: 'required when kind is http' }]);
    expect(issuesOf({ tracker: {} })).toEqual([{ path: 'tracker.kind', message: 'required' }]);
    expect(issuesOf({ tracker: { kind: 'grpc', url: 'tracker:9100', timeout_ms: 0 } })).toEqual([
      { path: 'tracker.kind', message: 'expected memory | http, got "grpc"' },
      { path: 'tracker.url', message: 'expected http(s) URL, got "tracker:9100"' },
      { path: 'tracker.timeout_ms', message: 'expected integer 1..10000, got 0' },
    ]);
    expect(pathsOf({ tracker: { kind: 'http', url: 'http://t', timeout_ms: 10_001 } })).toEqual(['tracker.timeout_ms']);
    // The url of a memory tracker is not used, but it is still checked.
    expect(decoded({ tracker: { kind: 'memory', url: 'http://t:1' } }).tracker).toEqual({ kind: 'memory' });
  });

  it('processing queue', () => {
    expect(issuesOf({ processing_queue: { sink: 'webhook' } })).toEqual([
      { path: 'processing_queue.webhook_url', message: 'required when sink is webhook' },
      { path: 'processing_queue.webhook_secret', message: 'required when sink is webhook' },
    ]);
    expect(issuesOf({ processing_queue: { sink: 'amqp', amqp_url: null } })).toEqual([
      { path: 'processing_queue.amqp_url', message: 'required when sink is amqp' },
    ]);
    expect(
      issuesOf({ processing_queue: { sink: 'kafka', amqp_url: 'http://rabbit', amqp_exchange: '', max_attempts: 0 } }),
    ).toEqual([
      { path: 'processing_queue.sink', message: 'expected webhook | amqp | embedded, got "kafka"' },
      { path: 'processing_queue.amqp_url', message: 'expected amqp(s) URL, got "http://rabbit"' },
      { path: 'processing_queue.amqp_exchange', message: 'must not be empty' },
      { path: 'processing_queue.max_attempts', message: 'expected integer >= 1, got 0' },
    ]);
  });

  it.each([
    ['http://127.0.0.1:9100', true],
    ['https://tracker.internal', true],
    ['HTTP://Tracker.Internal:8080/v1?x=1#f', true],
    ['http://tracker_svc:80/', true],
    ['http://user:pw@host/path', true],
    ['http://[::1]:9100/', true],
    ['http://host.:1', true],
    ['http://', false],
    ['http://:80', false],
    ['http://host:0', false],
    ['http://host:65536', false],
    ['http://host:port', false],
    ['http://ho st', false],
    ['http://host/pa th', false],
    ['http://host\n', false],
    ['//host', false],
    ['mailto:x@y', false],
    // As fetch reads it (WHATWG): the user is "a@b", the host c.
    ['http://a@b@c', true],
  ])('webhook_url %j valid: %s', (url, valid) => {
    expect(E.isRight(decodeServiceConfig({ processing_queue: { sink: 'webhook', webhook_url: url, webhook_secret: 's' } }))).toBe(
      valid,
    );
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
        tracker: 'memory',
        processing_queue: 1,
      }),
    ).toEqual([
      { path: 'processing_enabled', message: 'expected boolean, got "no"' },
      { path: 'generator', message: 'expected an object, got null' },
      { path: 'experiment', message: 'expected an object, got an array' },
      { path: 'areas', message: 'expected an object, got an array' },
      { path: 'tracker', message: 'expected an object, got "memory"' },
      { path: 'processing_queue', message: 'expected an object, got 1' },
    ]);
    expect(pathsOf({ areas: { svo_d: null, zenit: 5 } })).toEqual(['areas.svo_d', 'areas.zenit']);
  });
});

// The domain's sections are checked for hostile input by the core's own tests; these check the cut between the two parts.
describe('decodeServiceConfig: hostile input', () => {
  it('keeps __proto__ an ordinary key in the service sections and the cut, and pollutes nothing', () => {
    const config = decoded(JSON.parse('{"auth": {"service_tokens": {"__proto__": "tok"}}, "experiment": {"provider": null}}'));
    expect(Object.getOwnPropertyDescriptor(config.auth.serviceTokens, '__proto__')?.value).toBe('tok');
    expect(pathsOf(JSON.parse('{"experiment": {"__proto__": {}, "provider": null}, "__proto__": {"auth": {}}}'))).toEqual([
      '__proto__',
      'experiment.__proto__',
    ]);
    expect(({} as Record<string, unknown>)['auth']).toBeUndefined();
    expect(decoded(Object.create({ auth: { gateway_token: '' } }) as object).auth.gatewayToken).toBeNull();
  });

  it('never throws, on anything or on JSON, and every issue names a place', () => {
    const anything = fc.anything({ withBigInt: true, withMap: true, withNullPrototype: true, withBoxedValues: true });
    const sections = fc.record(
      { experiment: anything, auth: anything, tracker: anything, processing_queue: anything },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          anything,
          sections,
          fc.json().map((text): unknown => JSON.parse(text)),
        ),
        (input) => {
          const result = decodeServiceConfig(input);
          return (
            E.isRight(result) ||
            (result.left.length > 0 && result.left.every((i) => typeof i.path === 'string' && i.message !== ''))
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reports symbols, functions and bigints without throwing', () => {
    expect(issuesOf({ processing_enabled: Symbol('x'), tracker: () => 1, auth: { driver_jwt: { max_ttl_s: 10n } } })).toEqual([
      { path: 'processing_enabled', message: 'expected boolean, got a symbol' },
      { path: 'auth.driver_jwt.max_ttl_s', message: 'expected integer >= 1, got 10n' },
      { path: 'tracker', message: 'expected an object, got a function' },
    ]);
  });
});

// The domain's sections are drawn in the core's tests; here, the service's, beside a few domain keys.
describe('decodeServiceConfig: valid-ish documents', () => {
  const maybe = <A>(arb: fc.Arbitrary<A>): fc.Arbitrary<A | undefined> => fc.option(arb, { nil: undefined, freq: 3 });
  const junk = fc.oneof(fc.constant(null), fc.string({ maxLength: 3 }), fc.integer({ min: -5, max: 20 }), fc.boolean());
  const document = fc.record(
    {
      generator: fc.constantFrom({}, { length: 5 }, { length: 1 }),
      experiment: fc.record(
        {
          rollout_percent: fc.oneof(fc.double({ min: -1, max: 101 }), junk),
          provider: fc.oneof(
            fc.constant(null),
            fc.record({ kind: fc.constantFrom('ofrep', 'flagd'), url: maybe(fc.constantFrom('http://f:8016', 'f:8016')) }),
          ),
        },
        { requiredKeys: [] },
      ),
      areas: fc.constantFrom({}, { svo_d: {} }),
      auth: fc.oneof(
        fc.record(
          {
            service_tokens: fc.dictionary(
              fc.constantFrom('ordercommit', 'processing', ''),
              fc.constantFrom('token-1', 'tok en', ''),
            ),
            driver_jwt: fc.oneof(
              fc.constant(null),
              fc.record({
                hs256_secret: maybe(fc.constantFrom('x'.repeat(32), 'short')),
                jwks_url: maybe(fc.constant('https://id/jwks')),
              }),
            ),
            gateway_token: maybe(fc.constantFrom('gw', '')),
          },
          { requiredKeys: [] },
        ),
        junk,
      ),
      tracker: fc.oneof(
        fc.record({
          kind: fc.constantFrom('memory', 'http'),
          url: maybe(fc.constantFrom('http://t:9100', 'nope')),
          timeout_ms: maybe(fc.integer({ min: 0, max: 20_000 })),
        }),
        junk,
      ),
      processing_queue: fc.record({
        sink: fc.constantFrom('webhook', 'amqp', 'embedded', 'kafka'),
        webhook_url: maybe(fc.constant('http://h/e')),
        webhook_secret: maybe(fc.constant('s')),
        amqp_url: maybe(fc.constant('amqp://r')),
      }),
      unknown_key: fc.constant(1),
    },
    { requiredKeys: [] },
  );

  it('either decodes to consistent settings or lists issues under known sections', () => {
    const sections = /^(generator|experiment|areas|auth|tracker|processing_queue|unknown_key)(\.|\[|$)/;
    fc.assert(
      fc.property(document, (input) => {
        const result = decodeServiceConfig(input);
        if (E.isLeft(result)) {
          expect(result.left.length).toBeGreaterThan(0);
          for (const issue of result.left) expect(issue.path).toMatch(sections);
          expect(new Set(result.left.map((i) => `${i.path}: ${i.message}`)).size).toBe(result.left.length);
          return;
        }
        const config = result.right;
        if (config.tracker.kind === 'http') expect(config.tracker.url).toMatch(/^http/);
        const queue = config.processingQueue;
        if (queue.sink === 'webhook') expect([queue.webhookUrl, queue.webhookSecret]).not.toContain(null);
        if (queue.sink === 'amqp') expect(queue.amqpUrl).not.toBeNull();
        const jwt = config.auth.driverJwt;
        if (jwt !== null) expect([jwt.hs256Secret, jwt.jwksUrl].filter((v) => v !== null)).toHaveLength(1);
        expect(config.experiment.provider === null || config.experiment.provider.url.startsWith('http')).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
