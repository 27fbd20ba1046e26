import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/Either';
import { sql } from 'kysely';
import { Client } from 'pg';
import { driver, orderId, type Assignment } from '@codedispatch/core';
import { transition } from '@codedispatch/core/adapter';
import { ChangeNotifier } from './change-notifier';
import { main as migrateCli } from './cli/migrate';
import { MISSED_NOTIFICATIONS, openDatabase, type DatabaseHandle } from './connect';
import { ASSIGNMENTS_CHANNEL, OUTBOX_CHANNEL } from './database';
import { KyselyAssignmentRepository } from './kysely-assignment-repository';
import { migrateToLatest, MIGRATIONS } from './migrations';
import { recordedStreams } from './testing';
import { draft } from './testing/repository-contract';
import { OPEN_TIMEOUT_MS, openTestDatabase, TEST_DIALECTS, type TestDatabase } from './testing/test-database';

const ALL_MIGRATIONS = Object.keys(MIGRATIONS);

const LONG_AGO = new Date('2000-01-01T00:00:00.000Z');
const T10 = new Date('2026-11-26T10:00:10.000Z');

const until = async (condition: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
};
const settleNotifications = () => new Promise((r) => setTimeout(r, 150));

const insert = async (repo: KyselyAssignmentRepository, id: string, code: string): Promise<Assignment> => {
  const outcome = await repo.insertWithFreshCode(draft(id), [code], LONG_AGO);
  if (outcome.kind !== 'inserted') throw new Error(outcome.kind);
  return outcome.assignment;
};
const enter = async (repo: KyselyAssignmentRepository, a: Assignment, parkDbId = 'park1', driverId = 'd1') => {
  const moved = transition(a, { type: 'code_entered', driver: driver(parkDbId, driverId) }, T10);
  if (E.isLeft(moved)) throw new Error('illegal');
  return repo.applyTransition({
    expectedVersion: a.version,
    next: moved.right.assignment,
    change: moved.right.change,
    ...(moved.right.event ? { event: moved.right.event } : {}),
  });
};

