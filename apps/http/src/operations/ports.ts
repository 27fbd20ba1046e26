import type { Assignment } from '@codedispatch/core';

/*
 * What the operations endpoints (issue 13) need from storage, by role. The
 * PostgreSQL adapters (`KyselyOperationsReadModel`, the outbox relay) fit
 * these structurally; the composition root binds them.
 */

export interface AreaActivityRequest {
  readonly areas: readonly { readonly areaId: string; readonly codeLength: number; readonly takenSince: Date }[];
  readonly now: Date;
  /** Start of the first one-minute bucket (a minute boundary). */
  readonly seriesSince: Date;
  /** now − 15 min: the window of the `last_15_min` figures. */
  readonly recentSince: Date;
}

export interface AreaActivity {
  readonly areaId: string;
  readonly pending: number;
  readonly processing: number;
  readonly taken: number;
  readonly recent: {
    readonly entries: number;
    readonly assignments: number;
    readonly entryToAssignedMs: { readonly count: number; readonly p50: number | null; readonly p99: number | null };
    readonly errors: Readonly<Record<string, number>>;
    readonly attemptLimitRefusals: number;
  };
  readonly series: readonly {
    readonly at: Date;
    readonly entries: number;
    readonly assignments: number;
    readonly errors: number;
    readonly attemptLimitRefusals: number;
  }[];
}

export interface EntryOutcomeCount {
  readonly areaId: string;
  readonly minute: Date;
  readonly code: string;
  readonly count: number;
}

export interface OutboxEventView {
  readonly eventId: string;
  readonly orderId: string;
  readonly type: string;
  readonly createdAt: Date;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly deliveredAt: Date | null;
  readonly deadAt: Date | null;
  readonly lastError: string | null;
}

/** The read model of the console: activity by area, records by code, an order's events, dead letters; the tally's writes. */
export interface OperationsReadModel {
  areaActivity(request: AreaActivityRequest): Promise<readonly AreaActivity[]>;
  activeByCode(areaId: string, code: string): Promise<readonly Assignment[]>;
  eventsOf(orderId: string): Promise<readonly OutboxEventView[]>;
  deadLetters(limit: number): Promise<readonly OutboxEventView[]>;
  recordEntryOutcomes(counts: readonly EntryOutcomeCount[]): Promise<void>;
}

/** The outbox as operators see it: depth and dead letters, and the redrive that wakes the relays. */
export interface OutboxControl {
  stats(): Promise<{ readonly depth: number; readonly oldestAgeSeconds: number; readonly dead: number }>;
  /** The event ids put back in the queue. */
  redrive(eventIds?: readonly string[]): Promise<readonly string[]>;
}
