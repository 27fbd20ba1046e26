import type { components } from './generated/openapi';

export type ProblemCode = components['schemas']['ProblemCode'];
export type ProblemDocument = components['schemas']['Problem'];

/** A problem document (RFC 9457) the service answered, with its machine-readable `code`. */
export class CodeDispatchProblem extends Error {
  override readonly name = 'CodeDispatchProblem';
  readonly status: number;
  readonly code: ProblemCode;
  readonly detail: string;
  /** On 400 invalid_request: the offending fields. */
  readonly errors?: ProblemDocument['errors'];
  /** Driver endpoints: the code explained to the driver (Accept-Language). */
  readonly driverMessage?: string;
  /** From `Retry-After` (429 too_many_attempts, 503). */
  readonly retryAfterS?: number;
  readonly body: ProblemDocument;

  constructor(body: ProblemDocument, retryAfterS: number | undefined) {
    super(`${body.status} ${body.code}: ${body.detail}`);
    this.status = body.status;
    this.code = body.code;
    this.detail = body.detail;
    this.body = body;
    if (body.errors !== undefined) this.errors = body.errors;
    if (body.message !== undefined) this.driverMessage = body.message;
    if (retryAfterS !== undefined) this.retryAfterS = retryAfterS;
  }
}

/** The request did not get an answer: connection refused or reset, DNS, TLS. The request may have reached the service. */
export class CodeDispatchNetworkError extends Error {
  override readonly name = 'CodeDispatchNetworkError';
  constructor(cause: unknown) {
    super(`code dispatch unreachable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** An answer that is neither the documented success nor a problem document (a proxy's error page, say). */
export class CodeDispatchUnexpectedResponse extends Error {
  override readonly name = 'CodeDispatchUnexpectedResponse';
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`unexpected answer from code dispatch: HTTP ${status}`);
  }
}

const isProblem = (body: unknown): body is ProblemDocument =>
  typeof body === 'object' &&
  body !== null &&
  typeof (body as Record<string, unknown>).code === 'string' &&
  typeof (body as Record<string, unknown>).status === 'number';

/** Seconds of a `Retry-After` header (delta-seconds only, as the service sends). */
export const retryAfterSeconds = (response: Response): number | undefined => {
  const value = response.headers.get('retry-after');
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
};

/** The error for a non-2xx answer. */
export const errorOf = (response: Response, body: unknown): Error =>
  isProblem(body)
    ? new CodeDispatchProblem(body, retryAfterSeconds(response))
    : new CodeDispatchUnexpectedResponse(response.status, body);
