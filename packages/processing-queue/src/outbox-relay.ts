import {
  KyselyOutboxStore,
  LEASE_EXPIRED,
  OUTBOX_CHANNEL,
  type ClaimedOutboxRow,
  type Database,
  type DatabaseHandle,
  type OutboxStats,
} from '@codedispatch/postgres';
import type { EventSink, OutboxEvent } from './event';

/*
 * Why a hand-written relay and not pg-boss or graphile-worker: the outbox row
 * must be written by the same Kysely transaction as the assignment's
 * transition (SPEC §6 assign), so the queue has to be a table of ours; a job
 * library would add a second schema and a second write path. What is left —
 * claim with `FOR UPDATE SKIP LOCKED` and a lease, deliver, mark — is this
 * file (the statements are `KyselyOutboxStore`'s, in @codedispatch/postgres),
 * and it runs on PGlite too (graphile-worker does not).
 *
 * PGlite has one connection: no transaction is ever held open while a sink
 * runs. A batch is claimed in one short statement (the lease), delivered
 * outside any transaction, then a failure is recorded in its own statement and the batch's acknowledgements in one.
 * All times come from the database's `now()`, so instances agree.
 */

/** What the relay needs of the database handle: Kysely and LISTEN (`openDatabase(...)` gives both). */
export type OutboxStore = Pick<DatabaseHandle, 'db' | 'listen'>;

/** @deprecated The relay takes the handle's own `Kysely<Database>`: pass the `DatabaseHandle` itself as `store`. */
export type OutboxDatabase = Database;

export interface BackoffSettings {
  readonly baseMs: number;
  readonly maxMs: number;
}

export interface OutboxRelayOptions {
  readonly store: OutboxStore;
  readonly sink: EventSink;
  /** Delivery attempts before an event is dead-lettered. */
  readonly maxAttempts: number;
  /** Rows claimed per statement. Default 50. */
  readonly batchSize?: number;
  /** How long a claim holds its rows; a crashed relay's rows come back after it. Default 60 s. */
  readonly leaseMs?: number;
  /** A sink call taking longer counts as failed. Keep it well below `leaseMs`. Default 15 s. */
  readonly deliveryTimeoutMs?: number;
  /** Safety poll when no NOTIFY arrives (also picks up retries). Default 1.5 s. */
  readonly pollIntervalMs?: number;
  /** Exponential backoff with jitter between attempts. Default 1 s doubling, capped at 5 min. */
  readonly backoff?: BackoffSettings;
  /** Jitter source, [0, 1). */
  readonly random?: () => number;
  /** Logging/metrics hook; must not throw. */
  readonly onNotice?: (notice: RelayNotice) => void;
}

export type RelayNotice =
  | { readonly kind: 'delivered'; readonly eventId: string; readonly attempts: number; readonly ms: number }
  | {
      readonly kind: 'failed';
      readonly eventId: string;
      readonly attempts: number;
      readonly error: string;
      /** Dead-lettered: no further attempt until redriven. */
      readonly dead: boolean;
    }
  /** The relay itself failed (database unreachable…); it tries again at the next poll. */
  | { readonly kind: 'error'; readonly error: unknown }
  /** Deliveries succeed again after a run of failures: `hastened` events waiting on their backoff were made due. */
  | { readonly kind: 'sink_recovered'; readonly hastened: number };

export interface DrainResult {
  readonly claimed: number;
  readonly delivered: number;
  readonly failed: number;
}

export type { OutboxStats };

type ClaimedRow = ClaimedOutboxRow;

/** Exponential backoff with "equal jitter": between half and all of base·2^(n-1), capped. */
export const backoffDelayMs = (attempts: number, backoff: BackoffSettings, random: () => number): number => {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
};

// `text` cannot hold NUL; keep the stored error short.
const describe = (e: unknown): string =>
  (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).replaceAll('\u0000', '').slice(0, 2000);

/** `unref`: the timer alone does not keep the process alive (a hung sink must not hold a stopping process). */
const withTimeout = <T>(promise: Promise<T>, ms: number, what: string, unref = false): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    if (unref) timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};

/** Deliveries failed in a row (across events) that mean the sink, not one event, is failing. */
export const SINK_DOWN_STREAK = 3;

