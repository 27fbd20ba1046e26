import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import {
  newAssignment,
  type AreaId,
  type Assignment,
  type AssignmentDraft,
  type AssignmentRepository,
  type Driver,
  type FailedAttempt,
  type InsertOutcome,
  type OrderId,
  type TransitionOutcome,
  type TransitionWrite,
} from '@codedispatch/core';
import {
  assignmentToRow,
  changeToJson,
  mutableColumns,
  predicates,
  rowToAssignment,
  type AssignmentRow,
} from './assignments.table';
import { ASSIGNMENTS_CHANNEL, OUTBOX_CHANNEL, type Database } from './database';
import { failedAttemptToRow } from './failed-code-entries.table';
import { eventToPayload } from './outbox.table';

const ASSIGNMENTS = 'code_dispatch.assignments';
const FAILED = 'code_dispatch.failed_code_entries';

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
 * transition's UPDATE, its change-log append, its outbox row and its NOTIFYs
 * are data-modifying CTEs of one statement. NOTIFY is delivered on commit.
 */
export class KyselyAssignmentRepository implements AssignmentRepository {
  constructor(private readonly db: Kysely<Database>) {}

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
      ),
      notified as (select pg_notify(${ASSIGNMENTS_CHANNEL}, ins.order_id) from ins)
      select (select count(*) from pick)::integer as picked, i.*
      from (select 1) as one
      left join lateral (select ins.* from ins cross join notified) as i on true`.execute(this.db);
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
   * change-log append), the outbox row when there is an event, and the
   * NOTIFYs. A unique violation fails the whole statement, so nothing is
   * written and no transaction is left to clean up.
   */
  async applyTransition(write: TransitionWrite): Promise<TransitionOutcome> {
    const next = write.next;
    const set = mutableColumns(next);
    const entry = JSON.stringify([changeToJson(write.change)]);
    const event = write.event === undefined ? null : eventToPayload(randomUUID(), write.event);
    const outbox: RawBuilder<unknown> =
      event === null
        ? sql``
        : sql`,
        event as (
          insert into code_dispatch.outbox (event_id, order_id, type, payload)
          select ${event.event_id}::uuid, upd.order_id, ${event.type}::text, ${JSON.stringify(event)}::jsonb from upd
          returning event_id
        ),
        outbox_notified as (select pg_notify(${OUTBOX_CHANNEL}, '') from event)`;
    try {
      const { rows } = await sql<AssignmentRow>`
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
            changes = changes || ${entry}::jsonb
          where order_id = ${next.orderId}::text and version = ${write.expectedVersion}::integer
          returning *
        ),
        notified as (select pg_notify(${ASSIGNMENTS_CHANNEL}, upd.order_id) from upd)${outbox}
        select upd.* from upd cross join notified${event === null ? sql`` : sql` cross join (select count(*) from outbox_notified) o`}`.execute(
        this.db,
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

  async recordFailedAttempt(attempt: FailedAttempt): Promise<void> {
    await this.db.insertInto(FAILED).values(failedAttemptToRow(attempt)).execute();
  }

  async failedAttemptsSince(areaId: AreaId, driver: Driver, since: Date): Promise<readonly Date[]> {
    const rows = await this.db
      .selectFrom(FAILED)
      .select('at')
      .where('area_id', '=', areaId)
      .where('park_db_id', '=', driver.parkDbId)
      .where('driver_id', '=', driver.driverId)
      .where('at', '>', since)
      .orderBy('at')
      .execute();
    return rows.map((r) => r.at);
  }

  /** Deletes failed entries at or before `before` (older than any attempts window); returns how many. */
  async pruneFailedAttempts(before: Date): Promise<number> {
    const result = await this.db.deleteFrom(FAILED).where('at', '<=', before).executeTakeFirst();
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
