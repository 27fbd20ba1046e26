import { sql, type Kysely, type RawBuilder } from 'kysely';
import { OUTBOX_CHANNEL, type Database } from './database';
import type { ProcessingEventPayload } from './outbox.table';

/*
 * The outbox's statements, for the relay of @codedispatch/processing-queue
 * (which decides when and what to deliver; every statement is here). All
 * times come from the database's `now()`, so instances agree; every
 * statement is one short transaction, so none is open while a sink runs
 * (PGlite has one connection).
 */

const TABLE = 'code_dispatch.outbox';

/** An event leased for delivery. */
export interface ClaimedOutboxRow {
  readonly id: string;
  readonly event_id: string;
  readonly order_id: string;
  readonly payload: ProcessingEventPayload;
  /** Attempts so far, this one included. */
  readonly attempts: number;
}

export interface OutboxStats {
  /** Undelivered events that are not dead letters. */
  readonly depth: number;
  /** Age of the oldest of them; 0 when there is none. */
  readonly oldestAgeSeconds: number;
  readonly dead: number;
}

/** What `claim` writes as the last error of a row whose lease had run out. */
export const LEASE_EXPIRED = 'lease expired: the relay delivering it stopped before recording an outcome';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `now()` shifted by `ms` (negative: in the past), on the database's clock. */
const later = (ms: number): RawBuilder<Date> => sql<Date>`now() + ${`${Math.round(ms)} milliseconds`}::interval`;

const ids = (rows: readonly { readonly id: string }[]) => sql<string>`any(${rows.map((r) => r.id)}::bigint[])`;

export class KyselyOutboxStore {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * One statement: lease up to `batchSize` due rows for `leaseMs` and count
   * the attempt; oldest first. A row still carrying a lease here had it
   * expire: the relay delivering it stopped.
   */
  async claim(batchSize: number, leaseMs: number): Promise<readonly ClaimedOutboxRow[]> {
    const rows = await this.db
      .updateTable(TABLE)
      .set({
        locked_until: later(leaseMs),
        attempts: sql<number>`attempts + 1`,
        last_error: sql<string | null>`case when locked_until is not null then ${LEASE_EXPIRED} else last_error end`,
      })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom(TABLE)
          .select('id')
          .where('delivered_at', 'is', null)
          .where('dead_at', 'is', null)
          .where('available_at', '<=', sql<Date>`now()`)
          .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<', sql<Date>`now()`)]))
          .orderBy('id')
          .limit(batchSize)
          .forUpdate()
          .skipLocked(),
      )
      .returning(['id', 'event_id', 'order_id', 'payload', 'attempts'])
      .execute();
    const id = (r: ClaimedOutboxRow): bigint => BigInt(r.id);
    return [...rows].sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
  }

  /** One statement for a batch's acknowledged events. Marked even if the lease ran out meanwhile: they were delivered. */
  async markDelivered(rows: readonly { readonly id: string }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .updateTable(TABLE)
      .set({ delivered_at: sql<Date>`now()`, locked_until: null })
      .where('id', '=', ids(rows))
      .where('delivered_at', 'is', null)
      .execute();
  }

  /** A failed delivery: due again after `retryInMs`, or a dead letter. */
  async recordFailure(row: { readonly id: string }, retryInMs: number, error: string, dead: boolean): Promise<void> {
    await this.db
      .updateTable(TABLE)
      .set({
        available_at: later(retryInMs),
        locked_until: null,
        last_error: error,
        dead_at: dead ? sql<Date>`now()` : null,
      })
      .where('id', '=', row.id)
      .where('delivered_at', 'is', null)
      .execute();
  }

  /** Hand claimed rows back untried (the attempt is not counted). */
  async release(rows: readonly { readonly id: string }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .updateTable(TABLE)
      .set({ locked_until: null, attempts: sql<number>`attempts - 1` })
      .where('id', '=', ids(rows))
      .where('delivered_at', 'is', null)
      .execute();
  }

  /** Dead-letter rows that used up their attempts without a recorded outcome. */
  async bury(rows: readonly { readonly id: string }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .updateTable(TABLE)
      .set({ locked_until: null, attempts: sql<number>`attempts - 1`, dead_at: sql<Date>`now()` })
      .where('id', '=', ids(rows))
      .where('delivered_at', 'is', null)
      .execute();
  }

  /** Outbox depth and lag, for metrics. */
  async stats(): Promise<OutboxStats> {
    const row = await this.db
      .selectFrom(TABLE)
      .select([
        sql<string>`count(*) filter (where dead_at is null)`.as('depth'),
        sql<string>`coalesce(extract(epoch from now() - min(created_at) filter (where dead_at is null)), 0)`.as('oldest'),
        sql<string>`count(*) filter (where dead_at is not null)`.as('dead'),
      ])
      .where('delivered_at', 'is', null)
      .executeTakeFirstOrThrow();
    return { depth: Number(row.depth), oldestAgeSeconds: Math.max(0, Number(row.oldest)), dead: Number(row.dead) };
  }

  /** Put dead letters (all, or those listed) back in the queue, and wake the relays; returns their event ids. */
  async redrive(eventIds?: readonly string[]): Promise<readonly string[]> {
    // Anything but a UUID cannot match (and would fail the uuid cast).
    const wanted = eventIds?.filter((id) => UUID.test(id));
    if (wanted !== undefined && wanted.length === 0) return [];
    let query = this.db
      .updateTable(TABLE)
      .set({ dead_at: null, attempts: 0, available_at: sql<Date>`now()`, locked_until: null })
      .where('dead_at', 'is not', null)
      .where('delivered_at', 'is', null);
    if (wanted !== undefined) query = query.where('event_id', 'in', wanted);
    const rows = await query.returning('event_id').execute();
    if (rows.length > 0) await sql`select pg_notify(${OUTBOX_CHANNEL}, '')`.execute(this.db);
    return rows.map((r) => r.event_id);
  }

  /**
   * Every event waiting out its backoff after a failed delivery becomes due
   * now (not the dead, not those leased by a relay right now); relays are
   * woken. For when the sink is back after an outage: its backlog need not
   * wait for backoffs that grew while it was down. Returns how many.
   */
  async hastenBackedOff(): Promise<number> {
    const result = await this.db
      .updateTable(TABLE)
      .set({ available_at: sql<Date>`now()` })
      .where('delivered_at', 'is', null)
      .where('dead_at', 'is', null)
      .where('attempts', '>', 0)
      .where('available_at', '>', sql<Date>`now()`)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', sql<Date>`now()`)]))
      .executeTakeFirst();
    const count = Number(result.numUpdatedRows);
    if (count > 0) await sql`select pg_notify(${OUTBOX_CHANNEL}, '')`.execute(this.db);
    return count;
  }

  /** Delete delivered events older than `olderThanSeconds` (retention); returns how many. */
  async pruneDelivered(olderThanSeconds: number): Promise<number> {
    const result = await this.db
      .deleteFrom(TABLE)
      .where('delivered_at', '<', later(-olderThanSeconds * 1000))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
