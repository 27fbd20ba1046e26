/**
 * @codedispatch/core: the pure domain of code dispatch, and the embedding
 * entry point `createCodeDispatch`. No I/O: the world is reached through the
 * ports in `ports.ts`. What an embedder needs is here; two more entry points
 * serve narrower readers:
 * - `@codedispatch/core/testing`: in-memory adapters and test configurations;
 * - `@codedispatch/core/adapter`: the pieces a store or a host is built from
 *   (the state machine, the record's JSON forms, the code space, the use
 *   cases over any ports), for the PostgreSQL package, the REST service and
 *   anyone writing their own;
 * - `@codedispatch/core/document`: the configuration document's codec
 *   building blocks, for a host that adds sections of its own.
 */

// The entry point, its defaults and its types.
export {
  createCodeDispatch,
  type CodeDispatch,
  type CodeDispatchOptions,
  type CreateOrderInput,
  type DriverInput,
  type IssuedCode,
  type Outcome,
  type Store,
  type UseCases,
} from './code-dispatch';
export { SystemClock, WebCryptoCodeRandom } from './system';
export { ConfigExperiments } from './experiments/config-experiments';

// The words of SPEC §2: ids, the assignment record, its statuses and errors.
export { areaId, driver, isIdentifier, orderId, AreaId, DriverId, OrderId, ParkDbId, UserId, type Driver } from './domain/ids';
export {
  ASSIGNMENT_ERROR_CODES,
  FINAL_ERROR_CODES,
  RETRYABLE_ERROR_CODES,
  STATUSES,
  isActive,
  isFinal,
  isRetryable,
  type Actor,
  type Assignment,
  type AssignmentErrorCode,
  type Change,
  type FinalErrorCode,
  type LookupFailureCode,
  type ProcessingEvent,
  type RetryableErrorCode,
  type Status,
} from './domain/assignment';
export type { DriverView } from './domain/driver-view';
export { DOMAIN_ERROR_CODES, type DomainError, type DomainErrorCode } from './errors';

// The ports an embedder implements or passes (the tracker, the clock, ...).
export type * from './ports';

// The configuration (SPEC §8).
export {
  AREA_DEFAULTS,
  CHECK_DIGIT_SCHEMES,
  DEFAULT_GENERATOR,
  areaSettingsOf,
  type AreaSettings,
  type CheckDigitScheme,
  type DispatchConfig,
  type ExperimentSettings,
  type GeneratorSettings,
} from './config/config';
export { HOST_SECTIONS, decodeConfig, formatConfigIssues, splitConfigDocument, type ConfigIssue } from './config/codec';
export type { ValidationIssue } from './config/report';

// Codes as people see and type them (SPEC §5).
export { codeSpaceSize, displayCode, parseCode, MAX_TYPED_LENGTH, type CodeParseError } from './codes';

// What the passenger and the driver are told.
export { SUPPORTED_LOCALES, driverMessage, negotiateLocale, pickInstructions, type Locale } from './i18n/messages';

// The use cases' answers.
export type { DriverStatus, VisibleDriverView } from './use-cases/driver-status';
export type { LookupResult } from './use-cases/lookup-driver';
export type { SweepReport } from './use-cases/sweep';
