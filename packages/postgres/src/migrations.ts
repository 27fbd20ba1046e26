import { Migrator, sql, type Kysely, type Migration, type MigrationProvider, type MigrationResult } from 'kysely';
import { ERROR_CODE_VALUES_SQL, predicates, STATUS_VALUES_SQL } from './assignments.table';
import { SCHEMA } from './database';

/*
 * The schema, as Kysely migrations held in code (not files on disk), so they
 * run the same from `src` and from `dist`. Never edit an applied migration:
 * add the next one to MIGRATIONS.
 */

const statements =
  (...parts: readonly string[]) =>
  async (db: Kysely<unknown>) => {
    for (const statement of parts) await sql.raw(statement).execute(db);
  };

const row = predicates();

const initial: Migration = {
  up: statements(
    `create schema if not exists ${SCHEMA}`,

    `create table ${SCHEMA}.assignments (
       order_id    text primary key,
       area_id     text not null,
       code        text not null,
       status      text not null constraint assignments_status_check check (status in (${STATUS_VALUES_SQL})),
       error_code  text constraint assignments_error_code_check check (error_code in (${ERROR_CODE_VALUES_SQL})),
       driver_id   text,
       park_db_id  text,
       user_id     text,
       created_at  timestamptz not null,
       updated_at  timestamptz not null,
       expires_at  timestamptz not null,
       released_at timestamptz,
       attempt     integer not null default 0 constraint assignments_attempt_check check (attempt >= 0),
       legacy      boolean not null default false,
       version     integer not null default 1 constraint assignments_version_check check (version >= 1),
       changes     jsonb not null constraint assignments_changes_check check (jsonb_typeof(changes) = 'array'),
       constraint assignments_error_code_iff_error check ((error_code is not null) = (status = 'error')),
       constraint assignments_processing_has_driver check (status <> 'processing' or driver_id is not null),
       constraint assignments_driver_pair check ((driver_id is null) = (park_db_id is null)),
       constraint assignments_released_iff_final check ((released_at is not null) = ${row.final})
     )`,
    // Unique indexes: created in this order on purpose. PostgreSQL checks them
    // in creation order, so a transition that would break both reports the
    // driver's (as the in-memory adapter does).
    `create unique index assignments_processing_driver_uq on ${SCHEMA}.assignments (park_db_id, driver_id)
       where status = 'processing'`,
    `create unique index assignments_active_code_uq on ${SCHEMA}.assignments (area_id, code)
       where ${row.active}`,
    // The reuse cooldown and the driver's completed codes.
    `create index assignments_released_idx on ${SCHEMA}.assignments (area_id, code, released_at)
       where released_at is not null`,
    // The sweeps.
    `create index assignments_expiry_idx on ${SCHEMA}.assignments (expires_at) where ${row.enterable}`,
    `create index assignments_processing_idx on ${SCHEMA}.assignments (updated_at) where status = 'processing'`,
    // The legacy fallback of code parsing (SPEC §5).
    `create index assignments_legacy_active_idx on ${SCHEMA}.assignments (area_id) where legacy and ${row.active}`,

    `create table ${SCHEMA}.failed_code_entries (
       id         bigserial primary key,
       area_id    text not null,
       park_db_id text not null,
       driver_id  text not null,
       error_code text not null constraint failed_code_entries_error_code_check
                    check (error_code in ('code_not_found', 'code_already_in_use')),
       at         timestamptz not null
     )`,
    `create index failed_code_entries_driver_idx on ${SCHEMA}.failed_code_entries (area_id, park_db_id, driver_id, at)`,
    `create index failed_code_entries_at_idx on ${SCHEMA}.failed_code_entries (at)`,

    `create table ${SCHEMA}.outbox (
       id           bigserial primary key,
       event_id     uuid not null unique default gen_random_uuid(),
       order_id     text not null,
       type         text not null,
       payload      jsonb not null,
       created_at   timestamptz not null default now(),
       available_at timestamptz not null default now(),
       attempts     integer not null default 0,
       locked_until timestamptz,
       delivered_at timestamptz,
       dead_at      timestamptz,
       last_error   text
     )`,
    `create index outbox_due_idx on ${SCHEMA}.outbox (available_at, id) where delivered_at is null and dead_at is null`,
  ),
  down: statements(
    `drop table if exists ${SCHEMA}.outbox`,
    `drop table if exists ${SCHEMA}.failed_code_entries`,
    `drop table if exists ${SCHEMA}.assignments`,
  ),
};

/**
 * The attempt limit as one row per driver and area (its failure times), so
 * that entries serialise on that row's lock. The failures counted so far move
 * over. `failed_code_entries` is left in place, unused by this release, for
 * instances of the previous one during a rolling upgrade (and a rollback);
 * a later migration drops it.
 */
