import type { AreaId, Driver, OrderId } from './ids';

export const STATUSES = ['pending', 'processing', 'assigned', 'error'] as const;
export type Status = (typeof STATUSES)[number];

/** Driver-side failures: the passenger's code stays valid and may be entered again. */
export const RETRYABLE_ERROR_CODES = [
  'driver_not_found_in_tracker',
  'driver_busy',
  'driver_out_of_area',
  'processing_timeout',
] as const;
export type RetryableErrorCode = (typeof RETRYABLE_ERROR_CODES)[number];

/** The order is over: the code is released. */
export const FINAL_ERROR_CODES = ['order_cancelled', 'expired'] as const;
export type FinalErrorCode = (typeof FINAL_ERROR_CODES)[number];

export type AssignmentErrorCode = RetryableErrorCode | FinalErrorCode;
export const ASSIGNMENT_ERROR_CODES: readonly AssignmentErrorCode[] = [...RETRYABLE_ERROR_CODES, ...FINAL_ERROR_CODES];

/** What the tracker said when a lookup could not acquire the driver. */
export type LookupFailureCode = Exclude<RetryableErrorCode, 'processing_timeout'>;

export const isRetryable = (code: AssignmentErrorCode | null): code is RetryableErrorCode =>
  code !== null && (RETRYABLE_ERROR_CODES as readonly string[]).includes(code);

export type Actor =
  | { readonly kind: 'service'; readonly name: string }
  | { readonly kind: 'driver'; readonly driver: Driver }
  | { readonly kind: 'system' };

/** One entry of the append-only change log; creation is the first (from = null). */
export interface Change {
  readonly at: Date;
  readonly from: Status | null;
  readonly to: Status;
  readonly actor: Actor;
  readonly errorCode?: AssignmentErrorCode;
  readonly reason?: string;
}

export interface Assignment {
  readonly orderId: OrderId;
  readonly areaId: AreaId;
  /** Normalised: no separators. */
  readonly code: string;
  readonly status: Status;
  readonly errorCode: AssignmentErrorCode | null;
  /** The driver of the current (latest) attempt. */
  readonly driver: Driver | null;
  readonly userId: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly expiresAt: Date;
  /** When a final state released the code; the reuse cooldown counts from here. */
  readonly releasedAt: Date | null;
  /** How many times a driver entered the code (the processing event's `attempt`). */
  readonly attempt: number;
  /** Imported from MongoDB: the code may follow no current format. */
  readonly legacy: boolean;
  /** Optimistic-concurrency token: bumped by every transition. */
  readonly version: number;
  readonly changes: readonly Change[];
}

/**
 * Active: the code is held by this assignment and can be entered
 * (pending, processing, or a retryable error).
 */
export const isActive = (a: Pick<Assignment, 'status' | 'errorCode'>): boolean =>
  a.status === 'pending' || a.status === 'processing' || (a.status === 'error' && isRetryable(a.errorCode));

/** Final: nothing can happen to the assignment any more. */
export const isFinal = (a: Pick<Assignment, 'status' | 'errorCode'>): boolean => !isActive(a);

/** The "driver entered the code" event handed to order processing (SPEC §7). */
export interface ProcessingEvent {
  readonly type: 'code_dispatch.code_entered';
  readonly orderId: OrderId;
  readonly areaId: AreaId;
  readonly driver: Driver;
  readonly attempt: number;
  readonly occurredAt: Date;
}
