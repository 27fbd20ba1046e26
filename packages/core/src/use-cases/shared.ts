import * as E from 'fp-ts/Either';
import { identity, pipe } from 'fp-ts/function';
import * as TE from 'fp-ts/TaskEither';
import { isRetryable, type Assignment } from '../domain/assignment';
import { transition, type AssignmentEvent } from '../domain/transition';
import { areaSettingsOf, type AreaSettings, type DispatchConfig } from '../config/config';
import { storageUnavailable, type DomainError } from '../errors';
import type { AssignmentRepository } from '../ports';

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
