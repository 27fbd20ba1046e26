import createFetchClient from 'openapi-fetch';
import { errorOf } from './errors';
import type { components, paths } from './generated/openapi';
import { classifyingFetch, DEFAULT_RETRY, withRetries, type RetryOptions } from './retry';

type Schemas = components['schemas'];
export type CreateOrderRequest = Schemas['CreateOrderRequest'];
export type CreateOrderResponse = Schemas['CreateOrderResponse'];
export type CancelOrderRequest = Schemas['CancelOrderRequest'];
export type CancelOrderResponse = Schemas['CancelOrderResponse'];
export type AssignRequest = Schemas['AssignRequest'];
export type DriverState = Schemas['DriverState'];
export type LookupResponse = Schemas['LookupResponse'];
export type Assignment = Schemas['Assignment'];
/** The processing event a webhook receiver gets (and the amqp sink publishes): check its signature first. */
export type ProcessingEvent = Schemas['ProcessingEvent'];
export type Status = Schemas['Status'];
export type AreasResponse = Schemas['AreasResponse'];
export type AreaSummary = Schemas['AreaSummary'];
export type OrderStory = Schemas['OrderStory'];
export type OrdersByCode = Schemas['OrdersByCode'];
export type EventsResponse = Schemas['EventsResponse'];
export type RedriveResponse = Schemas['RedriveResponse'];
export type ConfigStatus = Schemas['ConfigStatusResponse'];
export type AssignmentErrorCode = Schemas['AssignmentErrorCode'];

/**
 * The caller's credentials: a service token, a driver's JWT, a trusted gateway's token with the driver it vouches for,
 * or an operator token (the `ops` calls).
 */
export type Auth =
  | { readonly kind: 'service'; readonly token: string }
  | { readonly kind: 'operator'; readonly token: string }
  | { readonly kind: 'driver'; readonly jwt: string }
  | { readonly kind: 'gateway'; readonly token: string; readonly parkId: string; readonly driverId: string };

