import { Kysely, PostgresDialect, sql } from 'kysely';
import { Client, Pool, type PoolClient } from 'pg';
import { createPglite } from './pglite-template';
import type { Database } from './database';
import { prepareRepeatedStatements } from './prepared-statements';

/*
 * Opening the database: a real PostgreSQL server through a pg.Pool when a URL
 * is given, else an embedded PGlite (PostgreSQL in WASM, one session) behind
 * the same pg.Pool + Kysely PostgresDialect, so both run the same code path
 * and the same type parsing (int8 and count come back as strings).
 */

export interface OpenDatabaseOptions {
  /** `postgres://…`: a real server. When absent, the embedded PGlite is used. */
  readonly databaseUrl?: string;
  /** PGlite's data directory (created if missing), or `memory` / `memory://` for a throwaway database; the service's default is `DEFAULT_PGLITE_DATA_DIR`. */
  readonly pgliteDataDir?: string;
  /** Connections of the pool on a real server. Default 10. PGlite always has one. */
  readonly poolSize?: number;
  /**
   * On a real server, how long a query waits for a connection (a new one, or
   * a free one of the pool) before it fails. Default 3000 ms.
   */
  readonly connectTimeoutMs?: number;
  /**
   * Statements the process repeats are prepared on each connection (parsed
   * and planned once, see `prepareRepeatedStatements`). Default true; false
   * behind a pooler that cannot keep prepared statements (PgBouncer before
   * 1.21 in transaction mode).
   */
  readonly preparedStatements?: boolean;
  /** Errors of idle connections and of the LISTEN connection (which reconnects by itself); for logging. */
  readonly onError?: (error: unknown) => void;
}

export type Unlisten = () => Promise<void>;

/**
 * The payload a listener hears when the LISTEN connection has come back after
 * a loss: notifications sent meanwhile are gone, so anything may have changed.
 */
export const MISSED_NOTIFICATIONS = '*';

/** An open database: Kysely, readiness, LISTEN, and the way to close it all. */
export interface DatabaseHandle {
  readonly kind: 'postgres' | 'pglite';
  readonly db: Kysely<Database>;
  /** Resolves true when the database answers a query; rejects with the reason otherwise. */
  ping(): Promise<boolean>;
  /**
   * Calls `onPayload` for every NOTIFY on `channel` (after the notifying
   * transaction commits). Resolves once listening; the result stops it.
   * On PGlite it waits for the single connection to be free: never call it
   * (or the result) inside a `db.transaction()` callback.
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<Unlisten>;
  /**
   * One connection of the pool for the caller alone, for work that needs a
   * session of its own (a temporary table, COPY); `release()` it when done.
   * On PGlite it is the only connection: every other query waits for it.
   */
  connect(): Promise<PoolClient>;
  close(): Promise<void>;
}

export const DEFAULT_PGLITE_DATA_DIR = './.data/pglite';
const DEFAULT_POOL_SIZE = 10;
const DEFAULT_CONNECT_TIMEOUT_MS = 3000;

const isMemory = (dir: string): boolean => dir === 'memory' || dir === 'memory://';

/**
 * Opens a real server (`databaseUrl`) or the embedded PGlite
 * (`pgliteDataDir`: a directory, or `memory`). One of them must be given:
 * a library never picks a directory of its own to write a database into.
 */
export const openDatabase = async (options: OpenDatabaseOptions): Promise<DatabaseHandle> => {
  if (options.databaseUrl !== undefined && options.databaseUrl !== '') return openPostgres(options.databaseUrl, options);
  if (options.pgliteDataDir === undefined || options.pgliteDataDir === '')
    throw new TypeError(
      "openDatabase: give databaseUrl (a PostgreSQL server) or pgliteDataDir (the embedded database: a directory, or 'memory')",
    );
  return openPglite(options.pgliteDataDir, options);
};

const ping = async (db: Kysely<Database>): Promise<boolean> => {
  await sql`select 1`.execute(db);
  return true;
};

// -------------------------------------------------------------- PostgreSQL

const openPostgres = async (databaseUrl: string, options: OpenDatabaseOptions): Promise<DatabaseHandle> => {
  const onError = options.onError ?? (() => undefined);
  const connectionTimeoutMillis = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const pool = preparing(
    guardedPool(
      new Pool({ connectionString: databaseUrl, max: options.poolSize ?? DEFAULT_POOL_SIZE, connectionTimeoutMillis }),
      onError,
    ),
    options,
  );
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const listener = new PgListener({ connectionString: databaseUrl, connectionTimeoutMillis }, onError);
  return {
    kind: 'postgres',
    db,
    ping: () => ping(db),
    listen: (channel, onPayload) => listener.listen(channel, onPayload),
    connect: () => pool.connect(),
    close: async () => {
      await listener.close();
      await db.destroy();
    },
  };
};

/**
 * A client that loses its connection emits 'error', and an 'error' nobody
 * hears ends the process. The pool hears its idle clients only (and replaces
 * them); a client checked out — running a query, or held by a transaction
 * between statements — has no listener of the pool's. So every client gets
 * its own for its whole life, which reports the error. The client is then
 * no longer queryable: its query or transaction fails (the use cases answer
 * 503), and the pool discards it when it comes back. New connections are
 * made on demand once the server is back.
 */
