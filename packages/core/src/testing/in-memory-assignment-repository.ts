import { isActive, type Assignment, type ProcessingEvent } from '../domain/assignment';
import { sameDriver, type AreaId, type Driver, type OrderId } from '../domain/ids';
import type {
  AssignmentDraft,
  AssignmentRepository,
  AttemptEntry,
  CodeEntry,
  CodeEntryOutcome,
  AttemptLimit,
  AttemptReservation,
  InsertOutcome,
  TransitionOutcome,
  TransitionWrite,
} from '../ports';
import { entryVerdict } from '../domain/code-entry';
import { newAssignment, transition } from '../domain/transition';

const attemptKey = (entry: AttemptEntry): string => JSON.stringify([entry.areaId, entry.driver.parkDbId, entry.driver.driverId]);

/** An outbox entry as the in-memory adapter keeps it. */
export interface RecordedEvent extends ProcessingEvent {
  readonly eventId: string;
}

/**
 * The repository port in memory, for core tests and for services embedding
 * the core. It keeps the invariants the database enforces (SPEC §3): one
 * record per order, one active record per (area, code), one `processing` per
 * driver, and every transition's log entry and event written together.
 * Each method runs to completion without awaiting, so it is atomic.
 */
export class InMemoryAssignmentRepository implements AssignmentRepository {
  private readonly records = new Map<string, Assignment>();
  /** Per driver and area (a JSON key): times of failed and undecided entries. */
  private readonly attempts = new Map<string, Date[]>();
  /** The outbox: events in the order they were written. */
  readonly events: RecordedEvent[] = [];

  async findByOrder(orderId: OrderId): Promise<Assignment | null> {
    return this.records.get(orderId) ?? null;
  }

  async findActiveByCode(areaId: AreaId, code: string): Promise<Assignment | null> {
    return this.all().find((a) => a.areaId === areaId && a.code === code && isActive(a)) ?? null;
  }

  async findAssignedByCodeAndDriver(
    areaId: AreaId,
    code: string,
    driver: Driver,
    releasedAfter: Date,
  ): Promise<Assignment | null> {
    const matches = this.all().filter(
      (a) =>
        a.areaId === areaId &&
        a.code === code &&
        a.status === 'assigned' &&
        sameDriver(a.driver, driver) &&
        a.releasedAt !== null &&
        a.releasedAt > releasedAfter,
    );
    return matches.sort((x, y) => y.updatedAt.getTime() - x.updatedAt.getTime())[0] ?? null;
  }

  async findProcessingByDriver(driver: Driver): Promise<Assignment | null> {
    return this.all().find((a) => a.status === 'processing' && sameDriver(a.driver, driver)) ?? null;
  }

  async hasActiveLegacyCodes(areaId: AreaId): Promise<boolean> {
    return this.all().some((a) => a.areaId === areaId && a.legacy && isActive(a));
  }

  async insertWithFreshCode(draft: AssignmentDraft, candidates: readonly string[], cooldownCutoff: Date): Promise<InsertOutcome> {
    const existing = this.records.get(draft.orderId);
    if (existing) return { kind: 'order_exists', assignment: existing };
    const taken = this.takenCodes(draft.areaId, cooldownCutoff);
    const code = candidates.find((c) => !taken.has(c));
    if (code === undefined) return { kind: 'all_taken' };
    const assignment = newAssignment({ ...draft, code });
    this.records.set(draft.orderId, assignment);
    return { kind: 'inserted', assignment };
  }

  async countTakenCodes(areaId: AreaId, codeLength: number, cooldownCutoff: Date): Promise<number> {
    // Legacy codes may follow no current format: they do not fill the current space.
    const current = this.all().filter((a) => a.areaId === areaId && !a.legacy && a.code.length === codeLength);
    return new Set(
      current.filter((a) => isActive(a) || (a.releasedAt !== null && a.releasedAt > cooldownCutoff)).map((a) => a.code),
    ).size;
  }

  async applyTransition(write: TransitionWrite): Promise<TransitionOutcome> {
    const current = this.records.get(write.next.orderId);
    if (!current || current.version !== write.expectedVersion) return { kind: 'conflict' };
    const next: Assignment = { ...write.next, changes: [...current.changes, write.change] };
    if (next.status === 'processing') {
      const other = this.all().find(
        (a) => a.orderId !== next.orderId && a.status === 'processing' && sameDriver(a.driver, next.driver),
      );
      if (other) return { kind: 'driver_has_processing' };
    }
    if (isActive(next)) {
      const clash = this.all().find(
        (a) => a.orderId !== next.orderId && a.areaId === next.areaId && a.code === next.code && isActive(a),
      );
      if (clash) return { kind: 'conflict' };
    }
    this.records.set(next.orderId, next);
    if (write.event) this.events.push({ ...write.event, eventId: `evt-${this.events.length + 1}` });
    if (write.releasesAttempt) this.release(write.releasesAttempt);
    return { kind: 'applied', assignment: next };
  }

