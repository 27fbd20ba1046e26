import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import type { Pool } from 'pg';
import type { Store } from '@codedispatch/core';
import { openDatabase, type DatabaseHandle, type OpenDatabaseOptions } from './connect';
import type { Database } from './database';
import { KyselyAssignmentRepository } from './kysely-assignment-repository';
import { migrateToLatest, type MigrationReport } from './migrations';

/*
 * The store an embedder hands to `createCodeDispatch`: on their own Kysely,
 * their own pg.Pool, or a URL. Everything it writes is in the
 * `code_dispatch` schema, which `migrate()` creates and owns; nothing else
 * of the caller's database is touched.
 */

export type PostgresStoreOptions<DB = unknown> =
  /** The caller's Kysely (any database type): the store uses its connections and dialect. */
  | { readonly db: Kysely<DB> }
  /** The caller's pg.Pool, left as it is (no listener, nothing prepared on its connections). */
  | { readonly pool: Pool }
  /** A server of its own, through a pool the store opens and `close()` ends. */
  | ({ readonly url: string } & Pick<OpenDatabaseOptions, 'poolSize' | 'connectTimeoutMs' | 'preparedStatements'>);

export interface PostgresStore extends Store {
  readonly repository: KyselyAssignmentRepository;
  /** The store's Kysely, typed with the `code_dispatch` tables. */
  readonly db: Kysely<Database>;
  /** Creates or updates the `code_dispatch` schema. Idempotent; safe from several processes at once. */
  migrate(): Promise<MigrationReport>;
  /**
   * The store on the caller's transaction: use cases given it write in that
   * transaction, and commit or roll back with the caller's own writes. No
   * domain answer aborts the transaction (statements a unique index may
   * refuse run in a savepoint). A failed code entry counts against the
   * driver's attempt limit only if the transaction commits.
   */
  inTransaction<DB>(trx: Transaction<DB>): PostgresStore;
  /**
   * LISTEN on a connection of the store's own, when it opened one from a URL
   * (the outbox relay wakes on it); absent on a caller's Kysely or pool,
   * where the relay polls.
   */
  readonly listen?: DatabaseHandle['listen'];
  /** Ends the pool the store opened from a URL; a caller's Kysely or pool stays open. */
  close(): Promise<void>;
}

const storeOn = (db: Kysely<Database>, close: () => Promise<void>, listen?: DatabaseHandle['listen']): PostgresStore => ({
  db,
  repository: new KyselyAssignmentRepository(db),
  migrate: () => migrateToLatest(db),
  inTransaction: (trx) => storeOn(trx as unknown as Kysely<Database>, () => Promise.resolve()),
  ...(listen !== undefined ? { listen } : {}),
  close,
});

/** A store on PostgreSQL: the caller's Kysely or pool, or a URL (see `PostgresStoreOptions`). */
export const postgresStore = async <DB = unknown>(options: PostgresStoreOptions<DB>): Promise<PostgresStore> => {
  if ('db' in options) return storeOn(options.db as unknown as Kysely<Database>, () => Promise.resolve());
  if ('pool' in options) {
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: options.pool }) });
    // Kysely's destroy would end the caller's pool: leave it to them.
    return storeOn(db, () => Promise.resolve());
  }
  const { url, ...rest } = options;
  if (url === '') throw new TypeError('postgresStore: url is empty');
  const handle = await openDatabase({ ...rest, databaseUrl: url });
  return storeOn(
    handle.db,
    () => handle.close(),
    (channel, onPayload) => handle.listen(channel, onPayload),
  );
};
