import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { Client } from 'pg';
import { openDatabase, type DatabaseHandle } from '../connect';
import { migrateToLatest } from '../migrations';

/*
 * Test databases: an in-memory PGlite always; a real PostgreSQL when
 * TEST_DATABASE_URL is set (an admin connection: each test file gets a fresh
 * database `cd_test_<random>`, dropped afterwards).
 */

export type TestDialect = 'pglite' | 'postgres';

export const TEST_DIALECTS: readonly TestDialect[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

/** PGlite starts in seconds on a busy machine: hooks that open one need this much. */
export const OPEN_TIMEOUT_MS = 120_000;

export interface TestDatabase {
  readonly dialect: TestDialect;
  readonly handle: DatabaseHandle;
  /** Another instance's handle on the same database (real server only; PGlite has one session). */
  connectAgain(): Promise<DatabaseHandle>;
  /** Empties every table. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export const openTestDatabase = async (
  dialect: TestDialect,
  options: { readonly poolSize?: number } = {},
): Promise<TestDatabase> =>
  dialect === 'pglite'
    ? openPgliteTestDatabase()
    : openPostgresTestDatabase(process.env.TEST_DATABASE_URL as string, options.poolSize ?? 20);

const reset = async (handle: DatabaseHandle): Promise<void> => {
  await sql`truncate code_dispatch.assignments, code_dispatch.driver_attempts, code_dispatch.outbox, code_dispatch.entry_outcomes restart identity`.execute(
    handle.db,
  );
};

const openPgliteTestDatabase = async (): Promise<TestDatabase> => {
  const handle = await openDatabase({ pgliteDataDir: 'memory' });
  await migrateToLatest(handle.db);
  return {
    dialect: 'pglite',
    handle,
    connectAgain: () => Promise.reject(new Error('PGlite has one session')),
    reset: () => reset(handle),
    close: () => handle.close(),
  };
};

/** A fresh database `cd_test_<random>` on the server of `adminUrl`: its URL, and how to drop it. */
export const createScratchDatabase = async (adminUrl: string): Promise<{ readonly url: string; drop(): Promise<void> }> => {
  const name = `cd_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = async (statement: string): Promise<void> => {
    const client = new Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
};

const openPostgresTestDatabase = async (adminUrl: string, poolSize: number): Promise<TestDatabase> => {
  const scratch = await createScratchDatabase(adminUrl);
  const databaseUrl = scratch.url;
  const others: DatabaseHandle[] = [];
  // Tests start hundreds of statements at once on one pool (far beyond what
  // the service's requests do): they may wait for a connection longer than
  // the default allows on a busy machine.
  const options = { databaseUrl, poolSize, connectTimeoutMs: 60_000 };
  const handle = await openDatabase(options);
  await migrateToLatest(handle.db);
  return {
    dialect: 'postgres',
    handle,
    connectAgain: async () => {
      const other = await openDatabase(options);
      others.push(other);
      return other;
    },
    reset: () => reset(handle),
    close: async () => {
      await Promise.all(others.map((o) => o.close()));
      await handle.close();
      await scratch.drop();
    },
  };
};
