import type { Actor, Assignment, Change, ProcessingEvent } from './domain/assignment';
import type { AreaId, Driver, OrderId } from './domain/ids';
import type { DispatchConfig } from './config/config';

/*
 * The core's view of the world (SPEC §7). Adapters live outside the core.
 *
 * Convention: an expected outcome (a code already taken, a lost race) is a
 * value; a thrown error or rejected promise means the infrastructure failed
 * (database down), which the use cases turn into `storage_unavailable`.
 */

export interface Clock {
  now(): Date;
}

/** A cryptographically secure source in production; seeded in tests. */
export interface CodeRandom {
  /** A uniformly distributed integer in [0, bound). */
  int(bound: number): number;
}

/** The currently valid configuration (it may be reloaded while running). */
export interface ConfigSource {
  current(): DispatchConfig;
}

/** A new assignment, before a code is chosen for it. */
export interface AssignmentDraft {
  readonly orderId: OrderId;
  readonly areaId: AreaId;
  readonly userId: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly actor: Actor;
}

export type InsertOutcome =
  | { readonly kind: 'inserted'; readonly assignment: Assignment }
  /** Another record already has this order_id (a retry or a race). */
  | { readonly kind: 'order_exists'; readonly assignment: Assignment }
  /** Every candidate is active or cooling down in that area. */
  | { readonly kind: 'all_taken' };

export interface TransitionWrite {
  /** The version the transition was computed from (compare-and-set). */
  readonly expectedVersion: number;
  /**
   * The record after the transition (as `transition` computed it: its
   * `version` is `expectedVersion + 1`); the stored log gains `change`.
   */
  readonly next: Assignment;
  /** The change-log entry, appended in the same transaction. */
  readonly change: Change;
  /** The outbox event, written in the same transaction. */
  readonly event?: ProcessingEvent;
  /** A code entry that succeeded by this transition: its reservation is taken back in the same transaction. */
  readonly releasesAttempt?: AttemptEntry;
}

export type TransitionOutcome =
  | { readonly kind: 'applied'; readonly assignment: Assignment }
  /** The record moved on since it was read: reload and decide again. */
  | { readonly kind: 'conflict' }
  /** The driver already has another assignment in processing (§3 invariant). */
  | { readonly kind: 'driver_has_processing' };

/** A driver's code entry in an area, as the attempt limit counts it (SPEC §6, brute force). */
export interface AttemptEntry {
  readonly areaId: AreaId;
  readonly driver: Driver;
  /** When it was made: the time it counts at if it fails. */
  readonly at: Date;
}

export interface AttemptLimit {
  /** The start of the window: failures at or before it no longer count. */
  readonly since: Date;
  readonly maxFailures: number;
}

export type AttemptReservation =
  | { readonly kind: 'reserved' }
  /** The driver has `maxFailures` failed or undecided entries in the window: their times, oldest first. */
  | { readonly kind: 'refused'; readonly failures: readonly Date[] };

/** A driver's entry of a well-formed code, for the one-statement path of `enterCode` (SPEC §6, assign). */
export interface CodeEntry extends AttemptEntry {
  /** Normalised. */
  readonly code: string;
  readonly limit: AttemptLimit;
  /** A record in processing last updated at or before this has timed out: the entry is left undecided. */
  readonly processingTimedOutAt: Date;
  /** The driver's own `assigned` record of this code, released after this, makes the entry a repeat. */
  readonly repeatReleasedAfter: Date;
}

/**
 * What `enterCode` made of an entry. The first four are final answers; the
 * last two leave it to the use case's slower path, which reads, settles and
 * writes in several statements (a due expiry or timeout, the driver's other
 * record in processing, a lost race).
 */
