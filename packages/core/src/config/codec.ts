import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { isIdentifier } from '../domain/ids';
import {
  AREA_DEFAULTS,
  DEFAULT_DRIVER_TOKEN_MAX_TTL_S,
  DEFAULT_GENERATOR,
  type AuthSettings,
  type DispatchConfig,
  type ExperimentSettings,
  type GeneratorSettings,
  type ProcessingQueueSettings,
  type TrackerSettings,
  type AreaSettings,
} from './config';
import { describeValue, formatIssuePath, reportErrors, type IssuePathSegment, type ValidationIssue } from './report';

/*
 * The configuration document of SPEC §8 (snake_case, YAML or JSON) and its
 * decoding into `DispatchConfig`. Decoding never throws: every problem of the
 * document comes back as a `{path, message}` issue, all of them at once.
 *
 * Two passes: the io-ts codecs below check each value where it stands
 * (types, ranges, unknown keys, "url required when kind is http"); then
 * `crossSectionIssues` checks what depends on another part of the document
 * (a per-area generator resolved over the top-level one). An allow-list
 * naming an area that is not configured is allowed (SPEC §8's own example
 * does it): such an area answers `area_not_found` anyway.
 */

export type ConfigIssue = ValidationIssue;

// ---------------------------------------------------------------- combinators

type UnknownRecord = Readonly<Record<string, unknown>>;

const isRecord = (u: unknown): u is UnknownRecord => typeof u === 'object' && u !== null && !Array.isArray(u);

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** A map without a prototype: `map['constructor']` is undefined unless the document set it. */
const emptyMap = <A>(): Record<string, A> => Object.create(null) as Record<string, A>;

/** An own property only: never reads through the prototype (`constructor`, `__proto__`). */
const field = (u: unknown, key: string): unknown => (isRecord(u) && hasOwn(u, key) ? u[key] : undefined);

/** Appends one by one: a spread of a huge error list would overflow the stack. */
const pushAll = <A>(target: A[], items: readonly A[]): void => {
  for (const item of items) target.push(item);
};

const issueError = (actual: unknown, c: t.Context, path: readonly string[], message: string): t.ValidationError => ({
  value: actual,
  context: path.reduce<t.Context>((ctx, key) => t.appendContext(ctx, key, t.unknown, undefined), c),
  message,
});

/**
 * A codec from its `validate` alone. Every codec of the document decodes to
 * what it reads (no conversion), so `is` is "decodes" and `encode` is identity.
 */
const fromValidate = <A>(name: string, validate: t.Validate<unknown, A>): t.Type<A, A, unknown> =>
  new t.Type<A, A, unknown>(name, (u): u is A => E.isRight(validate(u, [])), validate, t.identity);

type StructOf<R extends t.Props, O extends t.Props> = { readonly [K in keyof R]: t.TypeOf<R[K]> } & {
  readonly [K in keyof O]?: t.TypeOf<O[K]>;
};

/**
 * An object with `required` and `optional` keys. Unlike `t.exact`, a key it
 * does not know is an error ("unknown key"), so a typo is caught instead of
 * silently ignored. An optional key that is absent or `undefined` is left out.
 */
export const strictStruct = <R extends t.Props, O extends t.Props>(
  name: string,
  required: R,
  optional: O,
): t.Type<StructOf<R, O>, StructOf<R, O>, unknown> => {
  const known = new Set([...Object.keys(required), ...Object.keys(optional)]);
  const validate = (u: unknown, c: t.Context): t.Validation<StructOf<R, O>> => {
    if (!isRecord(u)) return t.failure(u, c, `expected an object, got ${describeValue(u)}`);
    const errors: t.ValidationError[] = [];
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(u)) {
      if (!known.has(key)) errors.push(issueError(u[key], c, [key], 'unknown key'));
    }
    const visit = (props: t.Props, isRequired: boolean): void => {
      for (const [key, codec] of Object.entries(props)) {
        const value = field(u, key);
        if (value === undefined) {
          if (isRequired) errors.push(issueError(undefined, c, [key], 'required'));
          continue;
        }
        const result = codec.validate(value, t.appendContext(c, key, codec, value));
        if (E.isLeft(result)) pushAll(errors, result.left);
        else out[key] = result.right;
      }
    };
    visit(required, true);
    visit(optional, false);
    return errors.length > 0 ? t.failures(errors) : t.success(out as StructOf<R, O>);
  };
  return fromValidate(name, validate);
};

