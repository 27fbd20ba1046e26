import type { OrderId } from '@codedispatch/core';
import type { ChangeFeed, Unsubscribe } from '../changes/change-feed';

/*
 * Long-polls (SPEC §6, wait_ms), thousands of them per instance.
 *
 * One watch per order, however many calls wait on it. It subscribes to the
 * order's changes once, BEFORE its first read, and keeps the last record.
 * A change made in this process comes with the record it committed, which
 * the watch takes as it is; a change heard from another instance makes the
 * record stale, and if calls are waiting the watch reads it again, once for
 * all of them. Each call then answers if its own view of the new record
 * differs from the one it waits to see change. A call that arrives while
 * the record is current takes it without a read. At the deadline a call
 * answers with the current record seen at that moment (so an expiry due by
 * then shows): no read unless a change is still unread. A watch outlives
 * its last call by `lingerMs`, so a driver's next poll, sent as the last one
 * is answered, finds the record current.
 *
 * The kept record is as current as the notifications: every committed
 * transition is announced (in-process at once, to the other instances by the
 * notifier within milliseconds), a LISTEN that comes back after a loss wakes
 * every watch, and a record older than `maxRecordAgeMs` is read again before
 * it is used, so that a write made outside the service shows all the same.
 * Reads queue behind a gate of `maxReads`, those that waiting calls need
 * first. No connection per call: the feed shares one LISTEN per process. A
 * call has one timer (node keeps one list per duration: O(1) to set and
 * clear). Waiting calls are counted, so a graceful shutdown answers them all
 * at once.
 */

/** Reads an order's record (what the calls of that order share). */
export type ReadOrder<R> = (orderId: OrderId) => Promise<R>;

export interface LongPollOptions<R> {
  /** The order's changes; one made in this process comes with its record as committed. */
  readonly feed: ChangeFeed<R>;
  readonly read: ReadOrder<R>;
  /** Whether a record is newer than the kept one (a read may return an older one than a change made meanwhile); default: always. */
  readonly isNewer?: (record: R, kept: R) => boolean;
  /** How long a watch stays after its last call, for the next poll of the same order. */
  readonly lingerMs?: number;
  /** A kept record older than this is read again before it is used. */
  readonly maxRecordAgeMs?: number;
  /** Reads at a time (the others queue, those for waiting calls first), so that polls never take the whole pool. */
  readonly maxReads?: number;
}

export interface WaitOptions<R, A> {
  /** How long to wait at most, in ms. */
  readonly waitMs: number;
  /** This call's view of a record, or undefined when it cannot be had (the last one stands). */
  readonly view: (record: R) => Promise<A | undefined>;
  /** Answer now? */
  readonly done: (a: A) => boolean;
  /** The view taken from `Poll.record()`. */
  readonly initial: A;
}

const LINGER_MS = 3_000;
const MAX_RECORD_AGE_MS = 60_000;
const MAX_READS = 4;

/** First in, first out, each step O(1) (a large array's `shift` moves every element). */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/**
 * Runs at most `limit` reads at a time; the others wait in two queues, the
 * urgent one (a change that waiting calls are to answer) served first. A
 * burst of new polls thus waits here, without a timeout, rather than in the
 * connection pool, where it would hold up every other request.
 */
class ReadGate {
  private running = 0;
  private readonly urgent = new Fifo<() => void>();
  private readonly others = new Fifo<() => void>();

  constructor(private readonly limit: number) {}

  async run<T>(urgent: boolean, read: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running++;
    else await new Promise<void>((resolve) => (urgent ? this.urgent : this.others).push(resolve));
    try {
      return await read();
    } finally {
      // the turn passes to the next read waiting, if any
      const next = this.urgent.shift() ?? this.others.shift();
      if (next === undefined) this.running--;
      else next();
    }
  }
}

/** A waiting call, as its order's watch sees it. */
interface Waiting<R> {
  offer(record: R): void;
  expire(): Promise<void>;
}

/** One order's subscription and last record, shared by the calls on it. */
class OrderWatch<R> {
  /** Bumped by every notification: the record is current when it reflects the present version. */
  private version = 0;
  private readVersion = -1;
  /** When the kept record is due to be read again however current. */
  private staleAt = 0;
  private reading: Promise<R> | null = null;
  record: R | undefined = undefined;
  /** Calls holding the watch (from `watch()` to `close()`), waiting or not. */
  holders = 0;
  idleSince = 0;
  readonly waits = new Set<Waiting<R>>();
  readonly unsubscribe: Unsubscribe;

  constructor(
    readonly orderId: OrderId,
    private readonly owner: LongPoll<R>,
    feed: ChangeFeed<R>,
  ) {
    this.unsubscribe = feed.subscribe(orderId, (committed) => this.changed(committed));
  }

