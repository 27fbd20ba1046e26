import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import {
  decodeConfig,
  splitConfigDocument,
  type ConfigIssue,
  type DispatchConfig,
  type ExperimentSettings,
} from '@codedispatch/core';
import { describeValue, reportErrors } from '@codedispatch/core/document';
import {
  IDENTIFIER,
  NonEmptyString,
  checked,
  concealed,
  count,
  dictionary,
  emptyMap,
  fromPredicate,
  integer,
  isRecord,
  isString,
  nullable,
  seconds,
  strictStruct,
} from '@codedispatch/core/document';
import type { ProcessingQueueSettings } from '@codedispatch/processing-queue';

/*
 * The service's own sections of the configuration document (SPEC §8): who may
 * call (`auth`), where the tracker and the flag service are (`tracker`,
 * `experiment.provider`), where events go (`processing_queue`). They are the
 * shell's, not the domain's: the core decodes the rest of the same document
 * (`decodeConfig`), and `decodeServiceConfig` joins both, every issue of
 * either part reported at once, with the document's own paths.
 */

// ---------------------------------------------------------------- settings

/**
 * Where the `code_dispatch` flag is asked besides the document's rules: an
 * OpenFeature provider speaking OFREP (the OpenFeature Remote Evaluation
 * Protocol: flagd, GO Feature Flag, Flipt and others serve it).
 */
export type ExperimentProvider = { readonly kind: 'ofrep'; readonly url: string; readonly timeoutMs: number };

export interface ServiceExperimentSettings extends ExperimentSettings {
  /** Asked once the rules say on: it may narrow the rollout, never widen it. Null: the rules alone decide. */
  readonly provider: ExperimentProvider | null;
}

export interface DriverJwtSettings {
  readonly hs256Secret: string | null;
  readonly jwksUrl: string | null;
  readonly audience: string | null;
  readonly issuer: string | null;
  /** The longest lifetime a driver token may have left (`exp` − now), in seconds. */
  readonly maxTtlS: number;
}

/** 24 h: a driver token that lives longer is refused (SPEC §6 wants `exp`; a far-off one is as good as none). */
export const DEFAULT_DRIVER_TOKEN_MAX_TTL_S = 86_400;

export interface AuthSettings {
  /** Caller name → token. */
  readonly serviceTokens: Readonly<Record<string, string>>;
  readonly driverJwt: DriverJwtSettings | null;
  readonly gatewayToken: string | null;
  /** Operator name → token: the /v1/ops endpoints (none: every call answers 401). */
  readonly operatorTokens: Readonly<Record<string, string>>;
}

export type TrackerSettings =
  { readonly kind: 'memory' } | { readonly kind: 'http'; readonly url: string; readonly timeoutMs: number };

/** The whole document as the service reads it: the domain's configuration and the service's own settings. */
export interface ServiceConfig extends DispatchConfig {
  readonly experiment: ServiceExperimentSettings;
  readonly auth: AuthSettings;
  readonly tracker: TrackerSettings;
  readonly processingQueue: ProcessingQueueSettings;
}

/** The service configuration in force; reloadable in production. A `ConfigSource` of the core too. */
export interface ServiceConfigSource {
  current(): ServiceConfig;
  /** Where the document in force came from and how the last reload went (GET /v1/ops/config); absent for a fixed one. */
  status?(): ConfigStatus;
}

export type ConfigOrigin = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'demo' };

export interface ConfigReload {
  readonly at: Date;
  readonly trigger: string;
  readonly outcome: 'applied' | 'refused';
  readonly issues: readonly { readonly path: string; readonly message: string }[];
}

export interface ConfigStatus {
  readonly origin: ConfigOrigin;
  /** Of the document in force: a refused reload changes neither. */
  readonly version: string;
  readonly loadedAt: Date;
  /** null until a reload was tried. */
  readonly lastReload: ConfigReload | null;
  /** Sections changed since the start that apply only at the next start. */
  readonly appliesAtRestart: readonly string[];
}

// ---------------------------------------------------------------- values

/**
 * A URL of one of `protocols`, as the WHATWG parser reads it (what `fetch`
 * and amqplib will be given). Credentials in it never reach an error message.
 */
const url = (name: string, protocols: readonly string[]): t.Type<string, string, unknown> =>
  fromPredicate(name, isString, (s) => {
    const parsed = URL.canParse(s) && !/\s/.test(s) ? new URL(s) : null;
    // Port 0 parses, but nothing listens there.
    return parsed !== null && protocols.includes(parsed.protocol) && parsed.hostname !== '' && parsed.port !== '0'
      ? null
      : `expected ${name}, got ${describeValue(withoutCredentials(s))}`;
  });