/**
 * A map with keys chosen by the document (area ids, caller names, locales).
 * The result has no prototype, so a key such as `__proto__` or `constructor`
 * is an ordinary entry and pollutes nothing.
 */
const dictionary = <C extends t.Mixed>(
  name: string,
  key: { readonly isValid: (k: string) => boolean; readonly expected: string },
  value: C,
): t.Type<Readonly<Record<string, t.TypeOf<C>>>, Readonly<Record<string, t.TypeOf<C>>>, unknown> => {
  const validate = (u: unknown, c: t.Context): t.Validation<Readonly<Record<string, t.TypeOf<C>>>> => {
    if (!isRecord(u)) return t.failure(u, c, `expected an object, got ${describeValue(u)}`);
    const errors: t.ValidationError[] = [];
    const out = emptyMap<t.TypeOf<C>>();
    for (const k of Object.keys(u)) {
      if (!key.isValid(k)) errors.push(issueError(k, c, [k], `invalid key: expected ${key.expected}`));
      const result = value.validate(u[k], t.appendContext(c, k, value, u[k]));
      if (E.isLeft(result)) pushAll(errors, result.left);
      // `out` has no prototype, so even `__proto__` becomes an ordinary own entry.
      else out[k] = result.right;
    }
    return errors.length > 0 ? t.failures(errors) : t.success(out);
  };
  return fromValidate(name, validate);
};

type Check<A> = (a: A) => ReadonlyArray<{ readonly path: readonly string[]; readonly message: string }>;

/** `codec`, then a rule across its keys (`url` required when `kind` is `http`). */
const checked = <A>(codec: t.Type<A, A, unknown>, check: Check<A>): t.Type<A, A, unknown> =>
  fromValidate(codec.name, (u, c) => {
    const result = codec.validate(u, c);
    if (E.isLeft(result)) return result;
    const issues = check(result.right);
    if (issues.length === 0) return result;
    return t.failures(issues.map(({ path, message }) => issueError(path.reduce(field, u), c, path, message)));
  });

/** `null` counts as left out (YAML's `key:` with nothing after it). */
const nullable = <A>(codec: t.Type<A, A, unknown>): t.Type<A | null, A | null, unknown> =>
  fromValidate<A | null>(codec.name, (u, c) => (u === null ? t.success(null) : codec.validate(u, c)));

/** A `guard`ed value, then `problem` names what is wrong with it, if anything. */
const fromPredicate = <A>(name: string, guard: (u: unknown) => u is A, problem: (a: A) => string | null): t.Type<A, A, unknown> =>
  fromValidate(name, (u, c) => {
    if (!guard(u)) return t.failure(u, c, `expected ${name}, got ${describeValue(u)}`);
    const message = problem(u);
    return message === null ? t.success(u) : t.failure(u, c, message);
  });

const isNumber = (u: unknown): u is number => typeof u === 'number';
const isString = (u: unknown): u is string => typeof u === 'string';

/** Ten years: a longer duration is a typo. */
const MAX_SECONDS = 315_360_000;

/**
 * An integer in [min, max]. With an open `max`, `cap` still bounds it (a
 * larger value is a typo, or would overflow date arithmetic), and is named
 * only when exceeded.
 */
const integer = (min: number, max: number, cap = max): t.Type<number, number, unknown> => {
  const name = max === Infinity ? `integer >= ${min}` : `integer ${min}..${max}`;
  return fromPredicate(name, isNumber, (n) =>
    Number.isInteger(n) && n >= min && n <= cap
      ? null
      : Number.isInteger(n) && n > cap && cap < max
        ? `expected integer <= ${cap}, got ${n}`
        : `expected ${name}, got ${describeValue(n)}`,
  );
};

const seconds = (min: number): t.Type<number, number, unknown> => integer(min, Infinity, MAX_SECONDS);
const count = (min: number): t.Type<number, number, unknown> => integer(min, Infinity, Number.MAX_SAFE_INTEGER);

const Percent = fromPredicate('number 0..100', isNumber, (n) =>
  Number.isFinite(n) && n >= 0 && n <= 100 ? null : `expected number 0..100, got ${describeValue(n)}`,
);

const NonEmptyString = fromPredicate('non-empty string', isString, (s) => (s.length > 0 ? null : 'must not be empty'));

/** UTF-8 bytes of `s` (the core has no TextEncoder): what an HMAC key's strength is counted in. */
const utf8Length = (s: string): number => {
  let bytes = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
};

