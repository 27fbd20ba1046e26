import { Type } from '@sinclair/typebox';
import {
  driverMessage,
  type DomainError,
  type DomainErrorCode,
  type Locale,
  type Status,
  type ValidationIssue,
} from '@codedispatch/core';
import { closed, component, type Same, type Static } from './shapes';

/**
 * Problem documents (RFC 9457) with a machine-readable `code` (SPEC §6).
 * One exhaustive table gives the HTTP status of every code the API can
 * answer: the core's domain errors and the shell's own (auth, routing,
 * request shape, the unexpected).
 */

export type ShellErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'internal_error';

export type ProblemCode = DomainErrorCode | ShellErrorCode;

export const STATUS_OF: Readonly<Record<ProblemCode, number>> = {
  invalid_request: 400,
  invalid_code_format: 400,
  invalid_code_checksum: 400,
  unauthorized: 401,
  forbidden: 403,
  area_not_found: 404,
  assignment_not_found: 404,
  code_not_found: 404,
  not_found: 404,
  method_not_allowed: 405,
  area_disabled: 409,
  code_dispatch_disabled: 409,
  processing_disabled: 409,
  order_exists_in_other_area: 409,
  code_already_in_use: 409,
  driver_has_active_assignment: 409,
  assignment_not_processing: 409,
  order_already_assigned: 409,
  illegal_transition: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_attempts: 429,
  internal_error: 500,
  code_space_exhausted: 503,
  tracker_unavailable: 503,
  storage_unavailable: 503,
};

export const PROBLEM_CODES = Object.keys(STATUS_OF) as readonly ProblemCode[];

export const ProblemCodeShape = Type.Unsafe<ProblemCode>({ type: 'string', enum: [...PROBLEM_CODES] });

const TITLE_OF: Readonly<Record<ProblemCode, string>> = {
  invalid_request: 'The request is not valid',
  invalid_code_format: 'The code has the wrong format',
  invalid_code_checksum: 'The code has a typo',
  unauthorized: 'Credentials are missing or invalid',
  forbidden: 'These credentials may not call this endpoint',
  area_not_found: 'No such area',
  assignment_not_found: 'No such assignment',
  code_not_found: 'No active order has this code',
  not_found: 'No such resource',
  method_not_allowed: 'Method not allowed',
  area_disabled: 'Code dispatch is disabled in this area',
  code_dispatch_disabled: 'Code dispatch is off for this order',
  processing_disabled: 'Code processing is disabled',
  order_exists_in_other_area: 'The order exists in another area',
  code_already_in_use: 'Another driver holds this code',
  driver_has_active_assignment: 'The driver has another assignment in processing',
  assignment_not_processing: 'The assignment is not in processing',
  order_already_assigned: 'The order is already assigned',
  illegal_transition: 'Illegal transition',
  payload_too_large: 'The request body is too large',
  unsupported_media_type: 'Unsupported media type',
  too_many_attempts: 'Too many failed code entries',
  internal_error: 'Internal error',
  code_space_exhausted: 'No free code in this area',
  tracker_unavailable: 'The tracker is unavailable',
  storage_unavailable: 'The database is unavailable',
};

/** Where problem types are documented: one URN per code. */
export const problemType = (code: ProblemCode): string => `urn:codedispatch:problem:${code}`;

