/**
 * "This order changed": the wake-up signal of long-polls (SPEC §6, wait_ms).
 * Two sources feed it: the transitions this process applied (announced by the
 * metering repository with the record as committed, no database round trip),
 * and the transitions of every instance, through the PostgreSQL notifier (one
 * LISTEN per process), which name the order only.
 */
import type { Assignment } from '@codedispatch/core';
import { OrderSubscribers, type ChangeNotifier } from '@codedispatch/postgres';

export type Unsubscribe = () => void;

/** Called on a change of the order: with the record as committed when this process made it, else without. */
export type OnChange<C = Assignment> = (committed?: C) => void;

export interface ChangeFeed<C = Assignment> {
  subscribe(orderId: string, onChange: OnChange<C>): Unsubscribe;
}

/** In-process announcements of applied transitions, with the record each committed. */
export class LocalChanges extends OrderSubscribers<Assignment> implements ChangeFeed {
  constructor() {
    // a listener's failure must not stop the others, nor the write that announced it
    super(() => undefined);
  }
}

/** Several feeds as one: a subscription listens to all of them. */
export class MergedChangeFeed implements ChangeFeed {
  constructor(private readonly feeds: readonly ChangeFeed[]) {}

  subscribe(orderId: string, onChange: OnChange): Unsubscribe {
    const unsubscribes = this.feeds.map((feed) => feed.subscribe(orderId, onChange));
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
  }
}

/** Where a committed change is told: this instance's subscribers at once, the others through the notifier. */
export interface ChangeAnnouncer {
  /** `committed`: the record as the write left it; `withEvent`: the write put an event in the outbox (the relays have work). */
  announce(committed: Assignment, withEvent: boolean): void;
}

export class LocalAndRemoteAnnouncer implements ChangeAnnouncer {
  constructor(
    private readonly local: LocalChanges,
    /** Absent without a database (nothing else to tell). */
    private readonly notifier?: ChangeNotifier,
  ) {}

  announce(committed: Assignment, withEvent: boolean): void {
    this.local.emit(committed.orderId, committed);
    this.notifier?.announce(committed.orderId, withEvent);
  }
}