  async reserveAttempt(entry: AttemptEntry, limit: AttemptLimit): Promise<AttemptReservation> {
    const key = attemptKey(entry);
    const counted = (this.attempts.get(key) ?? []).filter((t) => t > limit.since).sort((x, y) => x.getTime() - y.getTime());
    if (counted.length >= limit.maxFailures) return { kind: 'refused', failures: counted };
    this.attempts.set(key, [...counted, entry.at]);
    return { kind: 'reserved' };
  }

  async enterCode(entry: CodeEntry): Promise<CodeEntryOutcome> {
    const key = attemptKey(entry);
    const counted = (this.attempts.get(key) ?? []).filter((t) => t > entry.limit.since).sort((x, y) => x.getTime() - y.getTime());
    if (counted.length >= entry.limit.maxFailures) return { kind: 'refused', failures: counted };
    const active = this.all().find((a) => a.areaId === entry.areaId && a.code === entry.code && isActive(a)) ?? null;
    const assignedToDriver =
      active === null
        ? (this.all()
            .filter(
              (a) =>
                a.areaId === entry.areaId &&
                a.code === entry.code &&
                a.status === 'assigned' &&
                sameDriver(a.driver, entry.driver) &&
                a.releasedAt !== null &&
                a.releasedAt > entry.repeatReleasedAfter,
            )
            .sort((x, y) => y.updatedAt.getTime() - x.updatedAt.getTime())[0] ?? null)
        : null;
    const driverBusyElsewhere = this.all().some(
      (a) => a.status === 'processing' && sameDriver(a.driver, entry.driver) && a.orderId !== active?.orderId,
    );
    const verdict = entryVerdict({ active, assignedToDriver, driverBusyElsewhere }, entry);
    const counting = (outcome: CodeEntryOutcome): CodeEntryOutcome => {
      this.attempts.set(key, [...counted, entry.at]);
      return outcome;
    };
    switch (verdict) {
      case 'repeated':
        return { kind: 'repeated', assignment: (active ?? assignedToDriver) as Assignment };
      case 'not_found':
      case 'in_use':
        return counting({ kind: verdict });
      case 'undecided':
        return counting({ kind: 'undecided' });
      case 'enter': {
        const moved = transition(active as Assignment, { type: 'code_entered', driver: entry.driver }, entry.at);
        if (moved._tag === 'Left') return { kind: 'lost_race' };
        // Runs to completion before anything else (no await inside): atomic like the rest.
        const applied = this.applyTransition({
          expectedVersion: (active as Assignment).version,
          next: moved.right.assignment,
          change: moved.right.change,
          ...(moved.right.event ? { event: moved.right.event } : {}),
        });
        const outcome = await applied;
        return outcome.kind === 'applied' ? { kind: 'entered', assignment: outcome.assignment } : { kind: 'lost_race' };
      }
    }
  }

  async releaseAttempt(entry: AttemptEntry): Promise<void> {
    this.release(entry);
  }

  async findExpired(now: Date, limit: number): Promise<readonly Assignment[]> {
    return this.all()
      .filter((a) => isActive(a) && a.status !== 'processing' && a.expiresAt <= now)
      .sort((x, y) => x.expiresAt.getTime() - y.expiresAt.getTime())
      .slice(0, limit);
  }

  async findProcessingSince(updatedBefore: Date, limit: number): Promise<readonly Assignment[]> {
    return this.all()
      .filter((a) => a.status === 'processing' && a.updatedAt <= updatedBefore)
      .sort((x, y) => x.updatedAt.getTime() - y.updatedAt.getTime())
      .slice(0, limit);
  }

  /** Puts a record in as it is (imported legacy data, test fixtures); refuses what the invariants forbid. */
  seed(record: Assignment): void {
    if (this.records.has(record.orderId)) throw new Error(`order ${record.orderId} exists`);
    if (isActive(record) && this.all().some((a) => a.areaId === record.areaId && a.code === record.code && isActive(a))) {
      throw new Error(`code ${record.code} is active in ${record.areaId}`);
    }
    this.records.set(record.orderId, record);
  }

  all(): Assignment[] {
    return [...this.records.values()];
  }

  private release(entry: AttemptEntry): void {
    const times = this.attempts.get(attemptKey(entry));
    const i = times?.findIndex((t) => t.getTime() === entry.at.getTime()) ?? -1;
    if (i >= 0) times?.splice(i, 1);
  }

  private takenCodes(areaId: AreaId, cooldownCutoff: Date): Set<string> {
    return new Set(
      this.all()
        .filter((a) => a.areaId === areaId && (isActive(a) || (a.releasedAt !== null && a.releasedAt > cooldownCutoff)))
        .map((a) => a.code),
    );
  }
}
