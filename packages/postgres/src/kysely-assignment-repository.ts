import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import {
  type AreaId,
  type Assignment,
  type AssignmentDraft,
  type AssignmentRepository,
  type AttemptEntry,
  type AttemptLimit,
  type AttemptReservation,
  type CodeEntry,
  type CodeEntryOutcome,
  type Driver,
  type InsertOutcome,
  type OrderId,
  type TransitionOutcome,
  type TransitionWrite,
} from '@codedispatch/core';
import { newAssignment, actorToJson } from '@codedispatch/core/adapter';
import {
  assignmentToRow,
  changeToJson,
  mutableColumns,
  predicates,
  rowToAssignment,
  type AssignmentRow,
} from './assignments.table';
import type { Database } from './database';
import { eventToPayload } from './outbox.table';

const ASSIGNMENTS = 'code_dispatch.assignments';
const ATTEMPTS = 'code_dispatch.driver_attempts';

/** How often an insert runs again after its candidate was taken by a concurrent one. */
const MAX_LOST_RACES = 4;

/** The unique indexes whose violation is an expected outcome, not a failure. */
const PROCESSING_DRIVER_INDEX = 'assignments_processing_driver_uq';
const ACTIVE_CODE_INDEX = 'assignments_active_code_uq';

const plain = predicates();
const aliased = predicates('a.');
const active = sql.raw<boolean>(plain.active);
const enterable = sql.raw<boolean>(plain.enterable);

const pgErrorOf = (e: unknown): { readonly code?: string; readonly constraint?: string } =>
  typeof e === 'object' && e !== null ? (e as { code?: string; constraint?: string }) : {};

/**
 * The assignment repository on PostgreSQL (or PGlite) through Kysely. The
 * invariants of SPEC §3 are the database's (unique indexes, CHECKs); expected
 * outcomes are values, and only infrastructure failures throw.
 *
 * Every write is one statement, hence one transaction and one round trip: the
 * transition's UPDATE, its change-log append and its outbox row are
 * data-modifying CTEs of one statement. Writes do not NOTIFY (that would
 * serialise every commit on PostgreSQL's notify lock): the caller announces
 * what changed through `ChangeNotifier`, after the commit.
 */
