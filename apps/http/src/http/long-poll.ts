import type { ChangeFeed, Unsubscribe } from '../changes/change-feed';

/*
 * Long-polls (SPEC §6, wait_ms). A call subscribes to its order's changes
 * BEFORE it takes its first snapshot, so no change can slip in between; each
 * notification re-reads the state; the call answers as soon as the state is
 * what it waits for, or at the deadline with the state as it is then.
 * Waiters are registered, so a graceful shutdown answers them all at once.
 * No connection per request: the feed shares one LISTEN per process.
 */

export interface UntilOptions<A> {
  /** How long to wait at most, in ms. */
  readonly waitMs: number;
  /** The current state, or undefined when it cannot be read right now (the last one read stands). */
  readonly read: () => Promise<A | undefined>;
  /** Answer now? */
  readonly done: (a: A) => boolean;
  /** The snapshot taken after subscribing. */
  readonly initial: A;
  /** The client went away: stop waiting. */
  readonly signal?: AbortSignal;
}

/** One call's subscription; `until` waits, `close` unsubscribes (always call it). */
export class Waiter {
  private notified = false;
  private wake: (() => void) | null = null;
  private readonly unsubscribe: Unsubscribe;

  constructor(
    feed: ChangeFeed,
    orderId: string,
    private readonly registry: LongPoll,
  ) {
    this.unsubscribe = feed.subscribe(orderId, () => {
      this.notified = true;
      this.wake?.();
    });
  }

  async until<A>(options: UntilOptions<A>): Promise<A> {
    const { read, done, signal } = options;
    let last = options.initial;
    if (done(last) || options.waitMs <= 0) return last;
    const deadline = Date.now() + options.waitMs;
    const take = async (): Promise<A> => {
      const current = await read().catch(() => undefined);
      if (current !== undefined) last = current;
      return last;
    };
    this.registry.register(this);
    try {
      for (;;) {
        if (this.registry.closing || signal?.aborted) return this.registry.closing ? await take() : last;
        if (this.notified) {
          this.notified = false;
          if (done(await take())) return last;
          continue;
        }
        const left = deadline - Date.now();
        if (left <= 0) return await take();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(finish, left);
          const onAbort = (): void => finish();
          signal?.addEventListener('abort', onAbort, { once: true });
          function finish(): void {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            resolve();
          }
          this.wake = finish;
          // A notification or shutdown may have come while the timer was being set.
          if (this.notified || this.registry.closing) finish();
        });
        this.wake = null;
      }
    } finally {
      this.registry.unregister(this);
    }
  }

  /** Ends the wait at once (shutdown): the call answers with the state as it is now. */
  interrupt(): void {
    this.wake?.();
  }

  close(): void {
    this.unsubscribe();
  }
}

export class LongPoll {
  private readonly waiters = new Set<Waiter>();
  private drained: (() => void) | null = null;
  closing = false;

  constructor(private readonly feed: ChangeFeed) {}

  /** Subscribes to the order's changes now; take the first snapshot after this. */
  watch(orderId: string): Waiter {
    return new Waiter(this.feed, orderId, this);
  }

  /** Calls waiting right now. */
  get waiting(): number {
    return this.waiters.size;
  }

  register(w: Waiter): void {
    this.waiters.add(w);
  }

  unregister(w: Waiter): void {
    this.waiters.delete(w);
    if (this.waiters.size === 0) this.drained?.();
  }

  /** Graceful shutdown: every waiting call answers now with the current state; later calls do not wait. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    this.closing = true;
    if (this.waiters.size === 0) return;
    const drained = new Promise<void>((resolve) => {
      this.drained = resolve;
    });
    for (const w of this.waiters) w.interrupt();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }
}
