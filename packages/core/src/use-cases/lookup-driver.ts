import * as E from 'fp-ts/Either';
import type * as TE from 'fp-ts/TaskEither';
import type { Assignment, LookupFailureCode } from '../domain/assignment';
import type { Driver, OrderId } from '../domain/ids';
import { areaSettingsOf } from '../config/config';
import type { DomainError } from '../errors';
import type { AcquireResult, AssignmentRepository, Clock, ConfigSource, DriverTracker } from '../ports';
import { changeOrder, type Decision } from './change-record';
import { secondsLater, useCase } from './shared';

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
      const ports = { repository: this.repository, config: this.config, clock: this.clock };
      return changeOrder(ports, input.orderId, async (a): Promise<Decision<LookupResult>> => {
        const driver = a.driver;
        if (a.status !== 'processing' || driver === null) {
          return { kind: 'answer', result: E.left({ code: 'assignment_not_processing', assignmentStatus: a.status }) };
        }
        // The tracker is asked before anything is written: a moved record is decided again, tracker included.
        const acquired = await this.tracker.acquire(driver, a.orderId, a.areaId);
        if (acquired.kind === 'unavailable') {
          return { kind: 'answer', result: E.left({ code: 'tracker_unavailable', retryAfterS: acquired.retryAfterS }) };
        }
        if (acquired.kind !== 'acquired') {
          return {
            kind: 'move',
            event: { type: 'lookup_failed', errorCode: FAILURES[acquired.kind], by: input.service },
            answer: (moved) => ({ assignment: moved }),
          };
        }
        const offset = areaSettingsOf(this.config.current(), a.areaId).driverDueOffsetS;
        return {
          kind: 'move',
          event: { type: 'driver_acquired', by: input.service },
          answer: (moved, at) => ({
            assignment: moved,
            candidate: {
              driver,
              ...(acquired.position ? { position: acquired.position } : {}),
              ...(offset !== null ? { due: secondsLater(at, offset) } : {}),
            },
          }),
        };
      });
    });
  }
}