export class KyselyAssignmentRepository implements AssignmentRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Runs a statement that a unique index may refuse by design (an expected
   * outcome, caught by the caller). On its own it is one transaction, and a
   * refusal leaves nothing behind. On a Kysely transaction of the embedder's,
   * a failed statement would abort the whole transaction, their own writes
   * included: there it runs in a savepoint, rolled back on failure, so the
   * transaction goes on.
   */
  private async mayRefuse<T>(run: () => Promise<T>): Promise<T> {
    if (!this.db.isTransaction) return run();
    await sql`savepoint code_dispatch_refusable`.execute(this.db);
    let result: T;
    try {
      result = await run();
    } catch (e) {
      await sql`rollback to savepoint code_dispatch_refusable`.execute(this.db);
      await sql`release savepoint code_dispatch_refusable`.execute(this.db);
      throw e;
    }
    await sql`release savepoint code_dispatch_refusable`.execute(this.db);
    return result;
  }

  async findByOrder(orderId: OrderId): Promise<Assignment | null> {
    const row = await this.db.selectFrom(ASSIGNMENTS).selectAll().where('order_id', '=', orderId).executeTakeFirst();
    return row === undefined ? null : rowToAssignment(row);
  }

  async findActiveByCode(areaId: AreaId, code: string): Promise<Assignment | null> {
    const row = await this.db
      .selectFrom(ASSIGNMENTS)
      .selectAll()
      .where('area_id', '=', areaId)
      .where('code', '=', code)
      .where(active)
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? null : rowToAssignment(row);
  }

  async findAssignedByCodeAndDriver(
    areaId: AreaId,
    code: string,
    driver: Driver,
    releasedAfter: Date,
  ): Promise<Assignment | null> {
    const row = await this.db
      .selectFrom(ASSIGNMENTS)
      .selectAll()
      .where('area_id', '=', areaId)
      .where('code', '=', code)
      .where('status', '=', 'assigned')
      .where('park_db_id', '=', driver.parkDbId)
      .where('driver_id', '=', driver.driverId)
      .where('released_at', 'is not', null)
      .where('released_at', '>', releasedAfter)
      .orderBy('updated_at', 'desc')
      .orderBy('order_id')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? null : rowToAssignment(row);
  }

  async findProcessingByDriver(driver: Driver): Promise<Assignment | null> {
    const row = await this.db
      .selectFrom(ASSIGNMENTS)
      .selectAll()
      .where('status', '=', 'processing')
      .where('park_db_id', '=', driver.parkDbId)
      .where('driver_id', '=', driver.driverId)
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? null : rowToAssignment(row);
  }

  async hasActiveLegacyCodes(areaId: AreaId): Promise<boolean> {
    const row = await this.db
      .selectFrom(ASSIGNMENTS)
      .select(sql.lit(1).as('one'))
      .where('area_id', '=', areaId)
      .where('legacy', '=', true)
      .where(active)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * One statement: the first candidate (in the given order) that is neither
   * active nor cooling down in the area is inserted. When that candidate is
   * taken meanwhile by a concurrent insert (ON CONFLICT DO NOTHING waits for
   * it to commit), the statement runs again: it then sees the winner's code
   * and picks the next one, so a lost race never reads as a full area.
   */
  async insertWithFreshCode(draft: AssignmentDraft, candidates: readonly string[], cooldownCutoff: Date): Promise<InsertOutcome> {
    for (let race = 0; candidates.length > 0; race++) {
      const attempt = await this.insertFirstFree(draft, candidates, cooldownCutoff);
      if (attempt.kind === 'inserted') return attempt;
      if (attempt.kind === 'none_free' || race === MAX_LOST_RACES) break;
      // Lost a race: on the order_id (a concurrent create of the same order), or on the code (run again).
      const existing = await this.findByOrder(draft.orderId);
      if (existing !== null) return { kind: 'order_exists', assignment: existing };
    }
    const existing = await this.findByOrder(draft.orderId);
    return existing !== null ? { kind: 'order_exists', assignment: existing } : { kind: 'all_taken' };
  }

  private async insertFirstFree(
    draft: AssignmentDraft,
    candidates: readonly string[],
    cooldownCutoff: Date,
  ): Promise<{ readonly kind: 'inserted'; readonly assignment: Assignment } | { readonly kind: 'none_free' | 'lost_race' }> {
    const r = assignmentToRow(newAssignment({ ...draft, code: '' }));
    const { rows } = await sql<Partial<AssignmentRow> & { picked: number }>`
      with pick as (
        select c.code from unnest(${candidates}::text[]) with ordinality as c(code, ord)
        -- Two probes per candidate, one per partial index (an OR of both would scan the area).
        where not exists (
            select 1 from code_dispatch.assignments a
            where a.area_id = ${r.area_id}::text and a.code = c.code and ${sql.raw(aliased.active)})
          and not exists (
            select 1 from code_dispatch.assignments a
            where a.area_id = ${r.area_id}::text and a.code = c.code and a.released_at > ${cooldownCutoff}::timestamptz)
        order by c.ord
        limit 1
      ),
      ins as (
        insert into code_dispatch.assignments
          (order_id, area_id, code, status, error_code, driver_id, park_db_id, user_id,
           created_at, updated_at, expires_at, released_at, attempt, legacy, version, changes)
        select ${r.order_id}::text, ${r.area_id}::text, pick.code, ${r.status}::text, ${r.error_code}::text,
               ${r.driver_id}::text, ${r.park_db_id}::text, ${r.user_id}::text,
               ${r.created_at}::timestamptz, ${r.updated_at}::timestamptz, ${r.expires_at}::timestamptz,
               ${r.released_at}::timestamptz, ${r.attempt}::integer, ${r.legacy}::boolean, ${r.version}::integer,
               ${r.changes}::jsonb
        from pick
        on conflict do nothing
        returning *
      )
      select (select count(*) from pick)::integer as picked, i.*
      from (select 1) as one
      left join lateral (select ins.* from ins) as i on true`.execute(this.db);
    const row = rows[0];
    if (row !== undefined && row.order_id !== null && row.order_id !== undefined) {
      return { kind: 'inserted', assignment: rowToAssignment(row as AssignmentRow) };
    }
    return row !== undefined && row.picked > 0 ? { kind: 'lost_race' } : { kind: 'none_free' };
  }

  async countTakenCodes(areaId: AreaId, codeLength: number, cooldownCutoff: Date): Promise<number> {
    // Legacy codes are left out: they may follow no current format, so they
    // need not take room in the current code space (and may not be counted
    // as filling it).
    const row = await this.db
      .selectFrom(ASSIGNMENTS)
      .select((eb) => eb.fn.count<string>('code').distinct().as('taken'))
      .where('area_id', '=', areaId)
      .where('legacy', '=', false)
      .where(sql<boolean>`length(code) = ${codeLength}`)
      .where((eb) => eb.or([active, eb('released_at', '>', cooldownCutoff)]))
      .executeTakeFirstOrThrow();
    return Number(row.taken);
  }

  /**
   * Compare-and-set on `version`, as one statement: the UPDATE (with the
   * change-log append) and the outbox row when there is an event. A unique violation fails the whole statement, so nothing is
   * written and no transaction is left to clean up.
   */
  async applyTransition(write: TransitionWrite): Promise<TransitionOutcome> {
    const next = write.next;
    const set = mutableColumns(next);
    const logEntry = JSON.stringify([changeToJson(write.change)]);
    const event = write.event === undefined ? null : eventToPayload(randomUUID(), write.event);
    const outbox: RawBuilder<unknown> =
      event === null
        ? sql``
        : sql`,
        event as (
          insert into code_dispatch.outbox (event_id, order_id, type, payload)
          select ${event.event_id}::uuid, upd.order_id, ${event.type}::text, ${JSON.stringify(event)}::jsonb from upd
          returning event_id
        )`;
    const entry = write.releasesAttempt;
    const released: RawBuilder<unknown> =
      entry === undefined
        ? sql``
        : sql`,
        released as (${releaseStatement(entry, sql`exists (select 1 from upd)`)})`;
    try {
      const { rows } = await this.mayRefuse(() =>
        sql<AssignmentRow>`
        with upd as (
          update code_dispatch.assignments set
            area_id = ${set.area_id}::text,
            code = ${set.code}::text,
            status = ${set.status}::text,
            error_code = ${set.error_code}::text,
            driver_id = ${set.driver_id}::text,
            park_db_id = ${set.park_db_id}::text,
            user_id = ${set.user_id}::text,
            updated_at = ${set.updated_at}::timestamptz,
            expires_at = ${set.expires_at}::timestamptz,
            released_at = ${set.released_at}::timestamptz,
            attempt = ${set.attempt}::integer,
            legacy = ${set.legacy}::boolean,
            version = version + 1,
            changes = changes || ${logEntry}::jsonb
          where order_id = ${next.orderId}::text and version = ${write.expectedVersion}::integer
          returning *
        )${outbox}${released}
        select upd.* from upd`.execute(this.db),
      );
      const row = rows[0];
      return row === undefined ? { kind: 'conflict' } : { kind: 'applied', assignment: rowToAssignment(row) };
    } catch (e) {
      const { code, constraint } = pgErrorOf(e);
      if (code === '23505' && constraint === PROCESSING_DRIVER_INDEX) return { kind: 'driver_has_processing' };
      if (code === '23505' && constraint === ACTIVE_CODE_INDEX) return { kind: 'conflict' };
      throw e;
    }
  }

  /**
   * One statement. The upsert locks the driver's row in the area, so
   * concurrent reservations, on any instance, run one after the other, and
   * each sees the row as the one before left it (ON CONFLICT DO UPDATE acts
   * on the latest committed row, whatever the statement's snapshot). A full
   * window leaves the row as it is (the WHERE) and returns nothing; only then
   * are the failure times read, for the Retry-After.
   *
   * Why a row and not an advisory lock: the cheapest design. A lock must be
   * held from the count to the recorded failure, so across the lookup: an
   * explicit transaction (BEGIN, lock, count, lookup, CAS, record, COMMIT)
   * holding a connection for the whole entry; within one statement it would
   * not help, as the statement's snapshot predates the wait and misses the
   * failures the holder committed. The row holds the count itself: an entry
   * costs this one statement, a success takes it back inside its transition's
   * statement (`releasesAttempt`), so the common path keeps its three
   * statements; and a later statement can fold the limit, the code match and
   * the transition into one, with nothing failing by design.
   */
  async reserveAttempt(entry: AttemptEntry, limit: AttemptLimit): Promise<AttemptReservation> {
    const key = attemptKey(entry);
    const { rows } = await sql<{ reserved: boolean }>`
      insert into code_dispatch.driver_attempts as d (area_id, park_db_id, driver_id, failures)
      values (${key.area_id}::text, ${key.park_db_id}::text, ${key.driver_id}::text, array[${entry.at}::timestamptz])
      on conflict (area_id, park_db_id, driver_id) do update
        set failures = array(select t from unnest(d.failures) as t where t > ${limit.since}::timestamptz order by t)
                       || ${entry.at}::timestamptz
        where (select count(*) from unnest(d.failures) as t where t > ${limit.since}::timestamptz) < ${limit.maxFailures}::integer
      returning true as reserved`.execute(this.db);
    if (rows.length > 0) return { kind: 'reserved' };
    return { kind: 'refused', failures: await this.failuresSince(entry, limit.since) };
  }

  /**
   * A code entry in one statement (the common path of assign): the verdict
   * on the code's record (`entryVerdict`'s rules, in SQL), the attempt-limit
   * upsert — which serialises the driver's entries in the area on its row and
   * counts a failure in the same step — the move to processing as a
   * compare-and-set with its change-log entry and the outbox event. The move mirrors the core's `transition` for `code_entered`;
   * the contract suite checks that both write the same record.
   *
   * A verdict needing more (a due expiry or timeout, the driver's other
   * record in processing) comes back `undecided`, counted, for the use
   * case's slower path. Two entries of one driver at once can still meet the
   * one-processing-per-driver index (each statement's snapshot predates its
   * wait): that one fails whole and answers `lost_race`.
   */
  async enterCode(entry: CodeEntry): Promise<CodeEntryOutcome> {
    const eventId = randomUUID();
    const at = entry.at.toISOString();
    const actor = JSON.stringify(actorToJson({ kind: 'driver', driver: entry.driver }));
    let rows: (Partial<AssignmentRow> & { verdict: string; reserved: boolean; moved: boolean })[];
    try {
      rows = await this.mayRefuse(() => this.enterCodeStatement(entry, eventId, at, actor));
    } catch (e) {
      // The driver's other entry committed a processing record after this statement's snapshot was taken
      // (entries of one driver wait for each other, but the wait comes after the snapshot): the unique
      // index refused the second; nothing was written. The slower path reads afresh.
      const { code, constraint } = pgErrorOf(e);
      if (code === '23505' && (constraint === PROCESSING_DRIVER_INDEX || constraint === ACTIVE_CODE_INDEX))
        return { kind: 'lost_race' };
      throw e;
    }
    const row = rows[0];
    if (row === undefined) throw new Error('enterCode: the statement returned no row');
    if (!row.reserved) return { kind: 'refused', failures: await this.failuresSince(entry, entry.limit.since) };
    const record = (): Assignment => rowToAssignment(row as AssignmentRow);
    switch (row.verdict) {
      case 'enter':
        return row.moved ? { kind: 'entered', assignment: record() } : { kind: 'lost_race' };
      case 'repeated':
        return { kind: 'repeated', assignment: record() };
      case 'not_found':
      case 'in_use':
        return { kind: row.verdict };
      default:
        return { kind: 'undecided' };
    }
  }

  private async enterCodeStatement(entry: CodeEntry, eventId: string, at: string, actor: string) {
    const key = attemptKey(entry);
    const { rows } = await sql<Partial<AssignmentRow> & { verdict: string; reserved: boolean; moved: boolean }>`
      with target as (
        select a.* from code_dispatch.assignments a
        where a.area_id = ${key.area_id}::text and a.code = ${entry.code}::text and ${sql.raw(aliased.active)}
        limit 1
      ),
      repeat as (
        select a.* from code_dispatch.assignments a
        where not exists (select 1 from target)
          and a.area_id = ${key.area_id}::text and a.code = ${entry.code}::text and a.status = 'assigned'
          and a.park_db_id = ${key.park_db_id}::text and a.driver_id = ${key.driver_id}::text
          and a.released_at > ${entry.repeatReleasedAfter}::timestamptz
        order by a.updated_at desc, a.order_id
        limit 1
      ),
      verdict as (
        select case
          when t.order_id is null then case when exists (select 1 from repeat) then 'repeated' else 'not_found' end
          when t.status = 'processing' then
            case when t.updated_at <= ${entry.processingTimedOutAt}::timestamptz then 'undecided'
                 when t.park_db_id = ${key.park_db_id}::text and t.driver_id = ${key.driver_id}::text then 'repeated'
                 else 'in_use' end
          when ${entry.at}::timestamptz >= t.expires_at then 'undecided'
          when exists (
            select 1 from code_dispatch.assignments p
            where p.status = 'processing' and p.park_db_id = ${key.park_db_id}::text
              and p.driver_id = ${key.driver_id}::text and p.order_id <> t.order_id) then 'undecided'
          else 'enter' end as v
        from (select 1) as one left join target t on true
      ),
      reserve as (
        insert into code_dispatch.driver_attempts as d (area_id, park_db_id, driver_id, failures)
        select ${key.area_id}::text, ${key.park_db_id}::text, ${key.driver_id}::text,
               case when v.v in ('not_found', 'in_use', 'undecided') then array[${entry.at}::timestamptz]
                    else '{}'::timestamptz[] end
        from verdict v
        on conflict (area_id, park_db_id, driver_id) do update
          set failures = array(select t from unnest(d.failures) as t where t > ${entry.limit.since}::timestamptz order by t)
                         || excluded.failures
          where (select count(*) from unnest(d.failures) as t where t > ${entry.limit.since}::timestamptz)
                < ${entry.limit.maxFailures}::integer
        returning 1
      ),
      upd as (
        update code_dispatch.assignments a set
          status = 'processing', error_code = null,
          park_db_id = ${key.park_db_id}::text, driver_id = ${key.driver_id}::text,
          updated_at = ${entry.at}::timestamptz, released_at = null,
          attempt = a.attempt + 1, version = a.version + 1,
          changes = a.changes || jsonb_build_array(jsonb_build_object(
            'at', ${at}::text, 'from', a.status, 'to', 'processing', 'actor', ${actor}::jsonb))
        from target t
        where (select v from verdict) = 'enter' and exists (select 1 from reserve)
          and a.order_id = t.order_id and a.version = t.version
        returning a.*
      ),
      event as (
        insert into code_dispatch.outbox (event_id, order_id, type, payload)
        select ${eventId}::uuid, upd.order_id, 'code_dispatch.code_entered',
               jsonb_build_object('event_id', ${eventId}::text, 'type', 'code_dispatch.code_entered',
                 'order_id', upd.order_id, 'area_id', upd.area_id, 'park_db_id', ${key.park_db_id}::text,
                 'driver_id', ${key.driver_id}::text, 'attempt', upd.attempt, 'occurred_at', ${at}::text)
        from upd
        returning 1
      )
      select (select v from verdict) as verdict, exists (select 1 from reserve) as reserved,
             exists (select 1 from upd) as moved, r.*
      from (select 1) as one
      left join lateral (
        select * from upd
        union all select * from target where not exists (select 1 from upd)
        union all select * from repeat
        limit 1
      ) as r on true`.execute(this.db);
    return rows;
  }

  /** The driver's counted entries in the area after `since`, oldest first. */
  private async failuresSince(entry: AttemptEntry, since: Date): Promise<Date[]> {
    const key = attemptKey(entry);
    const { rows } = await sql<{ at: Date }>`
      select t as at from code_dispatch.driver_attempts d cross join unnest(d.failures) as t
      where d.area_id = ${key.area_id}::text and d.park_db_id = ${key.park_db_id}::text and d.driver_id = ${key.driver_id}::text
        and t > ${since}::timestamptz
      order by t`.execute(this.db);
    return rows.map((r) => r.at);
  }

  async releaseAttempt(entry: AttemptEntry): Promise<void> {
    await releaseStatement(entry, sql`true`).execute(this.db);
  }

  /** Deletes the rows of drivers whose every counted entry is at or before `before` (older than any window); returns how many. */
  async pruneFailedAttempts(before: Date): Promise<number> {
    const result = await this.db
      .deleteFrom(ATTEMPTS)
      .where(sql<boolean>`not exists (select 1 from unnest(failures) as t where t > ${before}::timestamptz)`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async findExpired(now: Date, limit: number): Promise<readonly Assignment[]> {
    const rows = await this.db
      .selectFrom(ASSIGNMENTS)
      .selectAll()
      .where(enterable)
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(limit)
      .execute();
    return rows.map(rowToAssignment);
  }

  async findProcessingSince(updatedBefore: Date, limit: number): Promise<readonly Assignment[]> {
    const rows = await this.db
      .selectFrom(ASSIGNMENTS)
      .selectAll()
      .where('status', '=', 'processing')
      .where('updated_at', '<=', updatedBefore)
      .orderBy('updated_at')
      .limit(limit)
      .execute();
    return rows.map(rowToAssignment);
  }
}

const attemptKey = (entry: AttemptEntry) => ({
  area_id: entry.areaId,
  park_db_id: entry.driver.parkDbId,
  driver_id: entry.driver.driverId,
});

/** Removes one entry made at `entry.at` from the driver's row, when `condition` holds. */
const releaseStatement = (entry: AttemptEntry, condition: RawBuilder<boolean>): RawBuilder<unknown> => {
  const key = attemptKey(entry);
  const at = sql`array_position(failures, ${entry.at}::timestamptz)`;
  return sql`
    update code_dispatch.driver_attempts set failures = failures[:${at} - 1] || failures[${at} + 1:]
    where area_id = ${key.area_id}::text and park_db_id = ${key.park_db_id}::text and driver_id = ${key.driver_id}::text
      and ${at} is not null and ${condition}`;
};
