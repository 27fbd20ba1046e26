/**
 * "This order changed": the wake-up signal of long-polls (SPEC §6, wait_ms).
 * Two sources feed it: the transitions this process applied (announced by the
 * metering repository, no database round trip), and the transitions of every
 * instance, through the PostgreSQL notifier (one LISTEN per process).
 */
export type Unsubscribe = () => void;

export interface ChangeFeed {
  subscribe(orderId: string, onChange: () => void): Unsubscribe;
}

/** In-process announcements of applied transitions. */
export class LocalChanges implements ChangeFeed {
  private readonly listeners = new Map<string, Set<() => void>>();

  emit(orderId: string): void {
    const set = this.listeners.get(orderId);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener();
      } catch {
        // a listener's failure must not stop the others, nor the write that announced it
      }
    }
  }

  subscribe(orderId: string, onChange: () => void): Unsubscribe {
    let set = this.listeners.get(orderId);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(orderId, set);
    }
    // Wrapped, so the same callback may subscribe twice and unsubscribe once.
    const entry = (): void => onChange();
    set.add(entry);
    return () => {
      const current = this.listeners.get(orderId);
      if (current === undefined) return;
      current.delete(entry);
      if (current.size === 0) this.listeners.delete(orderId);
    };
  }

  /** Orders with at least one listener (for tests and metrics). */
  get watchedOrders(): number {
    return this.listeners.size;
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