  get current(): boolean {
    return this.readVersion === this.version && Date.now() < this.staleAt;
  }

  /** The record now: the kept one while current, else one read shared by every call asking meanwhile. */
  latest(): Promise<R> {
    if (this.current) return Promise.resolve(this.record as R);
    this.reading ??= this.readUntilCurrent().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  /**
   * Reads the record even if it is current: for an answer that must not lag
   * a write another instance made a few milliseconds ago, before its
   * notification arrives.
   */
  reread(): Promise<R> {
    this.version++;
    return this.latest();
  }

  /** Reads the record for the waiting calls unless it is current (a call registered after a change it has not seen). */
  refresh(): void {
    if (!this.current) this.latest().catch(() => undefined);
  }

  /**
   * A change of the order. Made in this process, it comes with the record as
   * committed, which the calls take at once; it is current unless another
   * change is still unread. Else the record is read, once for all the calls.
   */
  private changed(committed: R | undefined): void {
    const unread = this.readVersion !== this.version;
    this.version++;
    if (committed !== undefined && this.take(committed) && !unread) this.fresh(this.version);
    if (this.waits.size > 0) this.refresh();
  }

  private async readUntilCurrent(): Promise<R> {
    for (;;) {
      const version = this.version;
      this.take(await this.owner.read(this.orderId, this.waits.size > 0));
      this.fresh(Math.max(this.readVersion, version));
      // Changed again while being read: the calls want that change too.
      if (this.readVersion === this.version) return this.record as R;
    }
  }

  /** Keeps `record` and offers it to the waiting calls, unless the kept one is newer; true if kept. */
  private take(record: R): boolean {
    if (this.record !== undefined && !this.owner.isNewer(record, this.record)) return false;
    this.record = record;
    for (const w of this.waits) w.offer(record);
    return true;
  }

  /** The kept record reflects every change up to `version`. */
  private fresh(version: number): void {
    this.readVersion = version;
    // Somewhere in the last quarter of the age allowed: records read in a burst are not read again in one.
    this.staleAt = Date.now() + this.owner.maxRecordAgeMs * (0.75 + Math.random() / 4);
  }
}

/** One call waiting on its order's watch; its answer resolves once. */
class Wait<R, A> implements Waiting<R> {
  private last: A;
  private next: { readonly record: R } | null = null;
  private evaluating = false;
  private finished = false;
  private readonly timer: NodeJS.Timeout;
  private resolve!: (a: A) => void;
  readonly answer: Promise<A>;

  constructor(
    private readonly watch: OrderWatch<R>,
    private readonly owner: LongPoll<R>,
    private readonly options: WaitOptions<R, A>,
  ) {
    this.last = options.initial;
    this.answer = new Promise<A>((resolve) => {
      this.resolve = resolve;
    });
    this.timer = setTimeout(expireWait, options.waitMs, this);
  }

  /** A newer record (read, or committed here): answer if this call's view of it is what it waits for. */
  offer(record: R): void {
    this.next = { record };
    if (!this.evaluating) void this.evaluate();
  }

  /** The wait ran out, or the instance shuts down: answer with the current record, seen now. */
  async expire(): Promise<void> {
    if (this.finished) return;
    clearTimeout(this.timer);
    try {
      const seen = await this.options.view(await this.watch.latest());
      if (seen !== undefined && !this.finished) this.last = seen;
    } catch {
      // the last view stands
    }
    this.finish();
  }

  /** Answers with the last view (also when the client went away: nobody reads it then). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    this.watch.waits.delete(this);
    this.owner.waitEnded();
    this.resolve(this.last);
  }

  private async evaluate(): Promise<void> {
    this.evaluating = true;
    for (let n = this.next; n !== null && !this.finished; n = this.next) {
      this.next = null;
      const seen = await this.options.view(n.record).catch(() => undefined);
      if (seen === undefined || this.finished) continue;
      this.last = seen;
      if (this.options.done(seen)) this.finish();
    }
    this.evaluating = false;
  }
}

const expireWait = (w: Waiting<unknown>): void => void w.expire();

/** One call's hold on its order's watch: `record`, then `until`; always `close`. */
export class Poll<R> {
  private seen: R | undefined = undefined;
  private wait: { finish(): void } | null = null;
  private cancelled = false;
  private closed = false;

  constructor(
    private readonly watch: OrderWatch<R>,
    private readonly owner: LongPoll<R>,
  ) {}

  /** The order's record now: the watch's while current, else one read shared with the other calls. */
  async record(): Promise<R> {
    const record = await this.watch.latest();
    this.seen = record;
    return record;
  }

