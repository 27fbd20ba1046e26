import { Kysely, PostgresDialect, sql } from 'kysely';
import { Pool } from 'pg';
import { createCodeDispatch } from '@codedispatch/core';
import { areaSettings, InMemoryDriverTracker, testConfig } from '@codedispatch/core/testing';
import { openDatabase } from './connect';
import { postgresStore, type PostgresStore } from './store';
import { createScratchDatabase, OPEN_TIMEOUT_MS } from './testing/test-database';

/*
 * The store as an embedder makes it: on their own Kysely (PGlite here, or a
 * server), their own pg.Pool, or a URL; the schema migrated by the store;
 * the use cases inside their transactions.
 */

const config = testConfig({ areas: [areaSettings('svo_d')] });
const tracker = new InMemoryDriverTracker();

/** The embedder's own table, in their own schema. */
interface TheirDatabase {
  orders: { id: string; code: string };
}

const flow = async (store: PostgresStore, prefix: string): Promise<string[]> => {
  const dispatch = createCodeDispatch({ store, config, tracker });
  const created = await dispatch.createOrder({ orderId: `${prefix}1`, areaId: 'svo_d', service: 'orders' });
  if (!created.ok) throw new Error(created.error.code);
  const entered = await dispatch.enterCode({
    areaId: 'svo_d',
    code: created.value.codeDisplay,
    driver: { parkDbId: 'park1', driverId: `${prefix}d` },
  });
  const looked = await dispatch.lookupDriver({ orderId: `${prefix}1`, service: 'processing' });
  return [
    created.value.assignment.status,
    entered.ok ? entered.value.status : entered.error.code,
    looked.ok ? looked.value.assignment.status : looked.error.code,
  ];
};

describe('postgresStore on the caller’s Kysely (PGlite)', () => {
  it(
    'migrates only its schema, runs the flow, and writes inside the caller’s transaction',
    async () => {
      const handle = await openDatabase({ pgliteDataDir: 'memory' });
      try {
        const theirs = handle.db as unknown as Kysely<TheirDatabase>;
        await sql`create table public.orders (id text primary key, code text not null)`.execute(theirs);
        const store = await postgresStore({ db: theirs });
        expect((await store.migrate()).applied.length).toBeGreaterThan(0);
        const { rows } = await sql<{ schema: string }>`
          select distinct table_schema as schema from information_schema.tables
          where table_schema not in ('pg_catalog', 'information_schema') order by 1`.execute(theirs);
        expect(rows.map((r) => r.schema)).toEqual(['code_dispatch', 'public']);
        expect(await flow(store, 'a')).toEqual(['pending', 'processing', 'assigned']);

        await theirs.transaction().execute(async (trx) => {
          const dispatch = createCodeDispatch({ store: store.inTransaction(trx), config, tracker });
          const created = await dispatch.createOrder({ orderId: 't1', areaId: 'svo_d', service: 'orders' });
          if (!created.ok) throw new Error(created.error.code);
          await trx.insertInto('orders').values({ id: 't1', code: created.value.assignment.code }).execute();
        });
        const saved = await theirs.selectFrom('orders').selectAll().execute();
        const dispatch = createCodeDispatch({ store, config, tracker });
        const read = await dispatch.getAssignment('t1');
        expect(saved).toEqual([{ id: 't1', code: read.ok ? read.value.code : 'missing' }]);
      } finally {
        await handle.close();
      }
    },
    OPEN_TIMEOUT_MS,
  );
});

const URL_ = process.env.TEST_DATABASE_URL;
const onServer = URL_ ? describe : describe.skip;

onServer('postgresStore on PostgreSQL', () => {
  let scratch: { readonly url: string; drop(): Promise<void> };
  let url: string;
  beforeAll(async () => {
    scratch = await createScratchDatabase(URL_ as string);
    url = scratch.url;
  });
  afterAll(() => scratch.drop());

  it('opens its own pool from a URL, and closes it', async () => {
    const store = await postgresStore({ url, poolSize: 2 });
    try {
      await store.migrate();
      expect(await flow(store, 'u')).toEqual(['pending', 'processing', 'assigned']);
    } finally {
      await store.close();
    }
    await expect(sql`select 1`.execute(store.db)).rejects.toThrow();
  });

  it('uses the caller’s pool, leaves it open, and rolls back with the caller’s transaction', async () => {
    const pool = new Pool({ connectionString: url, max: 3 });
    // The caller's pool, so the caller's listener: pg-pool's end() resolves before its connections have
    // closed, and the scratch database's forced drop may then terminate one of them.
    pool.on('error', () => undefined);
    try {
      const store = await postgresStore({ pool });
      await store.migrate();
      expect(await flow(store, 'p')).toEqual(['pending', 'processing', 'assigned']);
      await store.close();
      const theirs = new Kysely<TheirDatabase>({ dialect: new PostgresDialect({ pool }) });
      await sql`create table if not exists public.orders (id text primary key, code text not null)`.execute(theirs);
      await expect(
        theirs.transaction().execute(async (trx) => {
          const dispatch = createCodeDispatch({ store: store.inTransaction(trx), config, tracker });
          const created = await dispatch.createOrder({ orderId: 'gone', areaId: 'svo_d', service: 'orders' });
          if (!created.ok) throw new Error(created.error.code);
          await trx.insertInto('orders').values({ id: 'gone', code: created.value.assignment.code }).execute();
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(await theirs.selectFrom('orders').selectAll().execute()).toEqual([]);
      const read = await createCodeDispatch({ store, config, tracker }).getAssignment('gone');
      expect(read.ok ? 'found' : read.error.code).toBe('assignment_not_found');
      expect((await pool.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });
});