export type CodeEntryOutcome =
  /** Moved to processing with this driver, its change and its event written. Not counted as a failure. */
  | { readonly kind: 'entered'; readonly assignment: Assignment }
  /** This driver's own record in processing, or assigned to him: nothing written. Not counted. */
  | { readonly kind: 'repeated'; readonly assignment: Assignment }
  /** Counted as a failure. */
  | { readonly kind: 'not_found' }
  /** Another driver holds the code. Counted as a failure. */
  | { readonly kind: 'in_use' }
  /** The attempt limit is reached: the failure times in the window, oldest first. Nothing counted. */
  | { readonly kind: 'refused'; readonly failures: readonly Date[] }
  /** Counted as a failure until the slower path takes it back (`releaseAttempt`). */
  | { readonly kind: 'undecided' }
  /** The record moved meanwhile: nothing counted; decide again from the start. */
  | { readonly kind: 'lost_race' };

export interface AssignmentRepository {
  findByOrder(orderId: OrderId): Promise<Assignment | null>;
  /** The assignment whose code is active in that area, if any. */
  findActiveByCode(areaId: AreaId, code: string): Promise<Assignment | null>;
  /** The latest assignment with this code that this driver completed, released after `releasedAfter`. */
  findAssignedByCodeAndDriver(areaId: AreaId, code: string, driver: Driver, releasedAfter: Date): Promise<Assignment | null>;
  findProcessingByDriver(driver: Driver): Promise<Assignment | null>;
  /** Whether the area still holds an active imported (legacy) code. */
  hasActiveLegacyCodes(areaId: AreaId): Promise<boolean>;
  /**
   * Insert the draft with the first candidate code that is neither active nor
   * released after `cooldownCutoff` in the area, in one round trip.
   */
  insertWithFreshCode(draft: AssignmentDraft, candidates: readonly string[], cooldownCutoff: Date): Promise<InsertOutcome>;
  /** How many codes of `codeLength` characters are active or cooling down in the area. */
  countTakenCodes(areaId: AreaId, codeLength: number, cooldownCutoff: Date): Promise<number>;
  applyTransition(write: TransitionWrite): Promise<TransitionOutcome>;
  /**
   * Counts the entry as failed before it is looked up, unless the driver
   * already has `limit.maxFailures` failed or undecided entries in the area
   * after `limit.since`. Calls for one driver and area are serialised, on any
   * number of instances: at most `maxFailures` entries are counted at once.
   */
  reserveAttempt(entry: AttemptEntry, limit: AttemptLimit): Promise<AttemptReservation>;
  /**
   * The common path of a code entry as one atomic step: the attempt limit,
   * the code's record, the move to processing with its change and event, the
   * failure counted or not — with the same answers as the slower path made
   * of the other methods (`entryVerdict` says which), and the same
   * serialisation of one driver's entries in an area as `reserveAttempt`.
   */
  enterCode(entry: CodeEntry): Promise<CodeEntryOutcome>;
  /** Takes a reservation back: the entry did not fail (one entry made at `entry.at`). */
  releaseAttempt(entry: AttemptEntry): Promise<void>;
  /** Pending or retryable-error records whose `expiresAt` is not after `now`, oldest expiry first. */
  findExpired(now: Date, limit: number): Promise<readonly Assignment[]>;
  /** Processing records last updated at or before `updatedBefore`, oldest first. */
  findProcessingSince(updatedBefore: Date, limit: number): Promise<readonly Assignment[]>;
}

export type AcquireResult =
  | { readonly kind: 'acquired'; readonly position?: { readonly lat: number; readonly lon: number } }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'busy' }
  | { readonly kind: 'out_of_area' }
  /** Unreachable, timing out, 5xx, or the circuit is open: try again later. */
  | { readonly kind: 'unavailable'; readonly retryAfterS: number };

export interface DriverTracker {
  acquire(driver: Driver, orderId: OrderId, areaId: AreaId): Promise<AcquireResult>;
}

export interface Experiments {
  /** Is `code_dispatch` on for this area and user (or order, when no user is known)? */
  isCodeDispatchEnabled(areaId: AreaId, userKey: string): Promise<boolean>;
}
