import { ASSIGNMENTS_CHANNEL } from './database';
import type { DatabaseHandle, Unlisten } from './connect';

/**
 * Callbacks per order_id, each called when its order changes. A callback that
 * throws is reported and does not stop the others.
 */
export class OrderSubscribers {
  private readonly listeners = new Map<string, Set<() => void>>();

  constructor(private readonly onError: (error: unknown) => void = () => undefined) {}

  /** The result unsubscribes. The same callback may subscribe twice and unsubscribe once. */
  subscribe(orderId: string, onChange: () => void): () => void {
    let set = this.listeners.get(orderId);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(orderId, set);
    }
    const entry = (): void => onChange();
    set.add(entry);
    return () => {
      const current = this.listeners.get(orderId);
      if (current === undefined) return;
      current.delete(entry);
      if (current.size === 0) this.listeners.delete(orderId);
    };
  }

  emit(orderId: string): void {
    const set = this.listeners.get(orderId);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener();
      } catch (e) {
        this.onError(e);
      }
    }
  }

  /** Orders with at least one subscriber. */
  get watchedOrders(): number {
    return this.listeners.size;
  }
}

/**
 * "This order changed", across instances: one LISTEN per process on
 * `code_dispatch_assignments` (every committed transition NOTIFYs its
 * order_id), fanned out to the in-process subscribers of that order. The HTTP
 * shell's long-polls wait on it.
 */
export class ChangeNotifier {
  private readonly subscribers: OrderSubscribers;
  private unlisten: Unlisten | null = null;
  private starting: Promise<void> | null = null;

  constructor(
    private readonly database: Pick<DatabaseHandle, 'listen'>,
    /** A subscriber that throws (for logging); the others are still called. */
    onError: (error: unknown) => void = () => undefined,
  ) {
    this.subscribers = new OrderSubscribers(onError);
  }

  /** Starts listening; resolves once the LISTEN is in place. Idempotent. */
  start(): Promise<void> {
    if (this.unlisten !== null) return Promise.resolve();
    this.starting ??= this.database
      .listen(ASSIGNMENTS_CHANNEL, (orderId) => this.subscribers.emit(orderId))
      .then((unlisten) => {
        this.unlisten = unlisten;
      })
      .finally(() => {
        this.starting = null;
      });
    return this.starting;
  }

  /** Stops listening (subscriptions stay, and hear nothing until the next start). Idempotent. */
  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    const unlisten = this.unlisten;
    this.unlisten = null;
    await unlisten?.();
  }

  /** Calls `onChange` whenever a transition of `orderId` commits, on any instance; the result unsubscribes. */
  subscribe(orderId: string, onChange: () => void): () => void {
    return this.subscribers.subscribe(orderId, onChange);
  }

  /** Orders with at least one subscriber. */
  get watchedOrders(): number {
    return this.subscribers.watchedOrders;
  }
}