export interface ClientOptions {
  /** The service's origin, e.g. `https://codedispatch.internal` (the paths carry `/v1`). */
  readonly baseUrl: string;
  readonly auth: Auth;
  /** Defaults to the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Bounds of the retries of the safe calls; `false` turns them off. */
  readonly retry?: RetryOptions | false;
  /** Sent as Accept-Language (driver messages, instructions). */
  readonly acceptLanguage?: string;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface StatusOptions extends CallOptions {
  /** Long-poll: answer as soon as the driver's view changes, or after this many ms (clamped to 10 000 by the service). */
  readonly waitMs?: number;
}

export interface AreasOptions extends CallOptions {
  /** How many one-minute buckets `series` has (15..180; default 60). */
  readonly windowMin?: number;
}

export interface DeadLettersOptions extends CallOptions {
  /** How many dead letters, newest first (1..500; default 100). */
  readonly limit?: number;
}

export interface CodeDispatchClient {
  /** The order system. */
  readonly orders: {
    /** Issues a code; idempotent by order_id, so retried on network errors and 503. */
    create(body: CreateOrderRequest, options?: CallOptions): Promise<CreateOrderResponse>;
    /** Cancels; never retried (the first try may have reached the service). */
    cancel(body: CancelOrderRequest, options?: CallOptions): Promise<CancelOrderResponse>;
    /** The whole record with its changes. */
    get(orderId: string, options?: CallOptions): Promise<Assignment>;
  };
  /** The driver app. */
  readonly driver: {
    /** Enters a passenger's code; never retried. With `wait_ms` the call long-polls until the lookup decides. */
    enterCode(body: AssignRequest, options?: CallOptions): Promise<DriverState>;
    /** The driver's view of an order; with `waitMs` a long-poll. */
    status(orderId: string, options?: StatusOptions): Promise<DriverState>;
  };
  /** Processing. */
  readonly processing: {
    /** Acquires the driver who entered the code; retried on network errors and 503 (tracker unavailable). */
    lookup(orderId: string, options?: CallOptions): Promise<LookupResponse>;
  };
  /** Operators (an operator token): the operations console's API. The reads are retried; the redrives never. */
  readonly ops: {
    /** Activity by area. */
    areas(options?: AreasOptions): Promise<AreasResponse>;
    /** The record with its change log, and its outbox events. */
    order(orderId: string, options?: CallOptions): Promise<OrderStory>;
    /** The active records of an area with this code, as typed. */
    find(areaId: string, code: string, options?: CallOptions): Promise<OrdersByCode>;
    /** Outbox depth and the dead letters. */
    events(options?: DeadLettersOptions): Promise<EventsResponse>;
    /** Puts one dead letter back in the queue (a problem `not_found` when there is none with this id). */
    redrive(eventId: string, options?: CallOptions): Promise<RedriveResponse>;
    /** Puts every dead letter back in the queue. */
    redriveAll(options?: CallOptions): Promise<RedriveResponse>;
    /** The configuration in force and the last reload. */
    config(options?: CallOptions): Promise<ConfigStatus>;
  };
}

const authHeaders = (auth: Auth): Record<string, string> => {
  switch (auth.kind) {
    case 'service':
    case 'operator':
      return { Authorization: `Bearer ${auth.token}` };
    case 'driver':
      return { Authorization: `Bearer ${auth.jwt}` };
    case 'gateway':
      return { Authorization: `Bearer ${auth.token}`, 'X-Park-Id': auth.parkId, 'X-Driver-Profile-Id': auth.driverId };
    default: {
      const never: never = auth;
      throw new Error(`unknown auth kind: ${JSON.stringify(never)}`);
    }
  }
};

/** openapi-fetch's answer: the typed 200 body, or the error body. */
interface Answer<T> {
  readonly data?: T;
  readonly error?: unknown;
  readonly response: Response;
}

const unwrap = <T>({ data, error, response }: Answer<T>): T => {
  if (response.ok && data !== undefined) return data;
  throw errorOf(response, error ?? data);
};

/** A client of the code-dispatch HTTP API (SPEC §6) for one caller's credentials. */
export const createClient = (options: ClientOptions): CodeDispatchClient => {
  const api = createFetchClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: {
      ...authHeaders(options.auth),
      ...(options.acceptLanguage !== undefined ? { 'Accept-Language': options.acceptLanguage } : {}),
    },
    fetch: classifyingFetch(options.fetch ?? ((input, init) => globalThis.fetch(input, init))),
  });
  const retry = options.retry === false ? undefined : { ...DEFAULT_RETRY, ...options.retry };
  const safe = async <T>(call: () => Promise<Answer<T>>, signal: AbortSignal | undefined): Promise<T> =>
    unwrap(await withRetries(call, retry, signal));
  const once = async <T>(call: () => Promise<Answer<T>>, signal: AbortSignal | undefined): Promise<T> =>
    unwrap(await withRetries(call, undefined, signal));

  return {
    orders: {
      create: (body, { signal } = {}) => safe(() => api.POST('/v1/order/create', { body, signal }), signal),
      cancel: (body, { signal } = {}) => once(() => api.POST('/v1/order/cancel', { body, signal }), signal),
      get: (orderId, { signal } = {}) =>
        safe(() => api.GET('/v1/assignments/{order_id}', { params: { path: { order_id: orderId } }, signal }), signal),
    },
    driver: {
      enterCode: (body, { signal } = {}) => once(() => api.POST('/v1/order/assign', { body, signal }), signal),
      status: (orderId, { waitMs, signal } = {}) =>
        safe(
          () =>
            api.GET('/v1/assignment/status', {
              params: { query: { order_id: orderId, ...(waitMs !== undefined ? { wait_ms: String(waitMs) } : {}) } },
              signal,
            }),
          signal,
        ),
    },
    processing: {
      lookup: (orderId, { signal } = {}) =>
        safe(() => api.POST('/v1/drivers-lookup', { body: { order_id: orderId }, signal }), signal),
    },
    ops: {
      areas: ({ windowMin, signal } = {}) =>
        safe(
          () =>
            api.GET('/v1/ops/areas', {
              params: { query: windowMin !== undefined ? { window_min: windowMin } : {} },
              signal,
            }),
          signal,
        ),
      order: (orderId, { signal } = {}) =>
        safe(() => api.GET('/v1/ops/orders/{order_id}', { params: { path: { order_id: orderId } }, signal }), signal),
      find: (areaId, code, { signal } = {}) =>
        safe(() => api.GET('/v1/ops/orders', { params: { query: { area_id: areaId, code } }, signal }), signal),
      events: ({ limit, signal } = {}) =>
        safe(() => api.GET('/v1/ops/events', { params: { query: limit !== undefined ? { limit } : {} }, signal }), signal),
      redrive: (eventId, { signal } = {}) =>
        once(() => api.POST('/v1/ops/events/{event_id}/redrive', { params: { path: { event_id: eventId } }, signal }), signal),
      redriveAll: ({ signal } = {}) => once(() => api.POST('/v1/ops/events/redrive', { signal }), signal),
      config: ({ signal } = {}) => safe(() => api.GET('/v1/ops/config', { signal }), signal),
    },
  };
};
