import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import * as E from 'fp-ts/Either';
import { negotiateLocale, type DomainError, type Locale } from '@codedispatch/core';
import { errorFields, type Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Authenticator, Caller, CallerKind } from './auth';
import { fromDomainError, invalidRequest, toProblem, type HttpFailure } from './problem';

/*
 * The express plumbing shared by every route: request ids, the one log line
 * and latency sample per request, credentials, JSON bodies, and the mapping
 * of every failure to a problem document.
 */

/** What the middleware leaves for the handlers, in `res.locals`. */
interface Locals {
  requestId?: string;
  driverLocale?: Locale;
  caller?: Caller;
}

const locals = (res: Response): Locals => res.locals as Locals;

export const requestIdOf = (res: Response): string => locals(res).requestId ?? '-';

/** An incoming `X-Request-Id` is kept when it is short visible ASCII; otherwise one is made. */
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** The route pattern of a request (`/v1/assignments/:order_id`), never its raw path. */
const routeOf = (req: Request): string => {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? req.baseUrl + path : 'unmatched';
};

/** Request id, one JSON log line and one latency sample per request. No headers, no bodies, no tokens. */
export const requestContext =
  (logger: Logger, metrics: Metrics): RequestHandler =>
  (req, res, next) => {
    const started = process.hrtime.bigint();
    const incoming = req.get('x-request-id');
    const requestId = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    locals(res).requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    let logged = false;
    const done = (aborted: boolean): void => {
      if (logged) return;
      logged = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(req);
      const status = aborted && !res.headersSent ? 499 : res.statusCode;
      metrics.httpDuration.observe({ method: req.method, route, status: String(status) }, seconds);
      logger.log(status >= 500 ? 'warn' : 'info', 'request', {
        request_id: requestId,
        method: req.method,
        route,
        status,
        duration_ms: Math.round(seconds * 1e6) / 1e3,
        ...(aborted ? { aborted: true } : {}),
      });
    };
    res.on('finish', () => done(false));
    res.on('close', () => done(!res.writableFinished));
    next();
  };

/** Sends a problem document (with the driver's `message` on driver endpoints). */
export const sendProblem = (res: Response, failure: HttpFailure): void => {
  const rendered = toProblem(failure, {
    ...(locals(res).driverLocale !== undefined ? { driverLocale: locals(res).driverLocale } : {}),
  });
  res.status(rendered.status).set(rendered.headers).type('application/problem+json').send(JSON.stringify(rendered.body));
};

/** A use case's failure; an infrastructure cause is logged with the request id, never sent. */
export const sendDomainError = (logger: Logger, res: Response, e: DomainError): void => {
  if (e.code === 'storage_unavailable') {
    logger.error('storage unavailable', { request_id: requestIdOf(res), ...errorFields(e.cause) });
  }
  sendProblem(res, fromDomainError(e));
};

/** Marks a driver endpoint: its problem documents carry `message` in the driver's language. */
export const driverEndpoint: RequestHandler = (req, res, next) => {
  locals(res).driverLocale = negotiateLocale(req.get('accept-language'));
  next();
};

export const driverLocaleOf = (res: Response): Locale => locals(res).driverLocale ?? 'en';

/** Credentials of the needed kind, or 401/403 (the first check of SPEC §6). */
/** The gateway's identity headers, as the API documents them. */
const IDENTITY_HEADERS = ['X-Park-Id', 'X-Driver-Profile-Id'] as const;

/**
 * A repeated identity header is refused: Node joins repeats into "park1,
 * park2", which would otherwise pass as one odd identity.
 */
const repeatedIdentityHeaders = (req: Request): HttpFailure | null => {
  const repeated = IDENTITY_HEADERS.filter((name) => (req.headersDistinct[name.toLowerCase()]?.length ?? 0) > 1);
  return repeated.length === 0
    ? null
    : invalidRequest(
        repeated.map((name) => ({ path: name, message: 'given more than once: send one identity' })),
        `${repeated.join(' and ')} must be sent once.`,
      );
};

export const requireCaller =
  (authenticator: Authenticator, needed: CallerKind): RequestHandler =>
  async (req, res, next) => {
    const repeated = needed === 'driver' ? repeatedIdentityHeaders(req) : null;
    if (repeated !== null) return sendProblem(res, repeated);
    const result = await authenticator.authenticate(
      { authorization: req.get('authorization'), parkId: req.get('x-park-id'), driverProfileId: req.get('x-driver-profile-id') },
      needed,
    );
    if (E.isLeft(result)) return sendProblem(res, result.left);
    locals(res).caller = result.right;
    next();
  };

