import * as E from 'fp-ts/Either';
import { isRetryable, type Assignment } from '../domain/assignment';
import type { OrderId } from '../domain/ids';
import { transition, type AssignmentEvent } from '../domain/transition';
import { areaSettingsOf, type AreaSettings } from '../config/config';
import type { DomainError } from '../errors';
import type { AssignmentRepository, AttemptEntry, Clock, ConfigSource, TransitionOutcome } from '../ports';
import { secondsLater } from './shared';

/** How many rounds a change makes before it gives up on a record that keeps changing. */
export const MAX_CONFLICT_RETRIES = 8;

/** The background event that is due for the record at `now`, if any (SPEC §6, expiry and timeouts). */
const dueEvent = (a: Assignment, settings: AreaSettings, now: Date): AssignmentEvent | null => {
  const enterable = a.status === 'pending' || (a.status === 'error' && isRetryable(a.errorCode));
  if (enterable && now >= a.expiresAt) return { type: 'expired' };
  if (a.status === 'processing' && now >= secondsLater(a.updatedAt, settings.processingTimeoutS)) {
    return { type: 'processing_timed_out' };
  }
  return null;
};

/** The ports a change works with: the use case's own. */
export interface RecordPorts {
  readonly repository: AssignmentRepository;
  readonly config: ConfigSource;
  readonly clock: Clock;
}

/** What a use case decides about a settled record: an answer now, or an event to apply and what to answer once it is applied. */
export type Decision<A> =
  | { readonly kind: 'answer'; readonly result: E.Either<DomainError, A> }
  | {
      readonly kind: 'move';
      readonly event: AssignmentEvent;
      readonly answer: (moved: Assignment, at: Date) => A;
      /** A code entry this move decides: its attempt reservation is taken back in the same transaction. */
      readonly releasesAttempt?: AttemptEntry;
    };

/** What the decision knows besides the record. */
export interface Round {
  /** When the decision is made. */
  readonly now: Date;
  /** Whether this call itself applied a due expiry or timeout to the record (not another instance). */
  readonly settled: boolean;
}

/** One change of one record: how to read it, what to decide about it, and what to answer when it is missing or refused. */
export interface RecordChange<A> {
  /** The record, as the `storage_unavailable` cause names it: `order o1`, `code 123456 in svo_d`. */
  readonly name: string;
  /** Reads the record afresh: by order id, by active code… */
  readonly read: () => Promise<Assignment | null>;
  /** The record as the caller already read it: the first round starts from it instead of reading. */
  readonly known?: Assignment;
  /** The answer when `read` finds no record. */
  readonly missing: () => Promise<E.Either<DomainError, A>> | E.Either<DomainError, A>;
  readonly decide: (record: Assignment, round: Round) => Promise<Decision<A>> | Decision<A>;
  /**
   * The repository refused the move because the driver already has another
   * record in processing (only a `code_entered` move can be refused so):
   * answer, or `again` to read the record and decide afresh. Without it the
   * refusal counts as a lost write.
   */
  readonly driverHasProcessing?: (record: Assignment, at: Date) => Promise<E.Either<DomainError, A> | 'again'>;
}

/** Applies `event` to the record as a compare-and-set, with the transition's log entry and outbox event. */
const write = async (
  repository: AssignmentRepository,
  record: Assignment,
  event: AssignmentEvent,
  at: Date,
  releasesAttempt: AttemptEntry | undefined,
): Promise<E.Either<DomainError, TransitionOutcome>> => {
  const moved = transition(record, event, at);
  if (E.isLeft(moved)) return E.left({ code: 'illegal_transition', from: record.status, event: event.type });
  return E.right(
    await repository.applyTransition({
      expectedVersion: record.version,
      next: moved.right.assignment,
      change: moved.right.change,
      ...(moved.right.event ? { event: moved.right.event } : {}),
      ...(releasesAttempt ? { releasesAttempt } : {}),
    }),
  );
};