describe.each(TEST_DIALECTS)('notifications on %s', (dialect) => {
  let database: TestDatabase | undefined;
  let handle: DatabaseHandle;
  let repo: KyselyAssignmentRepository;

  beforeAll(async () => {
    database = await openTestDatabase(dialect);
    handle = database.handle;
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await database?.reset();
    repo = new KyselyAssignmentRepository(handle.db);
  });

  it('pings', async () => {
    expect(handle.kind).toBe(dialect);
    await expect(handle.ping()).resolves.toBe(true);
  });

  it('writes without NOTIFY: inserts and transitions keep off the notify lock', async () => {
    const heard: string[] = [];
    const stopOrders = await handle.listen(ASSIGNMENTS_CHANNEL, (p) => heard.push(`orders:${p}`));
    const stopOutbox = await handle.listen(OUTBOX_CHANNEL, (p) => heard.push(`outbox:${p}`));
    try {
      const a = await insert(repo, 'o1', '111');
      expect((await enter(repo, a)).kind).toBe('applied');
      await sql`select pg_notify(${ASSIGNMENTS_CHANNEL}, 'marker')`.execute(handle.db);
      await until(() => heard.length > 0);
      expect(heard).toEqual(['orders:marker']);
    } finally {
      await stopOrders();
      await stopOutbox();
    }
  });

  it('listens while the pool’s connections are busy in a transaction', async () => {
    const heard: string[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    const transaction = handle.db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      await held;
    });
    const listening = handle.listen(ASSIGNMENTS_CHANNEL, (p) => heard.push(p));
    release();
    await transaction;
    const stop = await listening;
    await sql`select pg_notify(${ASSIGNMENTS_CHANNEL}, 'o1')`.execute(handle.db);
    await until(() => heard.length === 1);
    expect(heard).toEqual(['o1']);
    await stop();
  });

  it('carries announced changes to the subscribers of another instance, coalesced, skipping its own (ChangeNotifier)', async () => {
    const here = new ChangeNotifier(handle);
    const there = new ChangeNotifier(handle);
    const calls: string[] = [];
    const raw: string[] = [];
    const stopRaw = await handle.listen(ASSIGNMENTS_CHANNEL, (p) => raw.push(p));
    const stopA = there.subscribe('o1', () => calls.push('a'));
    there.subscribe('o1', () => calls.push('b'));
    there.subscribe('o2', () => calls.push('other'));
    there.subscribe('o1', () => {
      throw new Error('a subscriber failing does not stop the others');
    });
    here.subscribe('o1', () => calls.push('own'));
    expect(there.watchedOrders).toBe(2);
    await here.start();
    await there.start();
    await there.start(); // idempotent
    try {
      for (let i = 0; i < 50; i++) here.announce(i === 0 ? 'o1' : `x${i}`);
      await until(() => calls.length === 2);
      expect(calls.sort()).toEqual(['a', 'b']);
      expect(raw).toHaveLength(1); // fifty changes, one NOTIFY

      stopA();
      here.announce('o3');
      here.announce('o1');
      await until(() => calls.length === 3);
      await settleNotifications();
      expect(calls.sort()).toEqual(['a', 'b', 'b']);
    } finally {
      await here.stop();
      await there.stop();
      await there.stop();
      await stopRaw();
    }
    here.announce('o2');
    await here.flush();
    await settleNotifications();
    expect(calls).not.toContain('other');
  });

  it('splits many changes over payloads under the NOTIFY limit, and wakes the relays for an event', async () => {
    const here = new ChangeNotifier(handle);
    const there = new ChangeNotifier(handle);
    const ids = Array.from({ length: 300 }, (_, i) => `order-${'x'.repeat(60)}-${i}`);
    const heard = new Set<string>();
    for (const id of ids) there.subscribe(id, () => heard.add(id));
    const outbox: string[] = [];
    const stopOutbox = await handle.listen(OUTBOX_CHANNEL, (p) => outbox.push(p));
    await there.start();
    try {
      for (const id of ids) here.announce(id);
      here.announce(ids[0] as string, true);
      await here.flush();
      await until(() => heard.size === ids.length && outbox.length === 1);
      expect(outbox).toEqual(['']);
    } finally {
      await there.stop();
      await stopOutbox();
    }
  });

  it('tells every instance that it missed changes when it had to drop some (too many waiting to be sent)', async () => {
    const here = new ChangeNotifier(handle);
    const there = new ChangeNotifier(handle);
    const raw: string[] = [];
    const stopRaw = await handle.listen(ASSIGNMENTS_CHANNEL, (p) => raw.push(p));
    const ids = Array.from({ length: 50_001 }, (_, i) => `o${i}`);
    let dropped = 0;
    there.subscribe(ids[ids.length - 1] as string, () => dropped++);
    await there.start();
    try {
      for (const id of ids) here.announce(id);
      await here.flush();
      await until(() => dropped === 1);
      expect(raw).toEqual([MISSED_NOTIFICATIONS]);
    } finally {
      await there.stop();
      await stopRaw();
    }
  });

  if (dialect === 'postgres') {
    it('hears the changes of another instance', async () => {
      const other = await (database as TestDatabase).connectAgain();
      const notifier = new ChangeNotifier(handle);
      let heard = 0;
      notifier.subscribe('o1', () => heard++);
      await notifier.start();
      const elsewhere = new ChangeNotifier(other);
      try {
        elsewhere.announce('o1');
        await until(() => heard === 1);
        expect(heard).toBe(1);
      } finally {
        await elsewhere.stop();
        await notifier.stop();
      }
    });

    it('listens again after its connection was killed, and tells its listeners that notifications were missed', async () => {
      const heard: string[] = [];
      const stop = await handle.listen(ASSIGNMENTS_CHANNEL, (p) => heard.push(p));
      try {
        const killed = await sql<{ n: string }>`
          select count(pg_terminate_backend(pid)) as n from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and query like 'listen %'`.execute(handle.db);
        expect(killed.rows[0]?.n).toBe('1');
        // Back, it says that anything may have changed meanwhile.
        await until(() => heard.includes(MISSED_NOTIFICATIONS), 15_000);
        await sql`select pg_notify(${ASSIGNMENTS_CHANNEL}, 'after')`.execute(handle.db);
        await until(() => heard.includes('after'));
      } finally {
        await stop();
      }
    }, 30_000);

    /** This test database's URL, for another pool on it, told apart by its application_name. */
    const sameDatabase = async (applicationName: string): Promise<string> => {
      const url = new URL(process.env.TEST_DATABASE_URL as string);
      url.pathname = `/${(await sql<{ db: string }>`select current_database() as db`.execute(handle.db)).rows[0]?.db}`;
      url.searchParams.set('application_name', applicationName);
      return url.toString();
    };

    it('survives its connections being terminated mid-query and mid-transaction, and answers again', async () => {
      const errors: unknown[] = [];
      const victim = await openDatabase({
        databaseUrl: await sameDatabase('victim'),
        poolSize: 4,
        onError: (e) => errors.push(e),
      });
      try {
        let inTransaction: () => void = () => undefined;
        const opened = new Promise<void>((resolve) => (inTransaction = resolve));
        const busy = [
          sql`select pg_sleep(5)`.execute(victim.db),
          sql`select pg_sleep(5)`.execute(victim.db),
          // A client checked out for a transaction, idle between its statements.
          victim.db.transaction().execute(async (trx) => {
            await sql`select 1`.execute(trx);
            inTransaction();
            await new Promise((r) => setTimeout(r, 2000));
            await sql`select 1`.execute(trx);
          }),
        ].map((p) =>
          p.then(
            () => 'answered',
            () => 'failed',
          ),
        );
        await opened;
        // Both sleeps run and the transaction idles between its statements: terminate them all.
        let states = '';
        const deadline = Date.now() + 5_000;
        while (states !== 'active,active,idle in transaction' && Date.now() < deadline) {
          const { rows } = await sql<{ states: string | null }>`
            select string_agg(state, ',' order by state) as states from pg_stat_activity where application_name = 'victim'`.execute(
            handle.db,
          );
          states = rows[0]?.states ?? '';
        }
        expect(states).toBe('active,active,idle in transaction');
        await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'victim'`.execute(handle.db);
        expect(await Promise.all(busy)).toEqual(['failed', 'failed', 'failed']);
        expect(await victim.ping()).toBe(true);
        expect(errors.length).toBeGreaterThan(0);
      } finally {
        await victim.close();
      }
    });

    it('opens at most poolSize connections, however many queries run at once', async () => {
      const small = await openDatabase({ databaseUrl: await sameDatabase('small'), poolSize: 3 });
      try {
        const pids = await Promise.all(
          Array.from({ length: 9 }, () =>
            sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.1)`.execute(small.db).then((r) => r.rows[0]?.pid),
          ),
        );
        expect(new Set(pids).size).toBe(3);
      } finally {
        await small.close();
      }
    });

    it('migrates from two instances at once', async () => {
      const admin = new Client({ connectionString: process.env.TEST_DATABASE_URL });
      await admin.connect();
      const name = `cd_test_mig_${Date.now()}`;
      await admin.query(`create database ${name}`);
      try {
        const url = new URL(process.env.TEST_DATABASE_URL as string);
        url.pathname = `/${name}`;
        const [x, y] = await Promise.all([
          openDatabase({ databaseUrl: url.toString() }),
          openDatabase({ databaseUrl: url.toString() }),
        ]);
        try {
          const reports = await Promise.all([migrateToLatest(x.db), migrateToLatest(y.db)]);
          expect(reports.flatMap((r) => r.applied)).toEqual(ALL_MIGRATIONS);
        } finally {
          await x.close();
          await y.close();
        }
      } finally {
        await admin.query(`drop database if exists ${name} with (force)`);
        await admin.end();
      }
    });
  }
});

