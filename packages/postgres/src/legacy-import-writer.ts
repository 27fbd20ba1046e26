import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompiledQuery, type Kysely } from 'kysely';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { isActive, type Assignment } from '@codedispatch/core';
import { assignmentToCopyRow, assignmentToRow, COPY_COLUMNS, predicates } from './assignments.table';
import type { DatabaseHandle } from './connect';
import type { Database } from './database';

/*
 * The import writer (SPEC §9): writes imported legacy records into
 * `code_dispatch.assignments` in batches, one transaction per batch.
 *
 * On a real server, on a connection of its own (taken at the first write):
 * a batch is first loaded straight into the table by one COPY … FROM STDIN
 * (pg-copy-streams): nothing to sort out when nothing clashes, as on a first
 * import. A row the table refuses (a present order, a clash) undoes that COPY
 * whole, and the batch goes by COPY into a temporary table instead (made at
 * the first such batch, emptied at each commit), then through one
 * INSERT … SELECT … ON CONFLICT DO NOTHING from it.
 *
 * On PGlite, whose node-postgres adapter cannot COPY FROM STDIN (and whose
 * own COPY from a blob slows down as the table grows), a batch is one JSON
 * parameter of that INSERT (jsonb_to_recordset).
 *
 * That INSERT takes the records in order, so within a batch the first record
 * wins, as it would written one by one. An order_id already present is
 * skipped; a record whose active code or processing driver is taken, or that
 * breaks a rule of the table, is a conflict. Nothing the data can do makes a
 * batch fail: only the infrastructure throws.
 */

/** A legacy record the database refused (its active code or its driver is taken), or that breaks a rule of the table. */
export interface ImportConflict {
  readonly orderId: string;
  readonly reason: string;
}

export interface ImportResult {
  /** Records written. */
  readonly inserted: number;
  /** Records whose order_id was already present. */
  readonly skipped: number;
  /** Records neither written nor present; inserted + skipped + conflicts.length = records. */
  readonly conflicts: readonly ImportConflict[];
}

const ASSIGNMENTS = 'code_dispatch.assignments';
const STAGE = 'pg_temp.legacy_import_batch';
/** The columns of every statement here: those of a COPY row. */
const COLUMN_LIST = COPY_COLUMNS.join(', ');
const COLUMN_TYPES = `order_id text, area_id text, code text, status text, error_code text, driver_id text,
  park_db_id text, user_id text, created_at timestamptz, updated_at timestamptz, expires_at timestamptz,
  released_at timestamptz, attempt integer, legacy boolean, version integer`;

const aliased = predicates('a.');

/** Something that runs a statement: Kysely, or the writer's own connection. */
type Run = <R>(text: string, values: readonly unknown[]) => Promise<R[]>;

export class LegacyImportWriter {
  private readonly run: Run;
  /** The writer's connection (a real server), from the first write on. */
  private session: Session | null = null;

  constructor(private readonly handle: DatabaseHandle) {
    this.run = kyselyRun(handle.db);
  }

  /** Which of these orders already have a record (one query; what a dry run counts as skipped). */
  async existingOrderIds(ids: readonly string[]): Promise<Set<string>> {
    return existingIn(this.run, ids);
  }

  /** Writes the records, all or what may be, in one transaction; accounts for every one of them (see `ImportResult`). */
  async write(records: readonly Assignment[]): Promise<ImportResult> {
    const conflicts: ImportConflict[] = [];
    const valid: Assignment[] = [];
    for (const record of records) {
      const broken = ruleBroken(record);
      if (broken === null) valid.push(record);
      else conflicts.push({ orderId: record.orderId, reason: broken });
    }
    if (valid.length === 0) return { inserted: 0, skipped: 0, conflicts };
    const { inserted, skipped, clashes } = await (this.handle.kind === 'postgres'
      ? this.writeCopy(valid)
      : this.writeJson(valid));
    return { inserted, skipped, conflicts: [...conflicts, ...clashes] };
  }

  /** Gives back the writer's connection, if it took one (its temporary table goes with it). */
  async close(): Promise<void> {
    const session = this.session;
    if (session === null) return;
    this.session = null;
    if (session.staged) await session.client.query(`drop table if exists ${STAGE}`).catch(() => undefined);
    session.client.release();
  }

