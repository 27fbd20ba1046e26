/**
 * "This order changed": the wake-up signal of long-polls (SPEC §6, wait_ms).
 * Two sources feed it: the transitions this process applied (announced by the
 * metering repository, no database round trip), and the transitions of every
 * instance, through the PostgreSQL notifier (one LISTEN per process).
 */
import { OrderSubscribers, type ChangeNotifier } from '@codedispatch/postgres';

export type Unsubscribe = () => void;

export interface ChangeFeed {
  subscribe(orderId: string, onChange: () => void): Unsubscribe;
}

/** In-process announcements of applied transitions. */
export class LocalChanges extends OrderSubscribers implements ChangeFeed {
  constructor() {
    // a listener's failure must not stop the others, nor the write that announced it
    super(() => undefined);
  }
}

/** Several feeds as one: a subscription listens to all of them. */
export class MergedChangeFeed implements ChangeFeed {
  constructor(private readonly feeds: readonly ChangeFeed[]) {}

  subscribe(orderId: string, onChange: () => void): Unsubscribe {
    const unsubscribes = this.feeds.map((feed) => feed.subscribe(orderId, onChange));
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
  }
}

/** Where a committed change is told: this instance's subscribers at once, the others through the notifier. */
export interface ChangeAnnouncer {
  /** `withEvent`: the write put an event in the outbox (the relays have work). */
  announce(orderId: string, withEvent: boolean): void;
}

export class LocalAndRemoteAnnouncer implements ChangeAnnouncer {
  constructor(
    private readonly local: LocalChanges,
    /** Absent without a database (nothing else to tell). */
    private readonly notifier?: ChangeNotifier,
  ) {}

  announce(orderId: string, withEvent: boolean): void {
    this.local.emit(orderId);
    this.notifier?.announce(orderId, withEvent);
  }
}
