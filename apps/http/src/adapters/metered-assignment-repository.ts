import type {
  AreaId,
  Assignment,
  AssignmentDraft,
  AssignmentRepository,
  AttemptEntry,
  AttemptLimit,
  AttemptReservation,
  CodeEntry,
  CodeEntryOutcome,
  Driver,
  InsertOutcome,
  OrderId,
  TransitionOutcome,
  TransitionWrite,
} from '@codedispatch/core';
import type { ChangeAnnouncer } from '../changes/change-feed';

/** Counts a transition by the status it reached and its error code (null: none). */
export type TransitionMeter = (to: Assignment['status'], errorCode: Assignment['errorCode']) => void;

/**
 * The repository the use cases get: the storage adapter, plus a count of
 * every applied transition (creation included) and an in-process
 * announcement of it, so long-polls on this instance wake without waiting
 * for the database's notification.
 */
export class MeteredAssignmentRepository implements AssignmentRepository {
  constructor(
    private readonly inner: AssignmentRepository,
    private readonly meter: TransitionMeter,
    private readonly changes: ChangeAnnouncer,
  ) {}

  findByOrder(orderId: OrderId): Promise<Assignment | null> {
    return this.inner.findByOrder(orderId);
  }

  findActiveByCode(areaId: AreaId, code: string): Promise<Assignment | null> {
    return this.inner.findActiveByCode(areaId, code);
  }

  findAssignedByCodeAndDriver(areaId: AreaId, code: string, driver: Driver, releasedAfter: Date): Promise<Assignment | null> {
    return this.inner.findAssignedByCodeAndDriver(areaId, code, driver, releasedAfter);
  }

  findProcessingByDriver(driver: Driver): Promise<Assignment | null> {
    return this.inner.findProcessingByDriver(driver);
  }

  hasActiveLegacyCodes(areaId: AreaId): Promise<boolean> {
    return this.inner.hasActiveLegacyCodes(areaId);
  }

  async insertWithFreshCode(draft: AssignmentDraft, candidates: readonly string[], cooldownCutoff: Date): Promise<InsertOutcome> {
    const outcome = await this.inner.insertWithFreshCode(draft, candidates, cooldownCutoff);
    if (outcome.kind === 'inserted') this.applied(outcome.assignment, false);
    return outcome;
  }

  countTakenCodes(areaId: AreaId, codeLength: number, cooldownCutoff: Date): Promise<number> {
    return this.inner.countTakenCodes(areaId, codeLength, cooldownCutoff);
  }

  async applyTransition(write: TransitionWrite): Promise<TransitionOutcome> {
    const outcome = await this.inner.applyTransition(write);
    if (outcome.kind === 'applied') this.applied(outcome.assignment, write.event !== undefined);
    return outcome;
  }

  reserveAttempt(entry: AttemptEntry, limit: AttemptLimit): Promise<AttemptReservation> {
    return this.inner.reserveAttempt(entry, limit);
  }

  async enterCode(entry: CodeEntry): Promise<CodeEntryOutcome> {
    const outcome = await this.inner.enterCode(entry);
    if (outcome.kind === 'entered') this.applied(outcome.assignment, true);
    return outcome;
  }

  releaseAttempt(entry: AttemptEntry): Promise<void> {
    return this.inner.releaseAttempt(entry);
  }

  findExpired(now: Date, limit: number): Promise<readonly Assignment[]> {
    return this.inner.findExpired(now, limit);
  }

  findProcessingSince(updatedBefore: Date, limit: number): Promise<readonly Assignment[]> {
    return this.inner.findProcessingSince(updatedBefore, limit);
  }

  private applied(a: Assignment, withEvent: boolean): void {
    try {
      this.meter(a.status, a.errorCode);
    } catch {
      // metrics never change the outcome of a write
    }
    this.changes.announce(a, withEvent);
  }
}
