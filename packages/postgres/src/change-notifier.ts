import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { ASSIGNMENTS_CHANNEL, OUTBOX_CHANNEL } from './database';
import { MISSED_NOTIFICATIONS, type DatabaseHandle, type Unlisten } from './connect';

/**
 * Callbacks per order_id, each called when its order changes, with what the
 * emitter knows of the change (`T`), if anything. A callback that throws is
 * reported and does not stop the others.
 */
export class OrderSubscribers<T = undefined> {
  private readonly listeners = new Map<string, Set<(change?: T) => void>>();

  constructor(private readonly onError: (error: unknown) => void = () => undefined) {}

  /** The result unsubscribes. The same callback may subscribe twice and unsubscribe once. */
  subscribe(orderId: string, onChange: (change?: T) => void): () => void {
    let set = this.listeners.get(orderId);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(orderId, set);
    }
    const entry = (change?: T): void => onChange(change);
    set.add(entry);
    return () => {
      const current = this.listeners.get(orderId);
      if (current === undefined) return;
      current.delete(entry);
      if (current.size === 0) this.listeners.delete(orderId);
    };
  }

  emit(orderId: string, change?: T): void {
    const set = this.listeners.get(orderId);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(change);
      } catch (e) {
        this.onError(e);
      }
    }
  }

  /** Calls every subscriber (their orders may have changed unheard). */
  emitAll(): void {
    for (const orderId of [...this.listeners.keys()]) this.emit(orderId);
  }

  /** Orders with at least one subscriber. */
  get watchedOrders(): number {
    return this.listeners.size;
  }
}

/** How long announced changes gather before one NOTIFY carries them all. */
const COALESCE_MS = 2;
/** NOTIFY payloads must stay under 8000 bytes. */
const MAX_PAYLOAD_BYTES = 7_500;
/** After a failed NOTIFY (the database away), the changes wait this long before the next try. */
const RETRY_MS = 250;
/** Changes kept for a send at the most: past this, every instance is told that it missed some (as after a lost LISTEN). */
const MAX_PENDING = 50_000;

/**
 * "This order changed", across instances, kept off the commit path.
 *
 * Writes do not NOTIFY: PostgreSQL serialises the commits of notifying
 * transactions on one global lock, which capped every write of every
 * instance. Instead each instance announces the orders it changed after
 * they committed (`announce`), and sends them a few milliseconds later as one
 * NOTIFY on `code_dispatch_assignments` — its instance id, then the order
 * ids, one per line — in a statement of its own. Other instances fan it out
 * to their subscribers of those orders; the sender skips its own, whose
 * subscribers heard it in-process. An announced event also sends one NOTIFY
 * on `code_dispatch_outbox`, which wakes every relay.
 *
 * When the LISTEN connection comes back after a loss, every subscriber is
 * woken, since notifications sent meanwhile are gone: a long-poll reads its
 * record again rather than waiting out its deadline. An instance that had to
 * drop announced changes (more than MAX_PENDING waiting for a database that
 * is away) says so the same way, with `MISSED_NOTIFICATIONS` as its payload.
 */
export class ChangeNotifier {
  private readonly subscribers: OrderSubscribers;
  private unlisten: Unlisten | null = null;
  private starting: Promise<void> | null = null;
  private readonly instanceId = randomUUID();
  private pending = new Set<string>();
  /** Changes were dropped (MAX_PENDING): the next NOTIFY says `MISSED_NOTIFICATIONS` instead of naming orders. */
  private dropped = false;
  private eventPending = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly database: Pick<DatabaseHandle, 'listen' | 'db'>,
    /** A subscriber or a NOTIFY that failed (for logging); the others go on. */
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.subscribers = new OrderSubscribers(onError);
  }

  /** Starts listening; resolves once the LISTEN is in place. Idempotent. */
  start(): Promise<void> {
    if (this.unlisten !== null) return Promise.resolve();
    this.starting ??= this.database
      .listen(ASSIGNMENTS_CHANNEL, (payload) => this.heard(payload))
      .then((unlisten) => {
        this.unlisten = unlisten;
      })
      .finally(() => {
        this.starting = null;
      });
    return this.starting;
  }

  /** Sends what is announced, then stops listening (subscriptions stay, and hear nothing until the next start). Idempotent. */
  async stop(): Promise<void> {
    await this.flush();
    await this.starting?.catch(() => undefined);
    const unlisten = this.unlisten;
    this.unlisten = null;
    await unlisten?.();
  }

  /** Calls `onChange` whenever a transition of `orderId` commits, on any instance; the result unsubscribes. */
  subscribe(orderId: string, onChange: () => void): () => void {
    return this.subscribers.subscribe(orderId, onChange);
  }

  /** Tells the other instances that `orderId` changed (after its write committed); `withEvent`: an outbox event was written. */
  announce(orderId: string, withEvent = false): void {
    this.keep(orderId);
    this.eventPending ||= withEvent;
    this.schedule(COALESCE_MS);
  }

  /** Orders with at least one subscriber. */
  get watchedOrders(): number {
    return this.subscribers.watchedOrders;
  }

  /** Sends every announced change now. */
  async flush(): Promise<void> {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    while (this.flushing !== null) await this.flushing;
    if (this.pending.size === 0 && !this.eventPending) return;
    this.flushing = this.send().finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }

  private schedule(delayMs: number): void {
    if (this.flushTimer !== null) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flush();
    }, delayMs);
    this.flushTimer.unref();
  }

  private keep(orderId: string): void {
    if (this.pending.size < MAX_PENDING || this.pending.has(orderId)) this.pending.add(orderId);
    else this.dropped = true;
  }

  private async send(): Promise<void> {
    const ids = [...this.pending];
    const withEvent = this.eventPending;
    const dropped = this.dropped;
    this.pending = new Set();
    this.eventPending = false;
    this.dropped = false;
    const payloads = dropped ? [MISSED_NOTIFICATIONS] : chunks(this.instanceId, ids);
    try {
      await sql`select pg_notify(${ASSIGNMENTS_CHANNEL}, p) from unnest(${payloads}::text[]) as p
                union all select pg_notify(${OUTBOX_CHANNEL}, '') where ${withEvent}::boolean`.execute(this.database.db);
    } catch (e) {
      this.onError(e);
      for (const id of ids) this.keep(id);
      this.dropped ||= dropped;
      this.eventPending ||= withEvent;
      this.schedule(RETRY_MS);
    }
  }

  private heard(payload: string): void {
    if (payload === MISSED_NOTIFICATIONS) return this.subscribers.emitAll();
    const lines = payload.split('\n');
    if (lines[0] === this.instanceId) return; // our own: its subscribers heard it in-process
    for (const orderId of lines.slice(1)) this.subscribers.emit(orderId);
  }
}

/** The order ids as NOTIFY payloads: the instance id, then ids one per line, each payload under the size limit. */
const chunks = (instanceId: string, ids: readonly string[]): string[] => {
  const out: string[] = [];
  let current = instanceId;
  for (const id of ids) {
    if (Buffer.byteLength(current) + Buffer.byteLength(id) + 1 > MAX_PAYLOAD_BYTES && current !== instanceId) {
      out.push(current);
      current = instanceId;
    }
    current += `\n${id}`;
  }
  if (current !== instanceId || out.length === 0) out.push(current);
  return out;
};
