import type { Assignment, AssignmentErrorCode, Status } from './assignment';
import { sameDriver, type Driver } from './ids';

/** What one driver may see of an assignment (SPEC §6, status). */
export type DriverView =
  /** The driver of the current attempt sees the assignment as it is. */
  | {
      readonly kind: 'current';
      readonly status: Status;
      readonly errorCode: AssignmentErrorCode | null;
      readonly updatedAt: Date;
    }
  /**
   * A driver whose earlier attempt failed, and who is no longer the current
   * driver, keeps seeing the failure of his own attempt, whatever happens next.
   */
  | {
      readonly kind: 'earlier_attempt';
      readonly status: 'error';
      readonly errorCode: AssignmentErrorCode;
      readonly updatedAt: Date;
    }
  /** Anyone else sees nothing: other orders must not leak. */
  | { readonly kind: 'none' };

/**
 * Replays the change log: each attempt starts when a driver moves the record
 * to processing and ends when it leaves processing. A driver whose latest
 * attempt failed sees that failure for good — another driver's entry, expiry
 * or cancellation afterwards belong to the order, not to his attempt.
 */
export const driverView = (a: Assignment, viewer: Driver): DriverView => {
  let attemptDriver: Driver | null = null;
  let failure: { errorCode: AssignmentErrorCode; at: Date; last: boolean } | null = null;
  a.changes.forEach((change, i) => {
    if (change.to === 'processing' && change.actor.kind === 'driver') {
      attemptDriver = change.actor.driver;
      if (sameDriver(attemptDriver, viewer)) failure = null; // a new attempt of his own
    } else if (change.from === 'processing') {
      if (sameDriver(attemptDriver, viewer) && change.to === 'error' && change.errorCode !== undefined) {
        failure = { errorCode: change.errorCode, at: change.at, last: i === a.changes.length - 1 };
      }
      attemptDriver = null;
    }
  });
  const current: DriverView = { kind: 'current', status: a.status, errorCode: a.errorCode, updatedAt: a.updatedAt };
  if (failure === null) return sameDriver(a.driver, viewer) ? current : { kind: 'none' };
  // Nothing has happened since his attempt failed: the record is that failure.
  const { errorCode, at, last } = failure;
  return last ? current : { kind: 'earlier_attempt', status: 'error', errorCode, updatedAt: at };
};
