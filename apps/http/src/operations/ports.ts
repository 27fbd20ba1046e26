/*
 * What the operations endpoints (issue 13) need from storage. The read
 * model's contract is the one @codedispatch/postgres publishes beside its
 * implementation (the store that keeps the change logs and the outbox), not a
 * copy of it; the outbox control is the relay's part the endpoints use.
 */

export type {
  AreaActivity,
  AreaActivityRequest,
  EntryOutcomeCount,
  OperationsReadModel,
  OutboxEventView,
} from '@codedispatch/postgres';

/** The outbox as operators see it: depth and dead letters, and the redrive that wakes the relays. */
export interface OutboxControl {
  stats(): Promise<{ readonly depth: number; readonly oldestAgeSeconds: number; readonly dead: number }>;
  /** The event ids put back in the queue. */
  redrive(eventIds?: readonly string[]): Promise<readonly string[]>;
}
