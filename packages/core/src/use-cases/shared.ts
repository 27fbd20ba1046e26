import * as E from 'fp-ts/Either';
import { identity, pipe } from 'fp-ts/function';
import * as TE from 'fp-ts/TaskEither';
import { isRetryable, type Assignment } from '../domain/assignment';
import { transition, type AssignmentEvent } from '../domain/transition';
import { areaSettingsOf, type AreaSettings, type DispatchConfig } from '../config/config';
import { storageUnavailable, type DomainError } from '../errors';
import type { AssignmentRepository, ConfigSource } from '../ports';
import type { OrderId } from '../domain/ids';

/**
 * Runs a use case body. Domain outcomes come back as Either; a thrown error
 * can only be the infrastructure failing, and becomes `storage_unavailable`.
 */
export const useCase = <A>(run: () => Promise<E.Either<DomainError, A>>): TE.TaskEither<DomainError, A> =>
  pipe(TE.tryCatch(run, storageUnavailable), TE.chainEitherK(identity));

/** How often a use case re-reads and decides again after losing a race. */
export const MAX_CONFLICT_RETRIES = 8;

export const secondsLater = (t: Date, seconds: number): Date => new Date(t.getTime() + seconds * 1000);

/** The background event that is due for the record at `now`, if any (SPEC §6, expiry and timeouts). */
export const dueEvent = (a: Assignment, settings: AreaSettings, now: Date): AssignmentEvent | null => {
  const enterable = a.status === 'pending' || (a.status === 'error' && isRetryable(a.errorCode));
  if (enterable && now >= a.expiresAt) return { type: 'expired' };
  if (a.status === 'processing' && now >= secondsLater(a.updatedAt, settings.processingTimeoutS)) {
    return { type: 'processing_timed_out' };
  }
  return null;
};

/**
 * Applies a due expiry or processing timeout before the record is used, so a
 * reader never acts on a state the sweep would already have ended. Safe to
 * race with the sweep and other instances: the write is a compare-and-set.
 */
export const settle = async (
  repository: AssignmentRepository,
  config: DispatchConfig,
  record: Assignment,
  now: Date,
): Promise<Assignment> => (await settleReporting(repository, config, record, now)).assignment;

/** `settle`, also telling whether this call made the move (not another instance). */
export const settleReporting = async (
  repository: AssignmentRepository,
  config: DispatchConfig,
  record: Assignment,
  now: Date,
): Promise<{ readonly assignment: Assignment; readonly moved: boolean }> => {
  let a = record;
  for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
    const event = dueEvent(a, areaSettingsOf(config, a.areaId), now);
    if (event === null) break;
    const moved = transition(a, event, now);
    if (E.isLeft(moved)) break;
    const outcome = await repository.applyTransition({
      expectedVersion: a.version,
      next: moved.right.assignment,
      change: moved.right.change,
    });
    if (outcome.kind === 'applied') return { assignment: outcome.assignment, moved: true };
    const reloaded = await repository.findByOrder(a.orderId);
    if (reloaded === null) break;
    a = reloaded;
  }
  return { assignment: a, moved: false };
};

/** The area of a request: configured (404 otherwise) and enabled (409 otherwise). */
export const enabledArea = (config: DispatchConfig, areaId: string): E.Either<DomainError, AreaSettings> => {
  if (!Object.prototype.hasOwnProperty.call(config.areas, areaId)) return E.left({ code: 'area_not_found', areaId });
  const settings = config.areas[areaId] as AreaSettings;
  return settings.enabled ? E.right(settings) : E.left({ code: 'area_disabled', areaId });
};

/** What a use case decides about a settled record: an answer now, or an event to apply and what to answer once it is applied. */
export type Decision<A> =
  | { readonly kind: 'answer'; readonly result: E.Either<DomainError, A> }
  | { readonly kind: 'move'; readonly event: AssignmentEvent; readonly answer: (moved: Assignment, at: Date) => A };

/**
 * Read the order, settle what is due, decide, write the move as a
 * compare-and-set; when another writer got there first, read again and
 * decide afresh. The one answer for every failure on the way: no record,
 * `assignment_not_found`; a move the state machine refuses,
 * `illegal_transition`; a record that keeps changing past the retries,
 * `storage_unavailable` (the database is under a storm of writes on it).
 */
export const changeOrder = async <A>(
  repository: AssignmentRepository,
  config: ConfigSource,
  clock: { now(): Date },
  orderId: OrderId,
  decide: (a: Assignment, now: Date) => Promise<Decision<A>> | Decision<A>,
): Promise<E.Either<DomainError, A>> => {
  for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
    const found = await repository.findByOrder(orderId);
    if (found === null) return E.left({ code: 'assignment_not_found' });
    const a = await settle(repository, config.current(), found, clock.now());
    const decision = await decide(a, clock.now());
    if (decision.kind === 'answer') return decision.result;
    const now = clock.now();
    const moved = transition(a, decision.event, now);
    if (E.isLeft(moved)) return E.left({ code: 'illegal_transition', from: a.status, event: decision.event.type });
    const outcome = await repository.applyTransition({
      expectedVersion: a.version,
      next: moved.right.assignment,
      change: moved.right.change,
    });
    if (outcome.kind === 'applied') return E.right(decision.answer(outcome.assignment, now));
  }
  return E.left({
    code: 'storage_unavailable',
    cause: new Error(`order ${orderId} kept changing: ${MAX_CONFLICT_RETRIES} writes lost`),
  });
};