  /** The record read afresh (`OrderWatch.reread`), as the call's first snapshot. */
  async recordAfresh(): Promise<R> {
    const record = await this.watch.reread();
    this.seen = record;
    return record;
  }

  /** Waits until this call's view of the record is `done`, or the deadline: then the view as it is. */
  async until<A>(options: WaitOptions<R, A>): Promise<A> {
    if (this.closed) throw new Error('until() after close()');
    if (this.cancelled || options.waitMs <= 0 || options.done(options.initial)) return options.initial;
    const wait = new Wait(this.watch, this.owner, options);
    this.wait = wait;
    this.watch.waits.add(wait);
    this.owner.waitStarted();
    if (this.owner.closing) {
      void wait.expire();
    } else {
      // A record read since this call's own, or a change nobody has read yet, may already answer it.
      if (this.watch.record !== this.seen) wait.offer(this.watch.record as R);
      this.watch.refresh();
    }
    return wait.answer;
  }

  /** The client went away: stop waiting (now, or as soon as `until` is called). */
  cancel(): void {
    this.cancelled = true;
    this.wait?.finish();
  }

  /** Releases the watch (it lingers a while for the next call). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wait?.finish();
    this.owner.release(this.watch);
  }
}

export class LongPoll<R> {
  readonly maxRecordAgeMs: number;
  readonly isNewer: (record: R, kept: R) => boolean;
  private readonly readOrder: ReadOrder<R>;
  private readonly reads: ReadGate;
  private readonly feed: ChangeFeed<R>;
  private readonly lingerMs: number;
  private readonly watches = new Map<OrderId, OrderWatch<R>>();
  /** Watches without a call, oldest first. */
  private readonly lingering = new Map<OrderId, OrderWatch<R>>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private waitCount = 0;
  private readCount = 0;
  private drained: (() => void) | null = null;
  closing = false;

  constructor(options: LongPollOptions<R>) {
    this.feed = options.feed;
    this.isNewer = options.isNewer ?? (() => true);
    this.readOrder = options.read;
    this.reads = new ReadGate(options.maxReads ?? MAX_READS);
    this.lingerMs = options.lingerMs ?? LINGER_MS;
    this.maxRecordAgeMs = options.maxRecordAgeMs ?? MAX_RECORD_AGE_MS;
  }

  /** Holds the order's watch (subscribed before its first read); take the first snapshot with `record()` after this. */
  watch(orderId: OrderId): Poll<R> {
    let watch = this.watches.get(orderId);
    if (watch === undefined) {
      watch = new OrderWatch(orderId, this, this.feed);
      this.watches.set(orderId, watch);
    }
    if (watch.holders++ === 0) this.lingering.delete(orderId);
    return new Poll(watch, this);
  }

  /** Calls waiting right now. */
  get waiting(): number {
    return this.waitCount;
  }

  /** Records read so far (first snapshots, changes, deadlines after a failed read, records grown old). */
  get recordsRead(): number {
    return this.readCount;
  }

  /** Orders watched right now (by a call, or lingering after one). */
  get watchedOrders(): number {
    return this.watches.size;
  }

  /** Graceful shutdown: every waiting call answers now with the current state; later calls do not wait. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    this.closing = true;
    if (this.waitCount === 0) return;
    const drained = new Promise<void>((resolve) => {
      this.drained = resolve;
    });
    for (const watch of this.watches.values()) for (const w of watch.waits) void w.expire();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** @internal An order's record; `urgent`: calls wait to see it. */
  read(orderId: OrderId, urgent: boolean): Promise<R> {
    return this.reads.run(urgent, () => {
      this.readCount++;
      return this.readOrder(orderId);
    });
  }

  /** @internal */
  waitStarted(): void {
    this.waitCount++;
  }

  /** @internal */
  waitEnded(): void {
    this.waitCount--;
    if (this.waitCount === 0) this.drained?.();
  }

  /** @internal A call let go of its watch. */
  release(watch: OrderWatch<R>): void {
    if (--watch.holders > 0) return;
    watch.idleSince = Date.now();
    this.lingering.set(watch.orderId, watch);
    this.sweepTimer ??= setInterval(() => this.sweep(), Math.max(10, this.lingerMs / 2)).unref();
  }

  /** Drops the watches that lingered long enough. */
  private sweep(): void {
    const now = Date.now();
    for (const [orderId, watch] of this.lingering) {
      if (now - watch.idleSince < this.lingerMs) break;
      this.lingering.delete(orderId);
      this.watches.delete(orderId);
      watch.unsubscribe();
    }
    if (this.lingering.size === 0 && this.sweepTimer !== null) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = null;
    }
  }
}
