import * as E from 'fp-ts/Either';
import {
  isActive,
  isRetryable,
  type Actor,
  type Assignment,
  type AssignmentErrorCode,
  type Change,
  type LookupFailureCode,
  type ProcessingEvent,
  type Status,
} from './assignment';
import type { Driver } from './ids';

/** What can happen to an assignment (SPEC §4); `create` is `newAssignment`. */
export type AssignmentEvent =
  | { readonly type: 'code_entered'; readonly driver: Driver }
  | { readonly type: 'driver_acquired'; readonly by: string }
  | { readonly type: 'lookup_failed'; readonly errorCode: LookupFailureCode; readonly by: string }
  | { readonly type: 'processing_timed_out' }
  | { readonly type: 'cancelled'; readonly by: string; readonly reason?: string }
  | { readonly type: 'expired' };

export type AssignmentEventType = AssignmentEvent['type'];

export interface IllegalTransition {
  readonly code: 'illegal_transition';
  readonly from: Status;
  readonly errorCode: AssignmentErrorCode | null;
  readonly event: AssignmentEventType;
}

/** The outcome of a legal transition: the new record, its log entry and (maybe) its event. */
export interface Transitioned {
  readonly assignment: Assignment;
  readonly change: Change;
  readonly event?: ProcessingEvent;
}

const illegal = (a: Assignment, event: AssignmentEvent): E.Either<IllegalTransition, Transitioned> =>
  E.left({ code: 'illegal_transition', from: a.status, errorCode: a.errorCode, event: event.type });

const actorOf = (event: AssignmentEvent): Actor => {
  switch (event.type) {
    case 'code_entered':
      return { kind: 'driver', driver: event.driver };
    case 'driver_acquired':
    case 'lookup_failed':
    case 'cancelled':
      return { kind: 'service', name: event.by };
    case 'processing_timed_out':
    case 'expired':
      return { kind: 'system' };
    /* istanbul ignore next */
    default:
      return absurd(event);
  }
};

/* istanbul ignore next -- unreachable: the switches above are exhaustive */
const absurd = (x: never): never => {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
};

interface Move {
  readonly to: Status;
  readonly errorCode: AssignmentErrorCode | null;
  readonly driver?: Driver;
  readonly reason?: string;
}

/** Which move an event makes from the record's state, or null when it is illegal there. */
const decide = (a: Assignment, event: AssignmentEvent, now: Date): Move | null => {
  const retryableError = a.status === 'error' && isRetryable(a.errorCode);
  switch (event.type) {
    case 'code_entered':
      // An expired code cannot be entered, even if no sweep has marked it yet.
      return (a.status === 'pending' || retryableError) && now < a.expiresAt
        ? { to: 'processing', errorCode: null, driver: event.driver }
        : null;
    case 'driver_acquired':
      return a.status === 'processing' ? { to: 'assigned', errorCode: null } : null;
    case 'lookup_failed':
      return a.status === 'processing' ? { to: 'error', errorCode: event.errorCode } : null;
    case 'processing_timed_out':
      return a.status === 'processing' ? { to: 'error', errorCode: 'processing_timeout' } : null;
    case 'cancelled':
      return isActive(a)
        ? { to: 'error', errorCode: 'order_cancelled', ...(event.reason !== undefined ? { reason: event.reason } : {}) }
        : null;
    case 'expired':
      // A record in processing never expires: its lookup or timeout decides.
      return (a.status === 'pending' || retryableError) && now >= a.expiresAt ? { to: 'error', errorCode: 'expired' } : null;
    /* istanbul ignore next */
    default:
      return absurd(event);
  }
};

/**
 * The state machine of SPEC §4 as one pure function: the next record, the
 * change-log entry that records the move and, when a driver entered the code,
 * the processing event. Illegal moves are values, never silent writes.
 */
export const transition = (a: Assignment, event: AssignmentEvent, now: Date): E.Either<IllegalTransition, Transitioned> => {
  const move = decide(a, event, now);
  if (move === null) return illegal(a, event);

  const change: Change = {
    at: now,
    from: a.status,
    to: move.to,
    actor: actorOf(event),
    ...(move.errorCode !== null ? { errorCode: move.errorCode } : {}),
    ...(move.reason !== undefined ? { reason: move.reason } : {}),
  };
  const released = !isActive({ status: move.to, errorCode: move.errorCode });
  const assignment: Assignment = {
    ...a,
    status: move.to,
    errorCode: move.errorCode,
    driver: move.driver ?? a.driver,
    attempt: move.driver ? a.attempt + 1 : a.attempt,
    updatedAt: now,
    // A final state releases the code: the reuse cooldown counts from here.
    releasedAt: released ? now : null,
    version: a.version + 1,
    changes: [...a.changes, change],
  };

  if (event.type !== 'code_entered') return E.right({ assignment, change });
  return E.right({
    assignment,
    change,
    event: {
      type: 'code_dispatch.code_entered',
      orderId: a.orderId,
      areaId: a.areaId,
      driver: event.driver,
      attempt: assignment.attempt,
      occurredAt: now,
    },
  });
};

/** A new assignment in `pending`, with its creation logged. */
export const newAssignment = (params: {
  readonly orderId: Assignment['orderId'];
  readonly areaId: Assignment['areaId'];
  readonly code: string;
  readonly userId: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly actor: Actor;
}): Assignment => ({
  orderId: params.orderId,
  areaId: params.areaId,
  code: params.code,
  status: 'pending',
  errorCode: null,
  driver: null,
  userId: params.userId,
  createdAt: params.createdAt,
  updatedAt: params.createdAt,
  expiresAt: params.expiresAt,
  releasedAt: null,
  attempt: 0,
  legacy: false,
  version: 1,
  changes: [{ at: params.createdAt, from: null, to: 'pending', actor: params.actor }],
});