/** `amqp://user:password@host` → `amqp://***@host`. */
const withoutCredentials = (s: string): string => s.replace(/^([^:/?#]*:\/\/)[^/?#@]*@/, '$1***@');

const HttpUrl = url('http(s) URL', ['http:', 'https:']);
const AmqpUrl = url('amqp(s) URL', ['amqp:', 'amqps:']);

/** An HMAC secret: RFC 7518 §3.2 wants a key at least as long as the hash (32 bytes for HS256). */
const HS256_MIN_SECRET_BYTES = 32;

const hmacSecret = (minBytes: number): t.Type<string, string, unknown> =>
  fromPredicate('string', isString, (s) => {
    const bytes = Buffer.byteLength(s, 'utf8');
    return bytes >= minBytes ? null : `expected at least ${minBytes} bytes, got ${bytes}`;
  });

/** Sent in an `Authorization: Bearer` header: visible ASCII only (a stray newline from a secret file is caught here). */
const Token = fromPredicate('non-empty string', isString, (s) =>
  s.length === 0
    ? 'must not be empty'
    : /^[\x21-\x7e]+$/.test(s)
      ? null
      : 'expected visible ASCII characters only (no spaces or line breaks)',
);

// ---------------------------------------------------------------- sections

export const ExperimentProviderDocument = strictStruct(
  'experiment provider',
  { kind: t.keyof({ ofrep: null }, 'ofrep'), url: HttpUrl },
  { timeout_ms: integer(1, 10_000) },
);

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
    operator_tokens: dictionary('operator_tokens', IDENTIFIER, concealed(Token)),
  },
);

export const TrackerDocument = checked(
  strictStruct(
    'tracker',
    { kind: t.keyof({ memory: null, http: null }, 'memory | http') },
    { url: HttpUrl, timeout_ms: integer(1, 10_000) },
  ),
  (d) => (d.kind === 'http' && d.url === undefined ? [{ path: ['url'], message: 'required when kind is http' }] : []),
);

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

/** The service's part of the document: its three sections and the experiment's provider. */
const ServiceDocument = strictStruct(
  'configuration document',
  {},
  {
    auth: AuthDocument,
    tracker: TrackerDocument,
    processing_queue: ProcessingQueueDocument,
    experiment: strictStruct('experiment', {}, { provider: nullable(ExperimentProviderDocument) }),
  },
);
type ServiceDocument = t.TypeOf<typeof ServiceDocument>;

// ---------------------------------------------------------------- conversion

/** A flag service slower than this answers "off" (the default timeout of `experiment.provider`). */
const DEFAULT_PROVIDER_TIMEOUT_MS = 500;

const toAuth = (doc: ServiceDocument['auth']): AuthSettings => {
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
    operatorTokens: doc?.operator_tokens ?? emptyMap(),
  };
};

const toTracker = (doc: ServiceDocument['tracker']): TrackerSettings =>
  doc?.kind === 'http' && doc.url !== undefined
    ? { kind: 'http', url: doc.url, timeoutMs: doc.timeout_ms ?? 300 }
    : { kind: 'memory' };

const toProcessingQueue = (doc: ServiceDocument['processing_queue']): ProcessingQueueSettings => ({
  sink: doc?.sink ?? 'embedded',
  webhookUrl: doc?.webhook_url ?? null,
  webhookSecret: doc?.webhook_secret ?? null,
  amqpUrl: doc?.amqp_url ?? null,
  amqpExchange: doc?.amqp_exchange ?? 'codedispatch',
  maxAttempts: doc?.max_attempts ?? 25,
});

const toProvider = (doc: ServiceDocument['experiment']): ExperimentProvider | null => {
  const provider = doc?.provider ?? null;
  return provider === null
    ? null
    : { kind: 'ofrep', url: provider.url, timeoutMs: provider.timeout_ms ?? DEFAULT_PROVIDER_TIMEOUT_MS };
};

// ---------------------------------------------------------------- public

/**
 * The whole document → `ServiceConfig`, or every issue found in it (the
 * domain's first, then the service's). Never throws.
 */
export const decodeServiceConfig = (input: unknown): E.Either<readonly ConfigIssue[], ServiceConfig> => {
  const { domain, host: service } = splitConfigDocument(input);
  const dispatch = decodeConfig(domain);
  const own = isRecord(input) ? ServiceDocument.decode(service) : E.right<t.Errors, ServiceDocument>({});
  if (E.isLeft(dispatch) || E.isLeft(own)) {
    return E.left([...(E.isLeft(dispatch) ? dispatch.left : []), ...(E.isLeft(own) ? reportErrors(own.left) : [])]);
  }
  const doc = own.right;
  return E.right({
    ...dispatch.right,
    experiment: { ...dispatch.right.experiment, provider: toProvider(doc.experiment) },
    auth: toAuth(doc.auth),
    tracker: toTracker(doc.tracker),
    processingQueue: toProcessingQueue(doc.processing_queue),
  });
};