describe('a server that never answers', () => {
  it('fails a query within the connect timeout, and LISTEN too', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const handle = await openDatabase({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/nowhere`, connectTimeoutMs: 300 });
    try {
      for (const attempt of [() => handle.ping(), () => handle.listen('anything', () => undefined)]) {
        const started = Date.now();
        await expect(attempt()).rejects.toThrow(/timeout/i);
        expect(Date.now() - started).toBeGreaterThanOrEqual(250);
        expect(Date.now() - started).toBeLessThan(2000);
      }
    } finally {
      await handle.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('PGlite in a directory, and the migrate command', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cd-pglite-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'creates the directory, migrates, and keeps the data across openings',
    async () => {
      const dataDir = join(dir, 'nested', 'pglite');
      const io = recordedStreams();
      expect(await migrateCli([], { PGLITE_DATA_DIR: dataDir }, io)).toBe(0);
      expect(await migrateCli([], { PGLITE_DATA_DIR: dataDir }, io)).toBe(0);
      expect(io.out.split('\n')).toEqual([
        ...ALL_MIGRATIONS.map((name) => `embedded PGlite in ${dataDir}: applied ${name}`),
        `embedded PGlite in ${dataDir}: already up to date`,
        '',
      ]);

      const first = await openDatabase({ pgliteDataDir: dataDir });
      expect(first.kind).toBe('pglite');
      await insert(new KyselyAssignmentRepository(first.db), 'o1', '111');
      await first.close();
      await first.close(); // idempotent
      await expect(first.ping()).rejects.toBeDefined();

      const again = await openDatabase({ pgliteDataDir: dataDir });
      try {
        expect((await new KyselyAssignmentRepository(again.db).findByOrder(orderId('o1')))?.code).toBe('111');
      } finally {
        await again.close();
      }
    },
    OPEN_TIMEOUT_MS,
  );

  it.each([['--help'], ['-h']])('migrate %s prints its usage on stdout, exits 0 and opens no database', async (flag) => {
    const dataDir = join(dir, `help${flag}`);
    const io = recordedStreams();
    expect(await migrateCli([flag], { PGLITE_DATA_DIR: dataDir }, io)).toBe(0);
    expect(io.out).toMatch(/^Usage: npm run migrate /);
    expect(io.out).toContain('DATABASE_URL');
    expect(io.err).toBe('');
    expect(existsSync(dataDir)).toBe(false);
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['now'], "Unexpected argument 'now'"],
  ])('migrate %j is refused: one line and the usage on stderr, exit 2, no database opened', async (argv, message) => {
    const dataDir = join(dir, 'refused');
    const io = recordedStreams();
    expect(await migrateCli(argv, { PGLITE_DATA_DIR: dataDir }, io)).toBe(2);
    expect(io.out).toBe('');
    const [first, blank] = io.err.split('\n');
    expect(first).toBe(`migrate: ${message}`);
    expect(blank).toBe('');
    expect(io.err).toContain('Usage: npm run migrate ');
    expect(existsSync(dataDir)).toBe(false);
  });

  if (process.env.TEST_DATABASE_URL) {
    it('migrates a server from DATABASE_URL, and not on a refused command line', async () => {
      const admin = new Client({ connectionString: process.env.TEST_DATABASE_URL });
      await admin.connect();
      const name = `cd_test_cli_${Date.now()}`;
      await admin.query(`create database ${name}`);
      const url = new URL(process.env.TEST_DATABASE_URL as string);
      url.pathname = `/${name}`;
      const io = recordedStreams();
      /** The code_dispatch schema, if the database has it. */
      const schemas = async (): Promise<unknown[]> => {
        const client = new Client({ connectionString: url.toString() });
        await client.connect();
        try {
          return (await client.query(`select 1 from pg_namespace where nspname = 'code_dispatch'`)).rows;
        } finally {
          await client.end();
        }
      };
      try {
        expect(await migrateCli(['--bogus'], { DATABASE_URL: url.toString() }, io)).toBe(2);
        expect(await schemas()).toEqual([]);
        expect(await migrateCli([], { DATABASE_URL: url.toString() }, io)).toBe(0);
        expect(io.out).toBe(ALL_MIGRATIONS.map((name) => `PostgreSQL ${url.toString()}: applied ${name}\n`).join(''));
        expect(await schemas()).toHaveLength(1);
      } finally {
        await admin.query(`drop database if exists ${name} with (force)`);
        await admin.end();
      }
    });
  }
});

describe('openDatabase without a place for the data', () => {
  it.each([{}, { databaseUrl: '' }, { pgliteDataDir: '' }])(
    'refuses %j rather than write a database somewhere',
    async (options) => {
      await expect(openDatabase(options)).rejects.toThrow(/^openDatabase: give databaseUrl .* or pgliteDataDir/);
    },
  );
});
