/**
 * The one configuration of the feature (SPEC §8), as the core uses it: keys in
 * camelCase, defaults applied, the per-area generator override resolved. The
 * document's snake_case shape and its validation live in `codec.ts`.
 */

export const CHECK_DIGIT_SCHEMES = ['none', 'damm', 'verhoeff', 'luhn_mod_n'] as const;
export type CheckDigitScheme = (typeof CHECK_DIGIT_SCHEMES)[number];

export interface GeneratorSettings {
  /** Characters the passenger says, check character included. */
  readonly length: number;
  readonly alphabet: string;
  readonly checkDigit: CheckDigitScheme;
  /** Display grouping; adds up to `length`. */
  readonly group: readonly number[];
  readonly forbidTrivial: boolean;
}

export interface AreaSettings {
  readonly areaId: string;
  readonly enabled: boolean;
  /** Locale → text shown to the passenger with the code. */
  readonly instructions: Readonly<Record<string, string>>;
  readonly orderExpireS: number;
  readonly processingTimeoutS: number;
  readonly driverDueOffsetS: number | null;
  readonly maxFailedAttempts: number;
  readonly attemptsWindowS: number;
  readonly codeReuseCooldownS: number;
  readonly generator: GeneratorSettings;
}

/**
 * Where the `code_dispatch` flag is asked besides the rules below: none, or an
 * OpenFeature provider speaking OFREP (the OpenFeature Remote Evaluation
 * Protocol: flagd, GO Feature Flag, Flipt and others serve it).
 */
export type ExperimentProvider = { readonly kind: 'ofrep'; readonly url: string; readonly timeoutMs: number };

export interface ExperimentSettings {
  readonly enabled: boolean;
  /** Asked once the rules say on: it may narrow the rollout, never widen it. Null: the rules alone decide. */
  readonly provider: ExperimentProvider | null;
  /** Allow-list of areas; null = every configured area. */
  readonly areas: readonly string[] | null;
  readonly rolloutPercent: number;
  readonly denyUsers: readonly string[];
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
}

export type TrackerSettings =
  { readonly kind: 'memory' } | { readonly kind: 'http'; readonly url: string; readonly timeoutMs: number };

export const SINKS = ['webhook', 'amqp', 'embedded'] as const;
export type Sink = (typeof SINKS)[number];

export interface ProcessingQueueSettings {
  readonly sink: Sink;
  readonly webhookUrl: string | null;
  readonly webhookSecret: string | null;
  readonly amqpUrl: string | null;
  readonly amqpExchange: string;
  /** Delivery attempts before an event is dead-lettered. */
  readonly maxAttempts: number;
}

export interface DispatchConfig {
  readonly processingEnabled: boolean;
  readonly generator: GeneratorSettings;
  readonly experiment: ExperimentSettings;
  readonly areas: Readonly<Record<string, AreaSettings>>;
  readonly auth: AuthSettings;
  readonly tracker: TrackerSettings;
  readonly processingQueue: ProcessingQueueSettings;
}

export const DEFAULT_GENERATOR: GeneratorSettings = {
  length: 6,
  alphabet: '0123456789',
  checkDigit: 'damm',
  group: [3, 3],
  forbidTrivial: true,
};

export const AREA_DEFAULTS = {
  enabled: true,
  orderExpireS: 1800,
  processingTimeoutS: 60,
  driverDueOffsetS: null,
  maxFailedAttempts: 5,
  attemptsWindowS: 600,
  codeReuseCooldownS: 3600,
} as const;

/**
 * The settings of an area, also for one that is not (or no longer) configured,
 * e.g. an area of imported records: defaults with the top-level generator.
 */
export const areaSettingsOf = (config: DispatchConfig, areaId: string): AreaSettings =>
  Object.prototype.hasOwnProperty.call(config.areas, areaId)
    ? (config.areas[areaId] as AreaSettings)
    : { areaId, instructions: {}, generator: config.generator, ...AREA_DEFAULTS };
