import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import eventSchema from '../../schemas/processing-event.schema.json';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  migrateToLatest,
  openDatabase,
  OUTBOX_CHANNEL,
  type Database,
  type DatabaseHandle,
  type ProcessingEventPayload,
} from '@codedispatch/postgres';
import { sql, type Kysely } from 'kysely';
import { Client } from 'pg';
import { CODE_ENTERED } from '../event';

/*
 * Test databases, migrated by @codedispatch/postgres: an in-memory PGlite
 * always; a real PostgreSQL when TEST_DATABASE_URL is set (an admin URL: each
 * test file gets a fresh database, dropped afterwards).
 */

export type DialectName = 'pglite' | 'postgres';

export const DIALECTS: readonly DialectName[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

/** A PGlite takes seconds to start on a busy machine: hooks that open one get this long. */
export const OPEN_TIMEOUT_MS = 120_000;

export interface TestDatabase {
  readonly kind: DialectName;
  readonly handle: DatabaseHandle;
  /** Another instance's handle on the same database; on PGlite (one session) the same handle. */
  connectAgain(): Promise<DatabaseHandle>;
  close(): Promise<void>;
}

const openPglite = async (): Promise<TestDatabase> => {
  const handle = await openDatabase({ pgliteDataDir: 'memory' });
  await migrateToLatest(handle.db);
  return { kind: 'pglite', handle, connectAgain: async () => handle, close: () => handle.close() };
};

const openPostgres = async (adminUrl: string): Promise<TestDatabase> => {
  const name = `cd_pq_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
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
  const databaseUrl = url.toString();
  const handle = await openDatabase({ databaseUrl });
  await migrateToLatest(handle.db);
  const others: DatabaseHandle[] = [];
  return {
    kind: 'postgres',
    handle,
    connectAgain: async () => {
      const other = await openDatabase({ databaseUrl });
      others.push(other);
      return other;
    },
    close: async () => {
      await Promise.all(others.map((o) => o.close()));
      await handle.close();
      await admin(`drop database if exists ${name} with (force)`);
    },
  };
};

export const openTestDatabase = (kind: DialectName): Promise<TestDatabase> =>
  kind === 'pglite' ? openPglite() : openPostgres(process.env.TEST_DATABASE_URL as string);

/**
 * The same database through a Kysely whose queries all fail once `kill()` is
 * called: an instance that dies at that moment writes nothing more.
 */
export const mortal = (db: Kysely<Database>): { db: Kysely<Database>; kill(): void } => {
  let dead = false;
  return {
    db: db.withPlugin({
      transformQuery: (args) => {
        if (dead) throw new Error('the process died');
        return args.node;
      },
      transformResult: async (args) => args.result,
    }),
    kill: () => {
      dead = true;
    },
  };
};

export const makeEvent = (orderId: string, attempt = 1): ProcessingEventPayload => ({
  event_id: randomUUID(),
  type: CODE_ENTERED,
  order_id: orderId,
  area_id: 'svo_d',
  park_db_id: 'park1',
  driver_id: `driver${attempt}`,
  attempt,
  occurred_at: new Date().toISOString(),
});

/** What the repository does: insert in a transaction, NOTIFY on commit (unless `notify` is false). */
export const insertEvents = async (
  db: Kysely<Database>,
  events: readonly ProcessingEventPayload[],
  notify = true,
): Promise<void> => {
  await db.transaction().execute(async (trx) => {
    if (events.length > 0) {
      await trx
        .insertInto('code_dispatch.outbox')
        .values(events.map((e) => ({ event_id: e.event_id, order_id: e.order_id, type: e.type, payload: JSON.stringify(e) })))
        .execute();
    }
    if (notify) await sql`select pg_notify(${OUTBOX_CHANNEL}, '')`.execute(trx);
  });
};

export interface OutboxRowView {
  readonly event_id: string;
  readonly attempts: number;
  readonly delivered: boolean;
  readonly dead: boolean;
  readonly last_error: string | null;
}

export const outboxRows = async (db: Kysely<Database>): Promise<readonly OutboxRowView[]> => {
  const rows = await db
    .selectFrom('code_dispatch.outbox')
    .select(['event_id', 'attempts', 'delivered_at', 'dead_at', 'last_error'])
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    event_id: r.event_id,
    attempts: r.attempts,
    delivered: r.delivered_at !== null,
    dead: r.dead_at !== null,
    last_error: r.last_error,
  }));
};

export const until = async (condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, stepMs = 10): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
};

export interface ReceivedRequest {
  readonly body: Buffer;
  readonly headers: IncomingMessage['headers'];
  readonly status: number;
}

/** A webhook receiver on 127.0.0.1:0 answering each request with `answer(n)` (n counts from 1). */
export const startReceiver = async (
  answer: (n: number, body: Buffer) => number | Promise<number>,
): Promise<{ url: string; requests: ReceivedRequest[]; close(): Promise<void> }> => {
  const requests: ReceivedRequest[] = [];
  let count = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      void Promise.resolve(answer(++count, body)).then((status) => {
        requests.push({ body, headers: req.headers, status });
        res.writeHead(status).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/** Whether `payload` is a processing event as its published JSON Schema says; the problems otherwise. */
export const processingEventProblems = (payload: unknown): string[] => {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(eventSchema);
  return validate(payload)
    ? []
    : (validate.errors ?? []).map((e: { instancePath: string; message?: string }) => `${e.instancePath} ${e.message ?? ''}`);
};
