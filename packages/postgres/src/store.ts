import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import type { Pool } from 'pg';
import type { CodeEntry, CodeEntryOutcome, Store, TransitionOutcome, TransitionWrite } from '@codedispatch/core';
import { openDatabase, type DatabaseHandle, type OpenDatabaseOptions, type Unlisten } from './connect';
import { OUTBOX_CHANNEL, type Database } from './database';
import { KyselyAssignmentRepository } from './kysely-assignment-repository';
import { migrateToLatest, type MigrationReport } from './migrations';
import { KyselyOperationsReadModel } from './operations-read-model';

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
  /** What the operations console reads, and the entry-outcome tally. */
  readonly operations: KyselyOperationsReadModel;
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
   * What wakes the outbox relay of a worker on this store: the store's own
   * writes of an event in this process, at once (no round trip); with a
   * store opened from a URL, also NOTIFYs from other processes (the REST
   * service's instances) on a connection of the store's own. An event written
   * on a caller's transaction is found by the relay's poll after the commit.
   */
  readonly listen: DatabaseHandle['listen'];
  /** Ends the pool the store opened from a URL; a caller's Kysely or pool stays open. */
  close(): Promise<void>;
}

/** Listeners in this process, by channel. */
class LocalChannels {
  private readonly listeners = new Map<string, Set<(payload: string) => void>>();

  listen(channel: string, onPayload: (payload: string) => void): Unlisten {
    const set = this.listeners.get(channel) ?? new Set();
    this.listeners.set(channel, set);
    // A wrapper per call: the same function listening twice is two listeners.
    const listener = (payload: string): void => onPayload(payload);
    set.add(listener);
    return async () => void set.delete(listener);
  }

  tell(channel: string): void {
    for (const listener of this.listeners.get(channel) ?? []) {
      try {
        listener('');
      } catch {
        // A listener's failure is its own; the write succeeded.
      }
    }
  }
}

/** The repository that tells the store's relay when it has committed an outbox event. */
class SignallingRepository extends KyselyAssignmentRepository {
  constructor(
    db: Kysely<Database>,
    private readonly wroteEvent: () => void,
  ) {
    super(db);
  }

  override async applyTransition(write: TransitionWrite): Promise<TransitionOutcome> {
    const outcome = await super.applyTransition(write);
    if (outcome.kind === 'applied' && write.event !== undefined) this.wroteEvent();
    return outcome;
  }

  override async enterCode(entry: CodeEntry): Promise<CodeEntryOutcome> {
    const outcome = await super.enterCode(entry);
    if (outcome.kind === 'entered') this.wroteEvent();
    return outcome;
  }
}

const storeOn = (db: Kysely<Database>, close: () => Promise<void>, remote?: DatabaseHandle['listen']): PostgresStore => {
  const local = new LocalChannels();
  return {
    db,
    repository: new SignallingRepository(db, () => local.tell(OUTBOX_CHANNEL)),
    operations: new KyselyOperationsReadModel(db),
    migrate: () => migrateToLatest(db),
    // On a transaction nothing is committed yet when a statement returns: no signal, the relay polls.
    inTransaction: (trx) => ({
      ...storeOn(trx as unknown as Kysely<Database>, () => Promise.resolve()),
      repository: new KyselyAssignmentRepository(trx as unknown as Kysely<Database>),
    }),
    listen: async (channel, onPayload) => {
      const own = local.listen(channel, onPayload);
      const others = remote === undefined ? null : await remote(channel, onPayload);
      return async () => {
        await own();
        await others?.();
      };
    },
    close,
  };
};

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
