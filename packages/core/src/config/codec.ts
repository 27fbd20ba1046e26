import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import {
  AREA_DEFAULTS,
  DEFAULT_GENERATOR,
  type DispatchConfig,
  type ExperimentSettings,
  type GeneratorSettings,
  type AreaSettings,
} from './config';
import {
  IDENTIFIER,
  NonEmptyString,
  Percent,
  count,
  dictionary,
  emptyMap,
  field,
  fromPredicate,
  integer,
  nullable,
  isRecord,
  isString,
  seconds,
  strictStruct,
} from './document';
import { describeValue, formatIssuePath, reportErrors, type IssuePathSegment, type ValidationIssue } from './report';

/*
 * The domain's part of the configuration document of SPEC §8 (snake_case,
 * YAML or JSON) and its decoding into `DispatchConfig`: `processing_enabled`,
 * `generator`, `experiment` and `areas`, what the use cases read. The REST
 * service adds its own sections (`auth`, `tracker`, `processing_queue`,
 * `experiment.provider`) with its own codec. Decoding never throws: every
 * problem of the document comes back as a `{path, message}` issue, all of
 * them at once.
 *
 * Two passes: the io-ts codecs below check each value where it stands
 * (types, ranges, unknown keys); then `crossSectionIssues` checks what
 * depends on another part of the document (a per-area generator resolved
 * over the top-level one). An allow-list naming an area that is not
 * configured is allowed (SPEC §8's own example does it): such an area
 * answers `area_not_found` anyway.
 */

export type ConfigIssue = ValidationIssue;

/** Codes are upper-cased when parsed (SPEC §5), so an alphabet has digits and capitals only. */
const Alphabet = fromPredicate('string', isString, (s) => {
  for (const [i, ch] of [...s].entries()) {
    if (!/^[0-9A-Z]$/.test(ch)) return `character ${describeValue(ch)} not allowed: use digits 0-9 and capital letters A-Z`;
    if (s.indexOf(ch) !== i) return `character ${describeValue(ch)} appears more than once`;
  }
  return s.length >= 2 ? null : `expected at least 2 characters, got ${s.length}`;
});

const CheckDigit = t.keyof({ none: null, damm: null, verhoeff: null, luhn_mod_n: null }, 'none | damm | verhoeff | luhn_mod_n');

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

export const ExperimentDocument = strictStruct(
  'experiment',
  {},
  {
    enabled: t.boolean,
    areas: nullable(AreaIdList),
    rollout_percent: Percent,
    deny_users: t.readonlyArray(NonEmptyString, 'array of strings'),
  },
);
export type ExperimentDocument = t.TypeOf<typeof ExperimentDocument>;

/** The whole document (SPEC §8), snake_case, before defaults. */
export const ConfigDocument = strictStruct(
  'configuration document',
  {},
  {
    processing_enabled: t.boolean,
    generator: GeneratorDocument,
    experiment: ExperimentDocument,
    areas: dictionary('areas', IDENTIFIER, AreaDocument),
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

const toExperiment = (doc: ExperimentDocument | undefined): ExperimentSettings => ({
  enabled: doc?.enabled ?? true,
  areas: doc?.areas ?? null,
  rolloutPercent: doc?.rollout_percent ?? 100,
  denyUsers: doc?.deny_users ?? [],
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
  };
};

// ------------------------------------------------------------------ public

/** The document's sections that are the hosting service's, not the domain's (SPEC §8: who may call, where the tracker, the flag service and the events are). */
export const HOST_SECTIONS = ['auth', 'tracker', 'processing_queue'] as const;

/**
 * The document cut in two: what `decodeConfig` reads, and the hosting
 * service's keys (`HOST_SECTIONS` and `experiment.provider`), left for the
 * host to check. A tool that shares the service's document but needs only
 * the domain's part (the Mongo import) decodes `domain` and ignores `host`.
 */
export const splitConfigDocument = (input: unknown): { readonly domain: unknown; readonly host: Record<string, unknown> } => {
  if (!isRecord(input)) return { domain: input, host: {} };
  const domain: Record<string, unknown> = { ...input };
  const host: Record<string, unknown> = {};
  for (const key of HOST_SECTIONS) {
    if (Object.prototype.hasOwnProperty.call(input, key)) {
      host[key] = input[key];
      delete domain[key];
    }
  }
  const experiment = field(input, 'experiment');
  if (isRecord(experiment) && Object.prototype.hasOwnProperty.call(experiment, 'provider')) {
    const { provider, ...rules } = experiment;
    host.experiment = { provider };
    domain.experiment = rules;
  }
  return { domain, host };
};

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
