import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { openDatabase, type DatabaseHandle } from '../connect';
import { migrateToLatest } from '../migrations';

/*
 * Where the package's benchmarks run: a migrated database of their own,
 * closed (and on a server, dropped) at the end, also when the run fails.
 */

/** `f` on a fresh database of the server at `adminUrl`, dropped afterwards. */
export const withPostgres = async <A>(adminUrl: string, f: (h: DatabaseHandle) => Promise<A>): Promise<A> => {
  const name = `cd_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = async (statement: string): Promise<void> => {
    const client = new Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(statement).finally(() => client.end());
  };
  await admin(`create database ${name}`);
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const handle = await openDatabase({ databaseUrl: url.toString(), poolSize: 4 });
    try {
      await migrateToLatest(handle.db);
      return await f(handle);
    } finally {
      await handle.close();
    }
  } finally {
    await admin(`drop database if exists ${name} with (force)`);
  }
};

/** `f` on an in-memory PGlite database. */
export const withPglite = async <A>(f: (h: DatabaseHandle) => Promise<A>): Promise<A> => {
  const handle = await openDatabase({ pgliteDataDir: 'memory' });
  try {
    await migrateToLatest(handle.db);
    return await f(handle);
  } finally {
    await handle.close();
  }
};