  /** A real server: COPY straight into the table; the temporary table when a row is refused. */
  private async writeCopy(records: readonly Assignment[]): Promise<Placed> {
    const session = this.session ?? (this.session = { client: await this.handle.connect(), staged: false });
    const client = session.client;
    const rows = copyRows(records);
    try {
      await copyFromStdin(client, `copy ${ASSIGNMENTS} (${COLUMN_LIST}) from stdin`, rows);
      return { inserted: records.length, skipped: 0, clashes: [] };
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
    }
    if (!session.staged) {
      await client.query(`create temporary table legacy_import_batch (
          ord integer generated always as identity, ${COLUMN_TYPES}, changes jsonb
        ) on commit delete rows`);
      session.staged = true;
    }
    const run: Run = async <R>(text: string, values: readonly unknown[]) =>
      (await client.query<R & object>(text, [...values])).rows as R[];
    await client.query('begin');
    try {
      await copyFromStdin(client, `copy ${STAGE} (${COLUMN_LIST}) from stdin`, rows);
      const returned = await run<Written>(
        `insert into ${ASSIGNMENTS} (${COLUMN_LIST})
         select ${COLUMN_LIST} from ${STAGE} order by ord
         on conflict do nothing
         returning order_id, code`,
        [],
      );
      const placed = await place(run, records, returned);
      await client.query('commit');
      return placed;
    } catch (e) {
      await client.query('rollback').catch(() => undefined);
      throw e;
    }
  }

  /** PGlite: the batch as one JSON parameter of the INSERT; one statement, so `place` sees what it committed. */
  private async writeJson(records: readonly Assignment[]): Promise<Placed> {
    const batch = `[${records.map((a, ord) => JSON.stringify({ ...assignmentToRow(a), ord })).join(',')}]`;
    const returned = await this.run<Written>(
      `insert into ${ASSIGNMENTS} (${COLUMN_LIST})
       select ${COPY_COLUMNS.map((c) => (c === 'changes' ? 'changes::jsonb' : c)).join(', ')}
       from jsonb_to_recordset($1::jsonb) as r(ord integer, ${COLUMN_TYPES}, changes text)
       order by ord
       on conflict do nothing
       returning order_id, code`,
      [batch],
    );
    return place(this.run, records, returned);
  }
}

/**
 * Which records the INSERT wrote, which were present (skipped), and why the
 * others were refused. An order_id may come twice in a batch: the first
 * written wins, the second is skipped.
 */
const place = async (run: Run, records: readonly Assignment[], returned: readonly Written[]): Promise<Placed> => {
  const writtenKeys = new Set(returned.map((r) => JSON.stringify([r.order_id, r.code])));
  const writtenOrders = new Set(returned.map((r) => r.order_id));
  const unplaced: Assignment[] = [];
  for (const a of records) {
    if (!writtenKeys.delete(JSON.stringify([a.orderId, a.code]))) unplaced.push(a);
  }
  if (unplaced.length === 0) return { inserted: returned.length, skipped: 0, clashes: [] };
  const present = await existingIn(
    run,
    unplaced.filter((a) => !writtenOrders.has(a.orderId)).map((a) => a.orderId),
  );
  const clashing = unplaced.filter((a) => !writtenOrders.has(a.orderId) && !present.has(a.orderId));
  return {
    inserted: returned.length,
    skipped: unplaced.length - clashing.length,
    clashes: await describeClashes(run, clashing),
  };
};

/** Why each of these records could not be inserted: who holds its code or its driver. */
const describeClashes = async (run: Run, records: readonly Assignment[]): Promise<ImportConflict[]> => {
  if (records.length === 0) return [];
  const holders = await run<{ area_id: string; code: string; order_id: string }>(
    `select a.area_id, a.code, a.order_id from ${ASSIGNMENTS} a
     join unnest($1::text[], $2::text[]) as k(area_id, code) on a.area_id = k.area_id and a.code = k.code
     where ${aliased.active}`,
    [records.map((r) => r.areaId), records.map((r) => r.code)],
  );
  const drivers = await run<{ park_db_id: string; driver_id: string; order_id: string }>(
    `select a.park_db_id, a.driver_id, a.order_id from ${ASSIGNMENTS} a
     join unnest($1::text[], $2::text[]) as k(park_db_id, driver_id)
       on a.park_db_id = k.park_db_id and a.driver_id = k.driver_id
     where a.status = 'processing'`,
    [records.map((r) => r.driver?.parkDbId ?? ''), records.map((r) => r.driver?.driverId ?? '')],
  );
  const codeHolder = new Map(holders.map((h) => [JSON.stringify([h.area_id, h.code]), h.order_id]));
  const driverHolder = new Map(drivers.map((h) => [JSON.stringify([h.park_db_id, h.driver_id]), h.order_id]));
  return records.map((a) => {
    const code = isActive(a) ? codeHolder.get(JSON.stringify([a.areaId, a.code])) : undefined;
    if (code !== undefined)
      return { orderId: a.orderId, reason: `code ${a.code} is already active in area ${a.areaId} (order ${code})` };
    const busy =
      a.status === 'processing' && a.driver !== null
        ? driverHolder.get(JSON.stringify([a.driver.parkDbId, a.driver.driverId]))
        : undefined;
    if (busy !== undefined) return { orderId: a.orderId, reason: `the driver already has order ${busy} in processing` };
    return { orderId: a.orderId, reason: 'refused by a unique index of code_dispatch.assignments' };
  });
};