const guardedPool = (pool: Pool, onError: (error: unknown) => void): Pool => {
  pool.on('connect', (client) => client.on('error', onError));
  // Already reported by the client's own listener.
  pool.on('error', () => undefined);
  return pool;
};

const preparing = (pool: Pool, options: OpenDatabaseOptions): Pool =>
  options.preparedStatements === false ? pool : prepareRepeatedStatements(pool);

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 10_000;

/**
 * One dedicated connection for every LISTEN of the process. When it drops it
 * reconnects with exponential backoff and listens again on every channel;
 * notifications sent while it was away are lost, so every listener then hears
 * `MISSED_NOTIFICATIONS`.
 */
class PgListener {
  private readonly channels = new Map<string, Set<(payload: string) => void>>();
  private client: Client | null = null;
  private connecting: Promise<Client> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;
  /** A connection was made before: the next one follows a loss. */
  private connectedBefore = false;

  constructor(
    private readonly config: { readonly connectionString: string; readonly connectionTimeoutMillis: number },
    private readonly onError: (error: unknown) => void,
  ) {}

  async listen(channel: string, onPayload: (payload: string) => void): Promise<Unlisten> {
    if (this.closed) throw new Error('the database is closed');
    const entry = (payload: string): void => onPayload(payload);
    let set = this.channels.get(channel);
    const first = set === undefined;
    if (set === undefined) {
      set = new Set();
      this.channels.set(channel, set);
    }
    set.add(entry);
    try {
      const client = await this.connected();
      // LISTEN is idempotent: a connection made just now already listens on this channel.
      if (first) await client.query(`listen ${client.escapeIdentifier(channel)}`);
    } catch (e) {
      this.remove(channel, entry);
      throw e;
    }
    return async () => {
      if (!this.remove(channel, entry)) return;
      const client = this.client;
      if (client !== null) await client.query(`unlisten ${client.escapeIdentifier(channel)}`).catch(this.onError);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const client = this.client ?? (await this.connecting?.catch(() => null)) ?? null;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  /** Removes a listener; true when its channel has no listener left. */
  private remove(channel: string, entry: (payload: string) => void): boolean {
    const set = this.channels.get(channel);
    if (set === undefined || !set.delete(entry) || set.size > 0) return false;
    this.channels.delete(channel);
    return true;
  }

  private connected(): Promise<Client> {
    if (this.client !== null) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private tellListeners(channel: string, payload: string): void {
    const set = this.channels.get(channel);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(payload);
      } catch (e) {
        this.onError(e);
      }
    }
  }

  private tellEveryListener(payload: string): void {
    for (const channel of [...this.channels.keys()]) this.tellListeners(channel, payload);
  }

  private async connect(): Promise<Client> {
    const client = new Client({ ...this.config });
    client.on('notification', (n) => this.tellListeners(n.channel, n.payload ?? ''));
    const lost = (error?: unknown): void => {
      if (this.client !== client) return;
      this.client = null;
      if (error !== undefined) this.onError(error);
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      for (const channel of this.channels.keys()) await client.query(`listen ${client.escapeIdentifier(channel)}`);
    } catch (e) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw e;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      throw new Error('the database is closed');
    }
    this.client = client;
    this.failures = 0;
    if (this.connectedBefore) this.tellEveryListener(MISSED_NOTIFICATIONS);
    this.connectedBefore = true;
    return client;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer !== null || this.channels.size === 0) return;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** this.failures);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connected().catch((e: unknown) => {
        this.failures++;
        this.onError(e);
        this.scheduleReconnect();
      });
    }, delay);
    this.retryTimer.unref();
  }
}

// ------------------------------------------------------------------ PGlite

const openPglite = async (dir: string, options: OpenDatabaseOptions): Promise<DatabaseHandle> => {
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  const pglite = await createPglite(isMemory(dir) ? undefined : dir);
  // One PGlite is one session: never more than one connection.
  const pool = preparing(
    guardedPool(new Pool({ ...createPgConfig(pglite), max: 1 }), options.onError ?? (() => undefined)),
    options,
  );
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;

  /**
   * PGlite's own LISTEN runs in the single session. Holding the pool's only
   * connection meanwhile makes sure no transaction of the application is open
   * around it (a LISTEN inside a transaction that rolls back would be undone).
   */
  const exclusive = async <T>(run: () => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      return await run();
    } finally {
      client.release();
    }
  };

  return {
    kind: 'pglite',
    db,
    ping: () => ping(db),
    listen: async (channel, onPayload) => {
      if (closed) throw new Error('the database is closed');
      const unlisten = await exclusive(() => pglite.listen(channel, onPayload));
      return async () => {
        if (!closed) await exclusive(() => unlisten());
      };
    },
    connect: () => pool.connect(),
    close: async () => {
      if (closed) return;
      closed = true;
      await db.destroy();
      await pglite.close();
    },
  };
};