export const serviceNameOf = (res: Response): string => {
  const caller = locals(res).caller;
  if (caller?.kind !== 'service') throw new Error('no service caller: requireCaller(service) must run first');
  return caller.name;
};

export const operatorNameOf = (res: Response): string => {
  const caller = locals(res).caller;
  if (caller?.kind !== 'operator') throw new Error('no operator caller: requireCaller(operator) must run first');
  return caller.name;
};

export const driverOf = (res: Response) => {
  const caller = locals(res).caller;
  if (caller?.kind !== 'driver') throw new Error('no driver caller: requireCaller(driver) must run first');
  return caller.driver;
};

export const MAX_BODY_BYTES = 64 * 1024;
const JSON_TYPES = ['application/json', 'application/*+json'];

const parseJson = express.json({ limit: MAX_BODY_BYTES, type: JSON_TYPES, strict: true });

/**
 * A JSON body of at most 64 KiB. A body of another type → 415; too large →
 * 413; malformed → 400 (via the error handler). An empty body, whatever its
 * type, is left undefined, for the codec to refuse as "expected a JSON object".
 */
export const jsonBody: RequestHandler = (req, res, next) => {
  const empty = req.headers['transfer-encoding'] === undefined && (req.headers['content-length'] ?? '0') === '0';
  if (empty) return next();
  if (req.is(JSON_TYPES) === false) {
    return sendProblem(res, { code: 'unsupported_media_type', detail: 'The body must be application/json.' });
  }
  parseJson(req, res, next);
};

/** Routes answer `Cache-Control: no-store`: states change by the second. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

export const notFound: RequestHandler = (req, res) => {
  sendProblem(res, { code: 'not_found', detail: 'No such route.' });
};

const allowHeader = (allowed: readonly string[]): string =>
  [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');

/** A route pattern (`/v1/assignments/:order_id`) as a regular expression over the path. */
const routePattern = (route: string): RegExp =>
  new RegExp(`^${route.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[a-z_]+/g, '[^/]+')}/?$`);

/**
 * OPTIONS: 204 with the route's methods in `Allow`. One layer in front of the
 * routes that steps aside at once for every other method (one layer per
 * route there cost every request a path match each).
 */
export const options = (routes: Readonly<Record<string, readonly string[]>>): RequestHandler => {
  const compiled = Object.entries(routes).map(([route, allowed]) => ({
    pattern: routePattern(route),
    allow: allowHeader(allowed),
  }));
  return (req, res, next) => {
    if (req.method !== 'OPTIONS') return next();
    const match = compiled.find((r) => r.pattern.test(req.path));
    if (match === undefined) return next();
    res.setHeader('Allow', match.allow);
    res.status(204).end();
  };
};

export const methodNotAllowed =
  (allowed: readonly string[]): RequestHandler =>
  (_req, res) => {
    const allow = allowHeader(allowed);
    sendProblem(res, { code: 'method_not_allowed', detail: `Use ${allow}.`, headers: { Allow: allow } });
  };

interface HttpishError {
  readonly status?: unknown;
  readonly statusCode?: unknown;
  readonly type?: unknown;
}

/** Errors raised by express and body-parser carry a 4xx status; anything else is a bug. */
const clientFailure = (err: unknown): HttpFailure | null => {
  const e = (typeof err === 'object' && err !== null ? err : {}) as HttpishError;
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 413) return { code: 'payload_too_large', detail: `The body exceeds ${MAX_BODY_BYTES} bytes.` };
  if (status === 415)
    return { code: 'unsupported_media_type', detail: 'The body must be UTF-8 JSON without an unsupported content encoding.' };
  if (e.type === 'entity.parse.failed')
    return invalidRequest([{ path: '', message: 'the body is not valid JSON' }], 'The body is not valid JSON.');
  if (status >= 400 && status < 500)
    return invalidRequest([{ path: '', message: 'the request could not be read' }], 'The request could not be read.');
  return null;
};

/** The last handler: a problem document for every failure; a stack trace only in the log. */
export const errorHandler =
  (logger: Logger): ErrorRequestHandler =>
  (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      logger.error('error after the response started', { request_id: requestIdOf(res), ...errorFields(err) });
      return next(err);
    }
    const failure = clientFailure(err);
    if (failure !== null) return sendProblem(res, failure);
    logger.error('unexpected error', {
      request_id: requestIdOf(res),
      method: req.method,
      route: routeOf(req),
      ...errorFields(err),
    });
    sendProblem(res, { code: 'internal_error', detail: `Unexpected error; request id ${requestIdOf(res)}.` });
  };
