import { sql, type Kysely } from 'kysely';
import { areaId as toAreaId, type Assignment } from '@codedispatch/core';
import { FINAL_ERROR_SQL, predicates, rowToAssignment } from './assignments.table';
import type { Database } from './database';
import { KyselyAssignmentRepository } from './kysely-assignment-repository';

/*
 * What the operations console reads (issue 13): activity by area from the
 * change logs and the entry-outcome tally, the active records of a code, an
 * order's outbox rows, the dead letters; and the tally's writes. Read-only
 * on the records; every figure comes from the database.
 */

export interface AreaActivityRequest {
  readonly areas: readonly { readonly areaId: string; readonly codeLength: number; readonly takenSince: Date }[];
  readonly now: Date;
  /** Start of the first one-minute bucket (a minute boundary). */
  readonly seriesSince: Date;
  /** now - 15 min: the window of the `last_15_min` figures. */
  readonly recentSince: Date;
}

export interface AreaActivity {
  readonly areaId: string;
  /** Status pending and expires_at > now. */
  readonly pending: number;
  readonly processing: number;
  /** As `countTakenCodes(areaId, codeLength, takenSince)` counts. */
  readonly taken: number;
  readonly recent: {
    /** Changes to processing with at >= recentSince. */
    readonly entries: number;
    /** Changes to assigned with at >= recentSince. */
    readonly assignments: number;
    readonly entryToAssignedMs: { readonly count: number; readonly p50: number | null; readonly p99: number | null };
    /** Change-log error codes + tallied entry outcomes, by code. */
    readonly errors: Readonly<Record<string, number>>;
    /** Tallied too_many_attempts. */
    readonly attemptLimitRefusals: number;
  };
  /** One per minute from seriesSince to now, oldest first, zeros filled. */
  readonly series: readonly {
    readonly at: Date;
    readonly entries: number;
    readonly assignments: number;
    /**
     * Changes to error whose error_code is not a final outcome of the order
     * (order_cancelled and expired are left out: no code entry failed), plus
     * every tallied entry outcome (too_many_attempts included).
     */
    readonly errors: number;
    readonly attemptLimitRefusals: number;
  }[];
}

export interface EntryOutcomeCount {
  readonly areaId: string;
  readonly minute: Date;
  readonly code: string;
  readonly count: number;
}

export interface OutboxEventView {
  readonly eventId: string;
  readonly orderId: string;
  readonly type: string;
  readonly createdAt: Date;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly deliveredAt: Date | null;
  readonly deadAt: Date | null;
  readonly lastError: string | null;
}

export interface OperationsReadModel {
  /** One per requested area, same order. */
  areaActivity(request: AreaActivityRequest): Promise<readonly AreaActivity[]>;
  /** The core's Assignment; the code normalised by the caller. */
  activeByCode(areaId: string, code: string): Promise<readonly Assignment[]>;
  /** Oldest first. */
  eventsOf(orderId: string): Promise<readonly OutboxEventView[]>;
  /** Newest dead first. */
  deadLetters(limit: number): Promise<readonly OutboxEventView[]>;
  /** Upsert: adds to existing counts. */
  recordEntryOutcomes(counts: readonly EntryOutcomeCount[]): Promise<void>;
  pruneEntryOutcomes(before: Date): Promise<number>;
}

/** The tallied outcome that is the attempt limit's refusal. */
const TOO_MANY_ATTEMPTS = 'too_many_attempts';

const active = sql.raw<boolean>(predicates().active);
const final = sql.raw(FINAL_ERROR_SQL);

const OUTBOX_VIEW = [
  'event_id',
  'order_id',
  'type',
  'created_at',
  'attempts',
  'available_at',
  'delivered_at',
  'dead_at',
  'last_error',
] as const;

const toEventView = (r: {
  event_id: string;
  order_id: string;
  type: string;
  created_at: Date;
  attempts: number;
  available_at: Date;
  delivered_at: Date | null;
  dead_at: Date | null;
  last_error: string | null;
}): OutboxEventView => ({
  eventId: r.event_id,
  orderId: r.order_id,
  type: r.type,
  createdAt: r.created_at,
  attempts: r.attempts,
  nextAttemptAt: r.available_at,
  deliveredAt: r.delivered_at,
  deadAt: r.dead_at,
  lastError: r.last_error,
});