/** A failure as the HTTP shell answers it, before it is rendered. */
export interface HttpFailure {
  readonly code: ProblemCode;
  readonly detail?: string;
  /** The offending fields of a 400 (SPEC §6: every 400 names them). */
  readonly errors?: readonly ValidationIssue[];
  /** Seconds, for 429 and 503 answers. */
  readonly retryAfterS?: number;
  readonly assignmentStatus?: Status;
  /** Headers the answer must carry besides Retry-After (e.g. `Allow`, `WWW-Authenticate`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The problem document as every failure answers it. */
export const ProblemDocument = Type.Object(
  {
    type: Type.String({ format: 'uri', examples: [problemType('code_already_in_use')] }),
    title: Type.String(),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    code: component<ProblemCode>('ProblemCode'),
    detail: Type.String(),
    errors: Type.Optional(
      Type.Array(
        Type.Object(
          { path: Type.String({ examples: ['order_id'] }), message: Type.String() },
          { ...closed, description: 'An offending field.' },
        ),
        { description: 'On 400 invalid_request: the offending fields (`path` is empty for the body as a whole).' },
      ),
    ),
    message: Type.Optional(
      Type.String({
        description: "Driver endpoints' 400/404/409/429: the code explained to the driver, in the language of Accept-Language.",
      }),
    ),
    assignment_status: Type.Optional(
      Type.Unsafe<Status>({
        $ref: '#/components/schemas/Status',
        description: 'On assignment_not_processing: the status it is in.',
      }),
    ),
  },
  { ...closed, description: 'RFC 9457 problem document with a machine-readable `code`.' },
);
export type ProblemDocument = Static<typeof ProblemDocument>;

/** The `errors` items are the core's validation issues, as the shape says. */
const issuesAreTheCores: Same<NonNullable<ProblemDocument['errors']>[number], ValidationIssue> = true;
void issuesAreTheCores;

export interface RenderedProblem {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ProblemDocument;
}

/** Statuses whose problem documents carry the driver's localised `message` on driver endpoints (SPEC §6). */
const DRIVER_MESSAGE_STATUSES: ReadonlySet<number> = new Set([400, 404, 409, 429]);

/** Retry hint for a database outage: short, the pool reconnects by itself. */
const STORAGE_RETRY_AFTER_S = 1;

/**
 * A domain error as an HTTP failure. The detail never includes a cause:
 * `storage_unavailable` carries the driver's exception, which is logged, not sent.
 */
export const fromDomainError = (e: DomainError): HttpFailure => {
  switch (e.code) {
    case 'area_not_found':
      return { code: e.code, detail: `Area ${JSON.stringify(e.areaId)} is not configured.` };
    case 'area_disabled':
      return { code: e.code, detail: `Code dispatch is switched off in area ${JSON.stringify(e.areaId)}.` };
    case 'code_dispatch_disabled':
      return { code: e.code, detail: `The code_dispatch experiment is off for this order in area ${JSON.stringify(e.areaId)}.` };
    case 'processing_disabled':
      return { code: e.code, detail: 'Code processing is switched off (processing_enabled: false).' };
    case 'order_exists_in_other_area':
      return { code: e.code, detail: `Order ${JSON.stringify(e.orderId)} already exists in area ${JSON.stringify(e.areaId)}.` };
    case 'code_space_exhausted':
      return { code: e.code, detail: `Every code of area ${JSON.stringify(e.areaId)} is in use or cooling down.` };
    case 'invalid_code_format':
      return { code: e.code, detail: e.detail, errors: [{ path: 'code', message: e.detail }] };
    case 'invalid_code_checksum': {
      const detail = 'The check character does not match: a character is mistyped or two are swapped.';
      return { code: e.code, detail, errors: [{ path: 'code', message: detail }] };
    }
    case 'code_not_found':
      return { code: e.code, detail: 'No active order in this area has this code.' };
    case 'code_already_in_use':
      return { code: e.code, detail: 'Another driver has entered this code.' };
    case 'driver_has_active_assignment':
      return { code: e.code, detail: 'The driver already has an assignment in processing.' };
    case 'too_many_attempts':
      return {
        code: e.code,
        detail: `Too many failed code entries in this area; retry in ${e.retryAfterS} s.`,
        retryAfterS: e.retryAfterS,
      };
    case 'assignment_not_found':
      return { code: e.code, detail: 'No such assignment.' };
    case 'assignment_not_processing':
      return {
        code: e.code,
        detail: `The assignment is ${e.assignmentStatus}, not processing.`,
        assignmentStatus: e.assignmentStatus,
      };
    case 'order_already_assigned':
      return { code: e.code, detail: 'The order is already assigned to a driver.' };
    case 'tracker_unavailable':
      return {
        code: e.code,
        detail: 'The tracker did not answer; the assignment stays in processing.',
        retryAfterS: e.retryAfterS,
      };
    case 'illegal_transition':
      return { code: e.code, detail: `Event ${e.event} is not allowed from ${e.from}.` };
    case 'storage_unavailable':
      return { code: e.code, detail: 'The database is unavailable; try again.', retryAfterS: STORAGE_RETRY_AFTER_S };
    default: {
      const never: never = e;
      return { code: 'internal_error', detail: `unexpected error ${JSON.stringify(never)}` };
    }
  }
};

export interface RenderOptions {
  /** Set on driver endpoints: adds the localised `message` to 400/404/409/429 documents. */
  readonly driverLocale?: Locale;
}

/** The RFC 9457 document, status and headers of a failure. */
export const toProblem = (failure: HttpFailure, options: RenderOptions = {}): RenderedProblem => {
  const status = STATUS_OF[failure.code];
  const headers: Record<string, string> = { ...failure.headers };
  if (failure.retryAfterS !== undefined && (status === 429 || status === 503)) {
    headers['Retry-After'] = String(Math.max(1, Math.ceil(failure.retryAfterS)));
  }
  const withMessage = options.driverLocale !== undefined && DRIVER_MESSAGE_STATUSES.has(status);
  const body: ProblemDocument = {
    type: problemType(failure.code),
    title: TITLE_OF[failure.code],
    status,
    code: failure.code,
    detail: failure.detail ?? TITLE_OF[failure.code],
    ...(status === 400 ? { errors: [...(failure.errors ?? [])] } : {}),
    ...(failure.assignmentStatus !== undefined ? { assignment_status: failure.assignmentStatus } : {}),
    ...(withMessage && options.driverLocale !== undefined ? { message: messageFor(failure.code, options.driverLocale) } : {}),
  };
  return { status, headers, body };
};

/** The driver-facing text; codes without their own text read as words (`not_found` → "not found"). */
const messageFor = (code: ProblemCode, locale: Locale): string =>
  driverMessage(code as Parameters<typeof driverMessage>[0], locale);

/** A 400 naming the offending fields. */
export const invalidRequest = (
  errors: readonly ValidationIssue[],
  detail = 'The request does not have the expected shape.',
): HttpFailure => ({
  code: 'invalid_request',
  detail,
  errors,
});