/** Which of these orders already have a record: one query. */
const existingIn = async (run: Run, ids: readonly string[]): Promise<Set<string>> => {
  if (ids.length === 0) return new Set();
  const rows = await run<{ order_id: string }>(`select order_id from ${ASSIGNMENTS} where order_id = any($1::text[])`, [
    [...ids],
  ]);
  return new Set(rows.map((r) => r.order_id));
};

interface Session {
  readonly client: PoolClient;
  /** Whether it holds the temporary table. */
  staged: boolean;
}

interface Written {
  readonly order_id: string;
  readonly code: string;
}

interface Placed {
  readonly inserted: number;
  readonly skipped: number;
  readonly clashes: readonly ImportConflict[];
}

const kyselyRun =
  (db: Kysely<Database>): Run =>
  async <R>(text: string, values: readonly unknown[]) =>
    (await db.executeQuery<R>(CompiledQuery.raw(text, [...values]))).rows as R[];

// ------------------------------------------------------------------ COPY

/** The batch as COPY text rows, the columns in `COPY_COLUMNS` order. */
const copyRows = (records: readonly Assignment[]): string => {
  let rows = '';
  for (const record of records) rows += assignmentToCopyRow(record);
  return rows;
};

/** COPY … FROM STDIN of `rows` (COPY's text format) on this connection. */
const copyFromStdin = async (client: PoolClient, statement: string, rows: string): Promise<void> => {
  await pipeline(Readable.from([rows]), client.query(copyFrom(statement)));
};

const isUniqueViolation = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23505';

// ------------------------------------------------------------------ rules

// eslint-disable-next-line no-control-regex
const NUL = /\u0000/;

/** Years the timestamps can be written in (ISO 8601 without sign, as PostgreSQL reads them). */
const MIN_YEAR = 1;
const MAX_YEAR = 9999;

/** The CHECK constraints of the table (and what `text` and `timestamptz` can hold), as a reason, or null when the record keeps them. */
const ruleBroken = (a: Assignment): string | null => {
  const texts = [a.orderId, a.areaId, a.code, a.userId, a.driver?.parkDbId, a.driver?.driverId];
  if (texts.some((t) => t !== null && t !== undefined && NUL.test(t))) return 'a text field contains a NUL character';
  if (a.orderId === '' || a.areaId === '' || a.code === '') return 'order_id, area_id and code must not be empty';
  if ((a.errorCode !== null) !== (a.status === 'error')) return `status ${a.status} with error_code ${String(a.errorCode)}`;
  if (a.status === 'processing' && a.driver === null) return 'status processing without a driver';
  if ((a.releasedAt !== null) !== !isActive(a))
    return a.releasedAt === null ? `final status ${a.status} without released_at` : `active status ${a.status} with released_at`;
  if (!Number.isInteger(a.attempt) || a.attempt < 0) return `attempt ${a.attempt}`;
  if (!Number.isInteger(a.version) || a.version < 1) return `version ${a.version}`;
  for (const d of [a.createdAt, a.updatedAt, a.expiresAt, a.releasedAt, ...a.changes.map((c) => c.at)]) {
    if (d === null) continue;
    if (Number.isNaN(d.getTime())) return 'an invalid date';
    const year = d.getUTCFullYear();
    if (year < MIN_YEAR || year > MAX_YEAR) return `a date outside the years ${MIN_YEAR}-${MAX_YEAR} (${d.toISOString()})`;
  }
  return null;
};