/** An HMAC secret: RFC 7518 §3.2 wants a key at least as long as the hash (32 bytes for HS256). */
const HS256_MIN_SECRET_BYTES = 32;

const hmacSecret = (minBytes: number): t.Type<string, string, unknown> =>
  fromPredicate('string', isString, (s) =>
    utf8Length(s) >= minBytes ? null : `expected at least ${minBytes} bytes, got ${utf8Length(s)}`,
  );

/** Sent in an `Authorization: Bearer` header: visible ASCII only (a stray newline from a secret file is caught here). */
const Token = fromPredicate('non-empty string', isString, (s) =>
  s.length === 0
    ? 'must not be empty'
    : /^[\x21-\x7e]+$/.test(s)
      ? null
      : 'expected visible ASCII characters only (no spaces or line breaks)',
);

/** What a value is, without what it says. */
const describeKind = (u: unknown): string =>
  u === null ? 'null' : Array.isArray(u) ? 'an array' : typeof u === 'object' ? 'an object' : `a ${typeof u}`;

/**
 * A secret-bearing value: its problems are reported by type and length only,
 * never by value, since configuration errors go to stderr and the logs (an
 * unquoted YAML number for a secret would otherwise be printed in full).
 */
const concealed = <A>(codec: t.Type<A, A, unknown>): t.Type<A, A, unknown> =>
  fromValidate(codec.name, (u, c) => {
    if (typeof u !== 'string') return t.failure(undefined, c, `expected ${codec.name}, got ${describeKind(u)} (value not shown)`);
    const result = codec.validate(u, c);
    return E.isLeft(result) ? t.failures(result.left.map((e) => ({ ...e, value: undefined }))) : result;
  });

const AUTHORITY = String.raw`(?:[^/?#@]+@)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?)(?::(\d{1,5}))?(?:[/?#].*)?$`;

/** A URL check without the WHATWG `URL` (the core has no DOM or Node types). */
const url = (name: string, schemes: readonly string[]): t.Type<string, string, unknown> => {
  const pattern = new RegExp(`^(?:${schemes.join('|')})://${AUTHORITY}`, 'i');
  return fromPredicate(name, isString, (s) => {
    const match = /^[\x21-\x7e]+$/.test(s) ? pattern.exec(s) : null;
    const port = match?.[1];
    return match !== null && (port === undefined || (Number(port) >= 1 && Number(port) <= 65535))
      ? null
      : `expected ${name}, got ${describeValue(withoutCredentials(s))}`;
  });
};