/**
 * The one way a use case changes a record: read it, settle what is due (an
 * expiry or a processing timeout, so nobody acts on a state the sweep would
 * already have ended), decide, write the move as a compare-and-set; when
 * another writer got there first, read again and decide afresh. Every write —
 * the settling one and the decided one — is a compare-and-set, so this races
 * safely with the sweep and with other instances.
 *
 * One answer for each failure on the way:
 * - no record: `missing()`;
 * - a move the state machine refuses: `illegal_transition`;
 * - the driver's other record in processing: `driverHasProcessing`, if given;
 * - a record that keeps changing for `MAX_CONFLICT_RETRIES` rounds:
 *   `storage_unavailable`, its cause naming the record (the database is under
 *   a storm of writes on it; the caller may try again).
 */
export const changeRecord = async <A>(ports: RecordPorts, change: RecordChange<A>): Promise<E.Either<DomainError, A>> => {
  const { repository, config, clock } = ports;
  let settled = false;
  for (let round = 0; round < MAX_CONFLICT_RETRIES; round++) {
    let record = round === 0 && change.known !== undefined ? change.known : await change.read();
    if (record === null) return change.missing();

    const settleAt = clock.now();
    const due = dueEvent(record, areaSettingsOf(config.current(), record.areaId), settleAt);
    if (due !== null) {
      const outcome = await write(repository, record, due, settleAt, undefined);
      if (E.isLeft(outcome)) return outcome;
      // A settling move never makes a record processing: the repository can only refuse it as a conflict.
      if (outcome.right.kind !== 'applied') continue;
      record = outcome.right.assignment;
      settled = true;
    }

    const decision = await change.decide(record, { now: clock.now(), settled });
    if (decision.kind === 'answer') return decision.result;
    const at = clock.now();
    const outcome = await write(repository, record, decision.event, at, decision.releasesAttempt);
    if (E.isLeft(outcome)) return outcome;
    if (outcome.right.kind === 'applied') return E.right(decision.answer(outcome.right.assignment, at));
    if (outcome.right.kind === 'driver_has_processing' && change.driverHasProcessing) {
      const refused = await change.driverHasProcessing(record, at);
      if (refused !== 'again') return refused;
    }
  }
  return E.left({
    code: 'storage_unavailable',
    cause: new Error(`${change.name} kept changing: ${MAX_CONFLICT_RETRIES} writes lost`),
  });
};

/** `settle`, also telling whether this call made the move (not another instance). */
export const settleReporting = (
  ports: RecordPorts,
  record: Assignment,
): Promise<E.Either<DomainError, { readonly assignment: Assignment; readonly moved: boolean }>> =>
  changeRecord(ports, {
    name: `order ${record.orderId}`,
    read: () => ports.repository.findByOrder(record.orderId),
    known: record,
    missing: () => E.left({ code: 'assignment_not_found' }),
    decide: (a, { settled }) => ({ kind: 'answer', result: E.right({ assignment: a, moved: settled }) }),
  });

/**
 * Applies a due expiry or processing timeout before the record is used, so a
 * reader never acts on a state the sweep would already have ended. Safe to
 * race with the sweep and other instances: the write is a compare-and-set.
 */
export const settle = async (ports: RecordPorts, record: Assignment): Promise<E.Either<DomainError, Assignment>> =>
  E.map((settled: { readonly assignment: Assignment }) => settled.assignment)(await settleReporting(ports, record));

/** `changeRecord` for an order read by its id: a missing one is `assignment_not_found`. */
export const changeOrder = <A>(
  ports: RecordPorts,
  orderId: OrderId,
  decide: RecordChange<A>['decide'],
): Promise<E.Either<DomainError, A>> =>
  changeRecord(ports, {
    name: `order ${orderId}`,
    read: () => ports.repository.findByOrder(orderId),
    missing: () => E.left({ code: 'assignment_not_found' }),
    decide,
  });
