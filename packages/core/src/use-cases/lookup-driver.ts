import * as E from 'fp-ts/Either';
import type * as TE from 'fp-ts/TaskEither';
import type { Assignment, LookupFailureCode } from '../domain/assignment';
import type { Driver, OrderId } from '../domain/ids';
import { transition, type AssignmentEvent } from '../domain/transition';
import { areaSettingsOf } from '../config/config';
import type { DomainError } from '../errors';
import type { AcquireResult, AssignmentRepository, Clock, ConfigSource, DriverTracker } from '../ports';
import { MAX_CONFLICT_RETRIES, secondsLater, settle, useCase } from './shared';

export interface LookupDriver {
  readonly orderId: OrderId;
  /** The calling service, for the change log. */
  readonly service: string;
}

export interface Candidate {
  readonly driver: Driver;
  readonly position?: { readonly lat: number; readonly lon: number };
  /** When the driver is expected at the pickup: now + the area's driver_due_offset_s. */
  readonly due?: Date;
}

export interface LookupResult {
  readonly assignment: Assignment;
  /** Present when the tracker acquired the driver. */
  readonly candidate?: Candidate;
}

const FAILURES: Record<Exclude<AcquireResult['kind'], 'acquired' | 'unavailable'>, LookupFailureCode> = {
  not_found: 'driver_not_found_in_tracker',
  busy: 'driver_busy',
  out_of_area: 'driver_out_of_area',
};

/**
 * Processing's lookup (SPEC §6, drivers-lookup): acquire the driver who
 * entered the code in the tracker. Acquired → `assigned`; the tracker's
 * refusal → a retryable `error`; a tracker outage leaves `processing` as is.
 */
export class LookupDriverUseCase {
  constructor(
    private readonly repository: AssignmentRepository,
    private readonly tracker: DriverTracker,
    private readonly clock: Clock,
    private readonly config: ConfigSource,
  ) {}

  execute(input: LookupDriver): TE.TaskEither<DomainError, LookupResult> {
    return useCase(async () => {
      const config = this.config.current();
      if (!config.processingEnabled) return E.left({ code: 'processing_disabled' });
      for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
        const found = await this.repository.findByOrder(input.orderId);
        if (found === null) return E.left({ code: 'assignment_not_found' });
        const a = await settle(this.repository, config, found, this.clock.now());
        if (a.status !== 'processing' || a.driver === null) {
          return E.left({ code: 'assignment_not_processing', assignmentStatus: a.status });
        }

        const acquired = await this.tracker.acquire(a.driver, a.orderId, a.areaId);
        if (acquired.kind === 'unavailable') return E.left({ code: 'tracker_unavailable', retryAfterS: acquired.retryAfterS });
        const event: AssignmentEvent =
          acquired.kind === 'acquired'
            ? { type: 'driver_acquired', by: input.service }
            : { type: 'lookup_failed', errorCode: FAILURES[acquired.kind], by: input.service };

        const now = this.clock.now();
        const moved = transition(a, event, now);
        if (E.isLeft(moved)) return E.left({ code: 'assignment_not_processing', assignmentStatus: a.status });
        const outcome = await this.repository.applyTransition({
          expectedVersion: a.version,
          next: moved.right.assignment,
          change: moved.right.change,
        });
        if (outcome.kind !== 'applied') continue; // cancelled or re-entered meanwhile: decide again

        if (acquired.kind !== 'acquired') return E.right({ assignment: outcome.assignment });
        const offset = areaSettingsOf(config, a.areaId).driverDueOffsetS;
        return E.right({
          assignment: outcome.assignment,
          candidate: {
            driver: a.driver,
            ...(acquired.position ? { position: acquired.position } : {}),
            ...(offset !== null ? { due: secondsLater(now, offset) } : {}),
          },
        });
      }
      return E.left({ code: 'storage_unavailable', cause: new Error('the assignment kept changing during the lookup') });
    });
  }
}