/** A count or a percentile as the drivers return it (int8 and numeric may come as text). */
const num = (v: unknown): number => Number(v ?? 0);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export class KyselyOperationsReadModel implements OperationsReadModel {
  private readonly assignments: KyselyAssignmentRepository;

  constructor(private readonly db: Kysely<Database>) {
    this.assignments = new KyselyAssignmentRepository(db);
  }

  async areaActivity(request: AreaActivityRequest): Promise<readonly AreaActivity[]> {
    const { areas, now, seriesSince, recentSince } = request;
    if (areas.length === 0) return [];
    const ids = areas.map((a) => a.areaId);
    const since = seriesSince < recentSince ? seriesSince : recentSince;

    const current = await sql<{ area_id: string; pending: number; processing: number }>`
      select area_id,
             count(*) filter (where status = 'pending' and expires_at > ${now}::timestamptz)::integer as pending,
             count(*) filter (where status = 'processing')::integer as processing
      from code_dispatch.assignments
      where area_id = any(${ids}::text[]) and status in ('pending', 'processing')
      group by area_id`.execute(this.db);

    // The change logs of the records changed since `since` (each transition
    // sets updated_at to its change's time), read once: one row per change
    // in the window, with the time of the latest change to processing before
    // it in its record (from the whole log, so before the window filter).
    // The three aggregates read that set; one row per area comes back, the
    // errors by code and the series as JSON. The planner prices the log at
    // 100 changes a record (its default for a set-returning function), so on
    // PostgreSQL its JIT would compile the statement at every call, costing
    // more than the query itself: off for this statement (not when on the
    // caller's transaction, whose settings are theirs).
    const query = sql<{
      area_id: string;
      entries: number;
      assignments: number;
      latencies: number;
      p50: string | number | null;
      p99: string | number | null;
      errors: Record<string, number>;
      series: { at: number; entries: number; assignments: number; errors: number; refusals: number }[];
    }>`
      with log as materialized (
        select area_id, at, to_status, error_code, entered_at
        from (
          select r.area_id,
                 (c.value ->> 'at')::timestamptz as at,
                 c.value ->> 'to' as to_status,
                 c.value ->> 'error_code' as error_code,
                 max((c.value ->> 'at')::timestamptz) filter (where c.value ->> 'to' = 'processing')
                   over (partition by r.order_id order by c.ord rows between unbounded preceding and 1 preceding) as entered_at
          from code_dispatch.assignments r
          cross join lateral jsonb_array_elements(r.changes) with ordinality as c(value, ord)
          where r.area_id = any(${ids}::text[]) and r.updated_at >= ${since}::timestamptz
        ) changes
        where at >= ${since}::timestamptz and at <= ${now}::timestamptz
      ),
      recent as (
        select area_id,
               count(*) filter (where to_status = 'processing')::integer as entries,
               count(*) filter (where to_status = 'assigned')::integer as assignments,
               count(ms)::integer as latencies,
               percentile_disc(0.5) within group (order by ms) as p50,
               percentile_disc(0.99) within group (order by ms) as p99
        from (
          select area_id, to_status,
                 case when to_status = 'assigned' then extract(epoch from at - entered_at) * 1000 end as ms
          from log
          where at >= ${recentSince}::timestamptz
        ) l
        group by area_id
      ),
      -- A tally row counts in the window when its minute overlaps it.
      errors as (
        select area_id, jsonb_object_agg(code, count) as errors
        from (
          select area_id, code, sum(count)::integer as count
          from (
            select area_id, error_code as code, count(*) as count
            from log
            where to_status = 'error' and error_code is not null and at >= ${recentSince}::timestamptz
            group by area_id, error_code
            union all
            select area_id, code, sum(count) as count
            from code_dispatch.entry_outcomes
            where area_id = any(${ids}::text[])
              and minute > ${recentSince}::timestamptz - interval '1 minute' and minute <= ${now}::timestamptz
            group by area_id, code
          ) e
          group by area_id, code
        ) e
        group by area_id
      ),
      buckets as (
        select a.area_id, g.at
        from unnest(${ids}::text[]) as a(area_id)
        cross join generate_series(${seriesSince}::timestamptz, ${now}::timestamptz, interval '1 minute') as g(at)
      ),
      changes as (
        select area_id, date_bin(interval '1 minute', at, ${seriesSince}::timestamptz) as at,
               count(*) filter (where to_status = 'processing') as entries,
               count(*) filter (where to_status = 'assigned') as assignments,
               count(*) filter (where to_status = 'error' and (error_code is null or error_code not in (${final}))) as errors
        from log
        where at >= ${seriesSince}::timestamptz
        group by 1, 2
      ),
      tally as (
        select area_id, date_bin(interval '1 minute', minute, ${seriesSince}::timestamptz) as at,
               sum(count) as errors,
               coalesce(sum(count) filter (where code = ${TOO_MANY_ATTEMPTS}), 0) as refusals
        from code_dispatch.entry_outcomes
        where area_id = any(${ids}::text[]) and minute >= ${seriesSince}::timestamptz and minute <= ${now}::timestamptz
        group by 1, 2
      ),
      series as (
        select b.area_id,
               jsonb_agg(jsonb_build_object(
                 'at', (extract(epoch from b.at) * 1000)::bigint,
                 'entries', coalesce(c.entries, 0),
                 'assignments', coalesce(c.assignments, 0),
                 'errors', coalesce(c.errors, 0) + coalesce(t.errors, 0),
                 'refusals', coalesce(t.refusals, 0)
               ) order by b.at) as series
        from buckets b
        left join changes c on c.area_id = b.area_id and c.at = b.at
        left join tally t on t.area_id = b.area_id and t.at = b.at
        group by b.area_id
      )
      select a.area_id,
             coalesce(r.entries, 0) as entries, coalesce(r.assignments, 0) as assignments,
             coalesce(r.latencies, 0) as latencies, r.p50, r.p99,
             coalesce(e.errors, '{}'::jsonb) as errors,
             coalesce(s.series, '[]'::jsonb) as series
      from (select distinct area_id from unnest(${ids}::text[]) as a(area_id)) a
      left join recent r on r.area_id = a.area_id
      left join errors e on e.area_id = a.area_id
      left join series s on s.area_id = a.area_id`;
    const activity = this.db.isTransaction
      ? await query.execute(this.db)
      : await this.db.transaction().execute(async (trx) => {
          await sql`set local jit = off`.execute(trx);
          return query.execute(trx);
        });

    const taken = await Promise.all(
      areas.map((a) => this.assignments.countTakenCodes(toAreaId(a.areaId), a.codeLength, a.takenSince)),
    );

    return areas.map((area, i): AreaActivity => {
      const now_ = current.rows.find((r) => r.area_id === area.areaId);
      const a = activity.rows.find((row) => row.area_id === area.areaId);
      const areaErrors: Record<string, number> = {};
      for (const [code, count] of Object.entries(a?.errors ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
        areaErrors[code] = num(count);
      }
      return {
        areaId: area.areaId,
        pending: num(now_?.pending),
        processing: num(now_?.processing),
        taken: taken[i] ?? 0,
        recent: {
          entries: num(a?.entries),
          assignments: num(a?.assignments),
          entryToAssignedMs: { count: num(a?.latencies), p50: numOrNull(a?.p50), p99: numOrNull(a?.p99) },
          errors: areaErrors,
          attemptLimitRefusals: areaErrors[TOO_MANY_ATTEMPTS] ?? 0,
        },
        series: (a?.series ?? []).map((s) => ({
          at: new Date(num(s.at)),
          entries: num(s.entries),
          assignments: num(s.assignments),
          errors: num(s.errors),
          attemptLimitRefusals: num(s.refusals),
        })),
      };
    });
  }

  async activeByCode(areaId: string, code: string): Promise<readonly Assignment[]> {
    const rows = await this.db
      .selectFrom('code_dispatch.assignments')
      .selectAll()
      .where('area_id', '=', areaId)
      .where('code', '=', code)
      .where(active)
      .orderBy('order_id')
      .execute();
    return rows.map(rowToAssignment);
  }

  async eventsOf(orderId: string): Promise<readonly OutboxEventView[]> {
    const rows = await this.db
      .selectFrom('code_dispatch.outbox')
      .select(OUTBOX_VIEW)
      .where('order_id', '=', orderId)
      .orderBy('id')
      .execute();
    return rows.map(toEventView);
  }

  async deadLetters(limit: number): Promise<readonly OutboxEventView[]> {
    const rows = await this.db
      .selectFrom('code_dispatch.outbox')
      .select(OUTBOX_VIEW)
      .where('delivered_at', 'is', null)
      .where('dead_at', 'is not', null)
      .orderBy('dead_at', 'desc')
      .orderBy('id', 'desc')
      .limit(Math.max(0, Math.floor(limit)))
      .execute();
    return rows.map(toEventView);
  }

  /**
   * One statement: the counts (several of the same key are added up first)
   * are added to the rows already there. Minutes are truncated to the minute.
   */
  async recordEntryOutcomes(counts: readonly EntryOutcomeCount[]): Promise<void> {
    if (counts.length === 0) return;
    await sql`
      insert into code_dispatch.entry_outcomes as e (area_id, minute, code, count)
      select area_id, date_trunc('minute', minute), code, sum(count)
      from unnest(${counts.map((c) => c.areaId)}::text[], ${counts.map((c) => c.minute.toISOString())}::timestamptz[],
                  ${counts.map((c) => c.code)}::text[], ${counts.map((c) => c.count)}::integer[])
             as c(area_id, minute, code, count)
      group by 1, 2, 3
      on conflict (area_id, minute, code) do update set count = e.count + excluded.count`.execute(this.db);
  }

  /** Deletes the tally's minutes before `before`; returns how many rows. */
  async pruneEntryOutcomes(before: Date): Promise<number> {
    const result = await this.db.deleteFrom('code_dispatch.entry_outcomes').where('minute', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