/** `amqp://user:password@host` → `amqp://***@host`: URLs may carry credentials, which never reach an error message. */
const withoutCredentials = (s: string): string => s.replace(/^([^:/?#]*:\/\/)[^/?#@]*@/, '$1***@');

const HttpUrl = url('http(s) URL', ['http', 'https']);
const AmqpUrl = url('amqp(s) URL', ['amqp', 'amqps']);

/** Codes are upper-cased when parsed (SPEC §5), so an alphabet has digits and capitals only. */
const Alphabet = fromPredicate('string', isString, (s) => {
  for (const [i, ch] of [...s].entries()) {
    if (!/^[0-9A-Z]$/.test(ch)) return `character ${describeValue(ch)} not allowed: use digits 0-9 and capital letters A-Z`;
    if (s.indexOf(ch) !== i) return `character ${describeValue(ch)} appears more than once`;
  }
  return s.length >= 2 ? null : `expected at least 2 characters, got ${s.length}`;
});

const CheckDigit = t.keyof({ none: null, damm: null, verhoeff: null, luhn_mod_n: null }, 'none | damm | verhoeff | luhn_mod_n');

/** Area ids and caller names: what `AreaId` accepts in a request (SPEC §6). */
const IDENTIFIER = {
  isValid: isIdentifier,
  expected: 'an id of 1..128 characters without control characters or surrounding spaces',
};
const LOCALE = {
  isValid: (k: string) => /^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$/.test(k),
  expected: 'a locale tag such as en or pt-BR',
};

// ------------------------------------------------------------ the document

export const GeneratorDocument = strictStruct(
  'generator',
  {},
  {
    length: integer(2, 16),
    alphabet: Alphabet,
    check_digit: CheckDigit,
    group: t.readonlyArray(count(1), 'array of integers >= 1'),
    forbid_trivial: t.boolean,
  },
);
export type GeneratorDocument = t.TypeOf<typeof GeneratorDocument>;

export const AreaDocument = strictStruct(
  'area',
  {},
  {
    enabled: t.boolean,
    instructions: dictionary('instructions', LOCALE, NonEmptyString),
    order_expire_s: seconds(1),
    processing_timeout_s: seconds(1),
    driver_due_offset_s: nullable(seconds(0)),
    max_failed_attempts: count(1),
    attempts_window_s: seconds(1),
    code_reuse_cooldown_s: seconds(0),
    generator: GeneratorDocument,
  },
);
export type AreaDocument = t.TypeOf<typeof AreaDocument>;

const AreaIdList = t.readonlyArray(
  fromPredicate('area id', isString, (s) => (IDENTIFIER.isValid(s) ? null : `expected ${IDENTIFIER.expected}`)),
  'array of area ids',
);

export const ExperimentProviderDocument = strictStruct(
  'experiment provider',
  { kind: t.keyof({ ofrep: null }, 'ofrep'), url: HttpUrl },
  { timeout_ms: integer(1, 10_000) },
);
export type ExperimentProviderDocument = t.TypeOf<typeof ExperimentProviderDocument>;

export const ExperimentDocument = strictStruct(
  'experiment',
  {},
  {
    enabled: t.boolean,
    provider: nullable(ExperimentProviderDocument),
    areas: nullable(AreaIdList),
    rollout_percent: Percent,
    deny_users: t.readonlyArray(NonEmptyString, 'array of strings'),
  },
);
export type ExperimentDocument = t.TypeOf<typeof ExperimentDocument>;

export const DriverJwtDocument = checked(
  strictStruct(
    'driver_jwt',
    {},
    {
      hs256_secret: nullable(concealed(hmacSecret(HS256_MIN_SECRET_BYTES))),
      jwks_url: nullable(HttpUrl),
      audience: nullable(NonEmptyString),
      issuer: nullable(NonEmptyString),
      max_ttl_s: seconds(1),
    },
  ),
  (d) => {
    const given = [d.hs256_secret, d.jwks_url].filter((v) => v !== undefined && v !== null).length;
    return given === 1 ? [] : [{ path: [], message: 'expected exactly one of hs256_secret and jwks_url' }];
  },
);
export type DriverJwtDocument = t.TypeOf<typeof DriverJwtDocument>;

// Tokens may repeat (the spec's own example shares one placeholder between
// callers and the gateway): the first matching caller name is logged, and a
// gateway token is only ever accepted together with its identity headers.
export const AuthDocument = strictStruct(
  'auth',
  {},
  {
    service_tokens: dictionary('service_tokens', IDENTIFIER, concealed(Token)),
    driver_jwt: nullable(DriverJwtDocument),
    gateway_token: nullable(concealed(Token)),
  },
);
export type AuthDocument = t.TypeOf<typeof AuthDocument>;

export const TrackerDocument = checked(
  strictStruct(
    'tracker',
    { kind: t.keyof({ memory: null, http: null }, 'memory | http') },
    { url: HttpUrl, timeout_ms: integer(1, 10_000) },
  ),
  (d) => (d.kind === 'http' && d.url === undefined ? [{ path: ['url'], message: 'required when kind is http' }] : []),
);
export type TrackerDocument = t.TypeOf<typeof TrackerDocument>;

export const ProcessingQueueDocument = checked(
  strictStruct(
    'processing_queue',
    { sink: t.keyof({ webhook: null, amqp: null, embedded: null }, 'webhook | amqp | embedded') },
    {
      webhook_url: nullable(HttpUrl),
      webhook_secret: nullable(concealed(NonEmptyString)),
      amqp_url: nullable(AmqpUrl),
      amqp_exchange: NonEmptyString,
      max_attempts: count(1),
    },
  ),
  (d) => {
    const needed: readonly ('webhook_url' | 'webhook_secret' | 'amqp_url')[] =
      d.sink === 'webhook' ? ['webhook_url', 'webhook_secret'] : d.sink === 'amqp' ? ['amqp_url'] : [];
    return needed
      .filter((key) => (d[key] ?? null) === null)
      .map((key) => ({ path: [key], message: `required when sink is ${d.sink}` }));
  },
);
export type ProcessingQueueDocument = t.TypeOf<typeof ProcessingQueueDocument>;

/** The whole document (SPEC §8), snake_case, before defaults. */
export const ConfigDocument = strictStruct(
  'configuration document',
  {},
  {
    processing_enabled: t.boolean,
    generator: GeneratorDocument,
    experiment: ExperimentDocument,
    areas: dictionary('areas', IDENTIFIER, AreaDocument),
    auth: AuthDocument,
    tracker: TrackerDocument,
    processing_queue: ProcessingQueueDocument,
  },
);
export type ConfigDocument = t.TypeOf<typeof ConfigDocument>;

// ------------------------------------------------------ generator resolution

/** Groups of three from the left: 5 → [3, 2], 7 → [3, 3, 1]. */
const groupsOfThree = (length: number): number[] =>
  Array.from({ length: Math.ceil(length / 3) }, (_, i) => Math.min(3, length - 3 * i));

/**
 * `override` over `base`. A new `length` without a `group` gets groups of
 * three; without either, the base's grouping stays.
 */
const resolveGenerator = (base: GeneratorSettings, override: GeneratorDocument | undefined): GeneratorSettings => {
  const o = override ?? {};
  const length = o.length ?? base.length;
  return {
    length,
    alphabet: o.alphabet ?? base.alphabet,
    checkDigit: o.check_digit ?? base.checkDigit,
    group: o.group ?? (o.length === undefined ? base.group : groupsOfThree(length)),
    forbidTrivial: o.forbid_trivial ?? base.forbidTrivial,
  };
};

const isDecimalAlphabet = (alphabet: string): boolean =>
  alphabet.length === 10 && [...'0123456789'].every((d) => alphabet.includes(d));

/**
 * What is wrong with `resolved`, reported only where `override` had a say (an
 * area that inherits a broken top-level generator is not blamed for it). With
 * `selfContained`, only rules whose every input the override gives are checked
 * (the base could not be read).
 */
const generatorIssues = (
  resolved: GeneratorSettings,
  override: GeneratorDocument,
  at: readonly IssuePathSegment[],
  selfContained: boolean,
): ConfigIssue[] => {
  const gives = (keys: readonly (keyof GeneratorDocument)[]): boolean =>
    selfContained ? keys.every((k) => override[k] !== undefined) : keys.some((k) => override[k] !== undefined);
  const issues: ConfigIssue[] = [];
  if (resolved.checkDigit === 'damm' && !isDecimalAlphabet(resolved.alphabet) && gives(['check_digit', 'alphabet'])) {
    issues.push({
      path: formatIssuePath([...at, 'check_digit']),
      message: `damm needs the decimal alphabet 0123456789, not ${describeValue(resolved.alphabet)}; use verhoeff for other alphabets`,
    });
  }
  if (resolved.checkDigit === 'verhoeff' && resolved.alphabet.length < 3 && gives(['check_digit', 'alphabet'])) {
    issues.push({
      path: formatIssuePath([...at, 'check_digit']),
      message: `verhoeff needs an alphabet of at least 3 characters, not ${describeValue(resolved.alphabet)}`,
    });
  }
  const sum = resolved.group.reduce((a, b) => a + b, 0);
  if (sum !== resolved.length && gives(['group', 'length'])) {
    issues.push({
      path: formatIssuePath([...at, 'group']),
      message: `groups add up to ${sum}, expected the length ${resolved.length}`,
    });
  }
  return issues;
};

const decodeOrUndefined = <A>(codec: t.Decoder<unknown, A>, u: unknown): A | undefined => {
  const result = codec.decode(u);
  return E.isRight(result) ? result.right : undefined;
};

/** The rules that span sections, checked on whatever parts of the document are readable. */
const crossSectionIssues = (input: unknown): ConfigIssue[] => {
  const topOverride = decodeOrUndefined(GeneratorDocument, field(input, 'generator') ?? {});
  const top = topOverride === undefined ? undefined : resolveGenerator(DEFAULT_GENERATOR, topOverride);
  const issues = top === undefined || topOverride === undefined ? [] : generatorIssues(top, topOverride, ['generator'], false);
  const areas = field(input, 'areas');
  for (const areaId of isRecord(areas) ? Object.keys(areas) : []) {
    const override = decodeOrUndefined(GeneratorDocument, field(field(areas, areaId), 'generator'));
    if (override !== undefined) {
      issues.push(
        ...generatorIssues(
          resolveGenerator(top ?? DEFAULT_GENERATOR, override),
          override,
          ['areas', areaId, 'generator'],
          top === undefined,
        ),
      );
    }
  }
  return issues;
};

// ------------------------------------------------------------- conversion

const toArea = (areaId: string, doc: AreaDocument, topGenerator: GeneratorSettings): AreaSettings => ({
  areaId,
  enabled: doc.enabled ?? AREA_DEFAULTS.enabled,
  instructions: doc.instructions ?? emptyMap(),
  orderExpireS: doc.order_expire_s ?? AREA_DEFAULTS.orderExpireS,
  processingTimeoutS: doc.processing_timeout_s ?? AREA_DEFAULTS.processingTimeoutS,
  driverDueOffsetS: doc.driver_due_offset_s ?? AREA_DEFAULTS.driverDueOffsetS,
  maxFailedAttempts: doc.max_failed_attempts ?? AREA_DEFAULTS.maxFailedAttempts,
  attemptsWindowS: doc.attempts_window_s ?? AREA_DEFAULTS.attemptsWindowS,
  codeReuseCooldownS: doc.code_reuse_cooldown_s ?? AREA_DEFAULTS.codeReuseCooldownS,
  generator: resolveGenerator(topGenerator, doc.generator),
});

/** A flag service slower than this answers "off" (the default timeout of `experiment.provider`). */
const DEFAULT_PROVIDER_TIMEOUT_MS = 500;

const toExperiment = (doc: ExperimentDocument | undefined): ExperimentSettings => ({
  enabled: doc?.enabled ?? true,
  provider:
    doc?.provider === undefined || doc.provider === null
      ? null
      : { kind: 'ofrep', url: doc.provider.url, timeoutMs: doc.provider.timeout_ms ?? DEFAULT_PROVIDER_TIMEOUT_MS },
  areas: doc?.areas ?? null,
  rolloutPercent: doc?.rollout_percent ?? 100,
  denyUsers: doc?.deny_users ?? [],
});

const toAuth = (doc: AuthDocument | undefined): AuthSettings => {
  const jwt = doc?.driver_jwt ?? null;
  return {
    serviceTokens: doc?.service_tokens ?? emptyMap(),
    driverJwt:
      jwt === null
        ? null
        : {
            hs256Secret: jwt.hs256_secret ?? null,
            jwksUrl: jwt.jwks_url ?? null,
            audience: jwt.audience ?? null,
            issuer: jwt.issuer ?? null,
            maxTtlS: jwt.max_ttl_s ?? DEFAULT_DRIVER_TOKEN_MAX_TTL_S,
          },
    gatewayToken: doc?.gateway_token ?? null,
  };
};

const toTracker = (doc: TrackerDocument | undefined): TrackerSettings =>
  doc?.kind === 'http' && doc.url !== undefined
    ? { kind: 'http', url: doc.url, timeoutMs: doc.timeout_ms ?? 300 }
    : { kind: 'memory' };

const toProcessingQueue = (doc: ProcessingQueueDocument | undefined): ProcessingQueueSettings => ({
  sink: doc?.sink ?? 'embedded',
  webhookUrl: doc?.webhook_url ?? null,
  webhookSecret: doc?.webhook_secret ?? null,
  amqpUrl: doc?.amqp_url ?? null,
  amqpExchange: doc?.amqp_exchange ?? 'codedispatch',
  maxAttempts: doc?.max_attempts ?? 25,
});

const toConfig = (doc: ConfigDocument): DispatchConfig => {
  const generator = resolveGenerator(DEFAULT_GENERATOR, doc.generator);
  const areas = emptyMap<AreaSettings>();
  for (const [areaId, area] of Object.entries(doc.areas ?? {})) {
    areas[areaId] = toArea(areaId, area, generator);
  }
  return {
    processingEnabled: doc.processing_enabled ?? true,
    generator,
    experiment: toExperiment(doc.experiment),
    areas,
    auth: toAuth(doc.auth),
    tracker: toTracker(doc.tracker),
    processingQueue: toProcessingQueue(doc.processing_queue),
  };
};

// ------------------------------------------------------------------ public

/**
 * The document → `DispatchConfig`, or every issue found in it (never the first
 * one only). Never throws, whatever `input` is.
 */
export const decodeConfig = (input: unknown): E.Either<readonly ConfigIssue[], DispatchConfig> => {
  const document = ConfigDocument.decode(input);
  const issues = [...(E.isLeft(document) ? reportErrors(document.left) : []), ...crossSectionIssues(input)];
  if (issues.length > 0 || E.isLeft(document)) return E.left(issues);
  return E.right(toConfig(document.right));
};

/** One line per issue: `path: message` (the document itself is `(document)`). */
export const formatConfigIssues = (issues: readonly ConfigIssue[]): string =>
  issues.map(({ path, message }) => `${path === '' ? '(document)' : path}: ${message}`).join('\n');