const driverAttempts: Migration = {
  up: statements(
    `create table code_dispatch.driver_attempts (
       area_id    text not null,
       park_db_id text not null,
       driver_id  text not null,
       failures   timestamptz[] not null default '{}',
       constraint driver_attempts_pkey primary key (area_id, park_db_id, driver_id)
     )`,
    `insert into code_dispatch.driver_attempts (area_id, park_db_id, driver_id, failures)
     select area_id, park_db_id, driver_id, array_agg(at order by at)
     from code_dispatch.failed_code_entries
     group by area_id, park_db_id, driver_id`,
  ),
  down: statements(`drop table if exists code_dispatch.driver_attempts`),
};

/**
 * The outbox's undelivered rows by id. The relay's claim takes the oldest
 * due rows in id order: with the index on (available_at, id), once
 * statistics went stale the planner walked the primary key past every
 * delivered row (measured: 28 ms with 50,000 delivered, 0.2 ms with this
 * index), and the outbox gauges (`where delivered_at is null`, dead letters
 * included) had no index at all. Built in the migration's transaction: the
 * outbox keeps delivered rows only for the retention, so the build is short;
 * an operator may build it beforehand with CREATE INDEX CONCURRENTLY
 * (docs/operations.md), hence `if not exists`.
 */
const outboxUndelivered: Migration = {
  up: statements(
    `create index if not exists outbox_undelivered_idx on ${SCHEMA}.outbox (id) where delivered_at is null`,
    `drop index if exists ${SCHEMA}.outbox_due_idx`,
  ),
  down: statements(
    `create index outbox_due_idx on ${SCHEMA}.outbox (available_at, id) where delivered_at is null and dead_at is null`,
    `drop index ${SCHEMA}.outbox_undelivered_idx`,
  ),
};

/**
 * What the operations console reads (issue 13).
 *
 * `entry_outcomes`: the refused code entries the assign endpoint answered,
 * counted by (area, minute, problem code). Each instance counts in memory and
 * adds its counts every few seconds, so instances add up in one row per key;
 * housekeeping deletes the minutes past retention through `minute`'s index
 * (the primary key leads with the area, so it cannot serve that range).
 *
 * `assignments_updated_at_idx`: every transition sets `updated_at` (its
 * change's time), so the records with a change in the last minutes are the
 * rows with a recent `updated_at`: the console reads them through this index
 * instead of scanning the table. Its cost: one more index entry written per
 * transition (and per insert). Built in the migration's transaction (it
 * locks out writes for the time of the build); an operator of a large table
 * may build it beforehand with CREATE INDEX CONCURRENTLY, hence `if not exists`.
 *
 * `outbox_order_idx`: the console shows the events of one order; without it
 * that would scan the outbox's whole retention. One index entry per event.
 */
const operations: Migration = {
  up: statements(
    `create table ${SCHEMA}.entry_outcomes (
       area_id text not null,
       minute  timestamptz not null
                 constraint entry_outcomes_minute_check check (date_trunc('minute', minute) = minute),
       code    text not null,
       count   integer not null constraint entry_outcomes_count_check check (count > 0),
       constraint entry_outcomes_pkey primary key (area_id, minute, code)
     )`,
    `create index entry_outcomes_minute_idx on ${SCHEMA}.entry_outcomes (minute)`,
    `create index if not exists assignments_updated_at_idx on ${SCHEMA}.assignments (updated_at)`,
    `create index if not exists outbox_order_idx on ${SCHEMA}.outbox (order_id)`,
  ),
  down: statements(
    `drop index if exists ${SCHEMA}.outbox_order_idx`,
    `drop index if exists ${SCHEMA}.assignments_updated_at_idx`,
    `drop table if exists ${SCHEMA}.entry_outcomes`,
  ),
};

/** Every migration, by name; names sort in the order they apply. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '2026_11_26_0001_initial': initial,
  '2026_12_05_0002_driver_attempts': driverAttempts,
  '2026_12_06_0003_outbox_undelivered': outboxUndelivered,
  '2026_12_07_0004_operations': operations,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => ({ ...MIGRATIONS }),
};

const migrator = (db: Kysely<unknown>): Migrator =>
  new Migrator({ db, provider: migrationProvider, migrationTableSchema: SCHEMA });

export interface MigrationReport {
  /** Names of the migrations this call applied (empty: already up to date). */
  readonly applied: readonly string[];
}

/**
 * Brings the schema to the latest migration. Idempotent, and safe to run from
 * several instances at once (Kysely takes a lock). Throws when a migration fails.
 */
/** Whether the migrations have created the schema's assignments table (a dry run must not create it). */
export const isMigrated = async <DB>(db: Kysely<DB>): Promise<boolean> => {
  const { rows } = await sql<{ found: boolean }>`select to_regclass(${`${SCHEMA}.assignments`}) is not null as found`.execute(db);
  return rows[0]?.found === true;
};

export const migrateToLatest = async <DB>(db: Kysely<DB>): Promise<MigrationReport> => {
  const { error, results } = await migrator(db as Kysely<unknown>).migrateToLatest();
  const failed = results?.find((r: MigrationResult) => r.status === 'Error');
  if (error !== undefined) {
    throw new Error(
      `migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
};
