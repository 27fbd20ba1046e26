import type { Entry } from './typing';

/*
 * What a run keeps: every request it made, every event the processing
 * stand-in received, every passenger's fate, and the samples of the time
 * series. Times are ms from the start of the run (`at`) unless named
 * otherwise; all of it is plain data, so a later check (the chaos run) can
 * hold it against the database.
 */

/** Who sent a request. */
export type Actor = 'order_system' | 'driver' | 'processing' | 'monitor' | 'verifier';

/** How a request ended: answered (any status), its deadline passed, the connection failed, or the run stopped it. */
export type RequestOutcome = 'answered' | 'timeout' | 'network_error' | 'aborted';

export interface RequestRecord {
  /** When it was sent, ms from the start of the run. */
  readonly at: number;
  readonly actor: Actor;
  readonly method: 'GET' | 'POST';
  /** The route without its parameters: `/v1/order/create`, `/v1/assignments/{order_id}`. */
  readonly route: string;
  /** The instance it went to (base URL). */
  readonly instance: string;
  readonly outcome: RequestOutcome;
  /** The HTTP status; null without an answer. */
  readonly status: number | null;
  /** The problem document's `code` of a non-2xx answer; null otherwise. */
  readonly errorCode: string | null;
  /** Until the answer (body read) or until the request ended without one. */
  readonly latencyMs: number;
  /** The client-side deadline it was sent with. */
  readonly deadlineMs: number;
  readonly orderId: string | null;
}

/** One code entry by a driver (an assign request that got an answer), and what the service said. */
export interface EntryRecord {
  readonly at: number;
  readonly areaId: string;
  readonly orderId: string;
  readonly driverId: string;
  /** What the driver meant to type. */
  readonly entry: Entry;
  /** 200 → the status reached (`processing`, `assigned`, `error`); otherwise the problem `code`. */
  readonly answer: string;
}

/** An event as the processing stand-in received it (deduplicated by event_id). */
export interface ReceivedEvent {
  readonly eventId: string;
  readonly orderId: string;
  readonly areaId: string;
  readonly attempt: number;
  readonly parkDbId: string;
  readonly driverId: string;
  /** How many times it was delivered and acknowledged (1 unless redelivered). */
  readonly deliveries: number;
  readonly firstAt: number;
  readonly lastAt: number;
  /** What the lookup made of it: `assigned`, `error:<code>`, `skipped:stale`, `<status>:<code>` of a refusal, or `pending`/`gave_up`. */
  readonly lookup: string;
}

/** Where a passenger ended, as the service reports it (GET /v1/assignments/{order_id} after the run). */
export type FinalOutcome = 'assigned' | 'cancelled' | 'expired' | 'not_created' | 'unfinished' | 'unknown';

export interface PassengerRecord {
  readonly orderId: string;
  readonly areaId: string;
  readonly arrivedAt: number;
  /** Null when the order was never created. */
  readonly code: string | null;
  /** The passenger's intent: to cancel (at this time), or not (null). */
  readonly cancelAt: number | null;
  /** What the simulation saw: `assigned`, `cancelled`, `expired`, `not_created`, `unfinished`. */
  readonly clientOutcome: FinalOutcome;
  /** What the service said after the run; `unknown` when it could not be read. */
  readonly finalOutcome: FinalOutcome;
  /** The record's status and error code after the run (`error/expired`), or why it is unknown. */
  readonly finalStatus: string;
  /** The driver who got the ride. */
  readonly driverId: string | null;
  /** From the start of the accepted code entry to the driver's status showing `assigned`; null without a ride. */
  readonly entryToAssignedMs: number | null;
  readonly assignedAt: number | null;
  /** Code entries made for this passenger, by all drivers. */
  readonly entries: number;
}

/** One sample of the time series. */
export interface Sample {
  readonly at: number;
  /** Per area: passengers waiting at the queue, drivers waiting in it, drivers busy with a code. */
  readonly waiting: Readonly<Record<string, number>>;
  readonly driversQueued: Readonly<Record<string, number>>;
  /** Per area, from `codedispatch_code_space_used_ratio`; absent when /metrics did not answer. */
  readonly codeSpace: Readonly<Record<string, number>>;
  /** `codedispatch_outbox_depth`; null when /metrics did not answer. */
  readonly outboxDepth: number | null;
}