export class OutboxRelay {
  private readonly outbox: KyselyOutboxStore;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly deliveryTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly backoff: BackoffSettings;
  private readonly random: () => number;
  private readonly startBudgetMs: number;
  private running = false;
  private loop: Promise<void> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private woken = false;
  private wakeUp: (() => void) | null = null;
  /** Deliveries failed in a row, none succeeding since: a streak this long is the sink being down. */
  private failuresInARow = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.outbox = new KyselyOutboxStore(options.store.db);
    this.batchSize = options.batchSize ?? 50;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.deliveryTimeoutMs = options.deliveryTimeoutMs ?? 15_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_500;
    this.backoff = options.backoff ?? { baseMs: 1_000, maxMs: 300_000 };
    this.random = options.random ?? Math.random;
    if (!(this.deliveryTimeoutMs < this.leaseMs)) throw new RangeError('deliveryTimeoutMs must be shorter than leaseMs');
    // A delivery starts only while the lease can cover it and its outcome, with half the slack to spare.
    this.startBudgetMs = (this.leaseMs - this.deliveryTimeoutMs) / 2;
    if (!(options.maxAttempts >= 1)) throw new RangeError('maxAttempts must be at least 1');
  }

  /** Listen for NOTIFY and start delivering in the background. */
  async start(): Promise<void> {
    if (this.loop !== null) return;
    this.running = true;
    try {
      this.unlisten = await this.options.store.listen(OUTBOX_CHANNEL, () => this.wake());
    } catch (error) {
      this.notice({ kind: 'error', error }); // the safety poll still delivers
    }
    this.loop = this.run();
  }

  /**
   * Graceful stop: let the in-flight batch finish, then deliver what is due
   * (failures are left for later), all within `timeoutMs`. Rows still leased
   * when the time is up are not lost: their lease expires and another relay,
   * or the next start, delivers them.
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    const loop = this.loop;
    if (loop === null) return;
    this.running = false;
    this.wake();
    const deadline = Date.now() + timeoutMs;
    const flush = async (): Promise<void> => {
      await loop;
      while (Date.now() < deadline && (await this.drainOnce()).claimed > 0);
    };
    try {
      await withTimeout(flush(), timeoutMs, 'outbox flush');
    } catch (error) {
      this.notice({ kind: 'error', error });
    }
    const unlisten = this.unlisten;
    this.unlisten = null;
    this.loop = null;
    await unlisten?.().catch((error: unknown) => this.notice({ kind: 'error', error }));
  }

  /** Claim one batch of due events, deliver it, mark the outcome. */
  async drainOnce(): Promise<DrainResult> {
    const claimedAt = Date.now();
    const rows = await this.claim();
    // An event whose every attempt ended with its relay gone (a crash loop) is not tried again.
    const exhausted = rows.filter((r) => r.attempts > this.options.maxAttempts);
    if (exhausted.length > 0) await this.bury(exhausted);
    // Events of one order go in id order; different orders in parallel.
    const byOrder = new Map<string, ClaimedRow[]>();
    for (const row of rows) {
      if (row.attempts > this.options.maxAttempts) continue;
      const group = byOrder.get(row.order_id);
      if (group === undefined) byOrder.set(row.order_id, [row]);
      else group.push(row);
    }
    let failed = exhausted.length;
    const acknowledged: { readonly row: ClaimedRow; readonly ms: number }[] = [];
    const outcomes = await Promise.allSettled(
      [...byOrder.values()].map(async (group) => {
        for (const [i, row] of group.entries()) {
          // Never start a delivery the lease may not cover: hand the rest back while they are still ours.
          if (Date.now() - claimedAt > this.startBudgetMs) return this.release(group.slice(i));
          const outcome = await this.deliver(row);
          if (outcome.delivered) acknowledged.push({ row, ms: outcome.ms });
          else failed++;
        }
      }),
    );
    await this.markDelivered(acknowledged);
    await this.afterOutcomes(acknowledged.length, failed);
    const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (rejected !== undefined) throw rejected.reason;
    return { claimed: rows.length, delivered: acknowledged.length, failed };
  }

  /**
   * One statement for the batch's acknowledged events (one per event cost
   * the database as much as the code entry that made it). Marked even if the
   * lease ran out meanwhile: the events were delivered.
   */
  private async markDelivered(acknowledged: readonly { readonly row: ClaimedRow; readonly ms: number }[]): Promise<void> {
    await this.outbox.markDelivered(acknowledged.map((a) => a.row));
    for (const { row, ms } of acknowledged) this.notice({ kind: 'delivered', eventId: row.event_id, attempts: row.attempts, ms });
  }

  /**
   * A delivery succeeding after `SINK_DOWN_STREAK` failures in a row means
   * the sink is back: what failed meanwhile is made due at once, so that the
   * backlog goes out now rather than at backoffs that grew during the outage
   * (up to `backoff.maxMs`). A poison event gets one extra attempt per such
   * recovery, no more.
   */
  private async afterOutcomes(delivered: number, failed: number): Promise<void> {
    if (delivered === 0) {
      this.failuresInARow += failed;
      return;
    }
    const recovered = this.failuresInARow >= SINK_DOWN_STREAK;
    this.failuresInARow = 0;
    if (!recovered) return;
    const hastened = await this.outbox.hastenBackedOff();
    this.notice({ kind: 'sink_recovered', hastened });
    if (hastened > 0) this.wake();
  }

  /** Outbox depth and lag, for metrics. */
  stats(): Promise<OutboxStats> {
    return this.outbox.stats();
  }

  /** Put dead letters (all, or those listed) back in the queue; returns their event ids. */
  redrive(eventIds?: readonly string[]): Promise<readonly string[]> {
    return this.outbox.redrive(eventIds);
  }

  /** Delete delivered events older than `olderThanSeconds` (retention); returns how many. */
  pruneDelivered(olderThanSeconds: number): Promise<number> {
    return this.outbox.pruneDelivered(olderThanSeconds);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let more = false;
      try {
        more = (await this.drainOnce()).claimed === this.batchSize;
      } catch (error) {
        this.notice({ kind: 'error', error });
      }
      if (this.running && !more) await this.idle();
    }
  }

  private idle(): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, this.pollIntervalMs);
      this.wakeUp = done;
    });
  }

  private wake(): void {
    if (this.wakeUp !== null) this.wakeUp();
    else this.woken = true;
  }

  private claim(): Promise<readonly ClaimedRow[]> {
    return this.outbox.claim(this.batchSize, this.leaseMs);
  }

  /**
   * Deliver one claimed row; a failure is recorded at once, an
   * acknowledgement is the batch's to mark (`markDelivered`).
   */
  private async deliver(row: ClaimedRow): Promise<{ readonly delivered: boolean; readonly ms: number }> {
    const started = Date.now();
    try {
      const event: OutboxEvent = { eventId: row.event_id, payload: row.payload, attempts: row.attempts - 1 };
      await withTimeout(
        Promise.resolve().then(() => this.options.sink.deliver(event)),
        this.deliveryTimeoutMs,
        'delivery',
        true,
      );
    } catch (e) {
      const error = describe(e);
      const dead = row.attempts >= this.options.maxAttempts;
      await this.outbox.recordFailure(row, backoffDelayMs(row.attempts, this.backoff, this.random), error, dead);
      this.notice({ kind: 'failed', eventId: row.event_id, attempts: row.attempts, error, dead });
      return { delivered: false, ms: Date.now() - started };
    }
    return { delivered: true, ms: Date.now() - started };
  }

  /** Hand claimed rows back untried (the attempt is not counted). */
  private release(rows: readonly ClaimedRow[]): Promise<void> {
    return this.outbox.release(rows);
  }

  /** Dead-letter rows that used up their attempts without a recorded outcome. */
  private async bury(rows: readonly ClaimedRow[]): Promise<void> {
    await this.outbox.bury(rows);
    for (const row of rows) {
      this.notice({ kind: 'failed', eventId: row.event_id, attempts: row.attempts - 1, error: LEASE_EXPIRED, dead: true });
    }
  }

  private notice(notice: RelayNotice): void {
    try {
      this.options.onNotice?.(notice);
    } catch {
      // a logging hook must not stop the relay
    }
  }
}
