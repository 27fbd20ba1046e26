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

export const driverView = (a: Assignment, viewer: Driver): DriverView => {
  if (sameDriver(a.driver, viewer)) {
    return { kind: 'current', status: a.status, errorCode: a.errorCode, updatedAt: a.updatedAt };
  }
  // Replay the log: each attempt starts when a driver moves the record to
  // processing, and ends when it leaves processing.
  let attemptDriver: Driver | null = null;
  let failure: { errorCode: AssignmentErrorCode; at: Date } | null = null;
  for (const change of a.changes) {
    if (change.to === 'processing' && change.actor.kind === 'driver') {
      attemptDriver = change.actor.driver;
    } else if (change.from === 'processing' && change.to === 'error' && change.errorCode !== undefined) {
      if (sameDriver(attemptDriver, viewer)) failure = { errorCode: change.errorCode, at: change.at };
      attemptDriver = null;
    }
  }
  return failure === null
    ? { kind: 'none' }
    : { kind: 'earlier_attempt', status: 'error', errorCode: failure.errorCode, updatedAt: failure.at };
};
