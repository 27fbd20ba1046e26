/**
 * The domain's configuration (SPEC §8), as the use cases read it: keys in
 * camelCase, defaults applied, the per-area generator override resolved. The
 * document's snake_case shape and its validation live in `codec.ts`. The
 * service's own settings (callers' tokens, the tracker's and the sinks' URLs)
 * are not the domain's: the REST service keeps them in its own configuration.
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

export interface ExperimentSettings {
  readonly enabled: boolean;
  /** Allow-list of areas; null = every configured area. */
  readonly areas: readonly string[] | null;
  readonly rolloutPercent: number;
  readonly denyUsers: readonly string[];
}

export interface DispatchConfig {
  readonly processingEnabled: boolean;
  readonly generator: GeneratorSettings;
  readonly experiment: ExperimentSettings;
  readonly areas: Readonly<Record<string, AreaSettings>>;
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
