import { Migrator, sql, type Insertable, type Kysely } from 'kysely';
import * as E from 'fp-ts/Either';
import { areaId, driver, orderId, type Assignment } from '@codedispatch/core';
import { transition } from '@codedispatch/core/adapter';
import type { AssignmentsTable } from './assignments.table';
import type { Database } from './database';
import { KyselyAssignmentRepository } from './kysely-assignment-repository';
import { openDatabase } from './connect';
import { SCHEMA } from './database';
import { migrateToLatest, migrationProvider } from './migrations';
import { draft } from './testing/repository-contract';
import { OPEN_TIMEOUT_MS, openTestDatabase, TEST_DIALECTS, type TestDatabase } from './testing/test-database';

/*
 * The database enforces SPEC §3 by itself: statements that bypass the
 * repository and break an invariant fail with 23505 (unique) or 23514
 * (check). Also here: the stored JSON shapes, and what only the
 * PostgreSQL adapter does.
 */

const T0 = new Date('2026-11-26T10:00:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const LONG_AGO = new Date('2000-01-01T00:00:00.000Z');
const D1 = driver('park1', 'd1');
const D2 = driver('park1', 'd2');

type Row = Insertable<AssignmentsTable>;

const row = (id: string, overrides: Partial<Row> = {}): Row => ({
  order_id: id,
  area_id: 'svo_d',
  code: '111',
  status: 'pending',
  error_code: null,
  driver_id: null,
  park_db_id: null,
  user_id: null,
  created_at: T0,
  updated_at: T0,
  expires_at: at(1800),
  released_at: null,
  changes: '[]',
  ...overrides,
});

const processing = (id: string, overrides: Partial<Row> = {}): Row =>
  row(id, { status: 'processing', driver_id: 'd1', park_db_id: 'park1', attempt: 1, ...overrides });
const assigned = (id: string, overrides: Partial<Row> = {}): Row =>
  row(id, { status: 'assigned', driver_id: 'd1', park_db_id: 'park1', attempt: 1, released_at: at(60), ...overrides });

describe.each(TEST_DIALECTS)('code_dispatch schema on %s', (dialect) => {
  let database: TestDatabase | undefined;
  let db: Kysely<Database>;

  beforeAll(async () => {
    database = await openTestDatabase(dialect);
    db = database.handle.db;
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await database?.reset();
  });

  const insert = (...rows: Row[]) => db.insertInto('code_dispatch.assignments').values(rows).execute();
  const expectRefused = async (statement: Promise<unknown>, code: '23505' | '23514', constraint: string): Promise<void> => {
    await expect(statement).rejects.toMatchObject({ code, constraint });
  };

  describe('migrations', () => {
    it('are idempotent', async () => {
      expect(await migrateToLatest(db)).toEqual({ applied: [] });
      const { rows } = await sql<{ table_name: string }>`
        select table_name from information_schema.tables where table_schema = 'code_dispatch' order by table_name`.execute(db);
      expect(rows.map((r) => r.table_name)).toEqual([
        'assignments',
        'driver_attempts',
        'entry_outcomes',
        'failed_code_entries',
        'kysely_migration',
        'kysely_migration_lock',
        'outbox',
      ]);
    });
  });

  describe('one record per order', () => {
    it('refuses a second row with the same order_id', async () => {
      await insert(row('o1'));
      await expectRefused(insert(row('o1', { code: '222', area_id: 'zenit' })), '23505', 'assignments_pkey');
    });
  });

  describe('one active record per (area, code)', () => {
    it.each([
      ['pending', row('o2')],
      ['processing', processing('o2', { driver_id: 'd2' })],
      [
        'a retryable error',
        row('o2', { status: 'error', error_code: 'processing_timeout', driver_id: 'd2', park_db_id: 'park1' }),
      ],
    ])('refuses a second active row when it is %s', async (_what, second) => {
      await insert(row('o1'));
      await expectRefused(insert(second), '23505', 'assignments_active_code_uq');
    });

    it('allows the code in another area, and beside final records', async () => {
      await insert(
        row('o1'),
        row('o2', { area_id: 'zenit' }),
        assigned('o3'),
        row('o4', { status: 'error', error_code: 'expired', released_at: at(1800) }),
        row('o5', { status: 'error', error_code: 'order_cancelled', released_at: at(5) }),
      );
      expect(await db.selectFrom('code_dispatch.assignments').select('order_id').execute()).toHaveLength(5);
    });

    it('refuses an UPDATE that makes a final record active again beside an active one', async () => {
      await insert(row('o1', { status: 'error', error_code: 'order_cancelled', released_at: at(5) }), row('o2'));
      await expectRefused(
        db
          .updateTable('code_dispatch.assignments')
          .set({ status: 'pending', error_code: null, released_at: null })
          .where('order_id', '=', 'o1')
          .execute(),
        '23505',
        'assignments_active_code_uq',
      );
    });
  });

  describe('one processing record per driver', () => {
    it('refuses a second processing row of the same (park, driver)', async () => {
      await insert(processing('o1'));
      await expectRefused(insert(processing('o2', { code: '222' })), '23505', 'assignments_processing_driver_uq');
    });

    it('allows the same driver id in another park, and the driver’s other non-processing records', async () => {
      await insert(processing('o1'), processing('o2', { code: '222', park_db_id: 'park2' }), assigned('o3', { code: '333' }));
      await expectRefused(
        db
          .updateTable('code_dispatch.assignments')
          .set({ status: 'processing', released_at: null })
          .where('order_id', '=', 'o3')
          .execute(),
        '23505',
        'assignments_processing_driver_uq',
      );
    });
  });

  describe('checks', () => {
    it.each<[string, Row, string]>([
      ['an unknown status', row('o1', { status: 'lost' as Row['status'] }), 'assignments_status_check'],
      [
        'an unknown error code',
        row('o1', { status: 'error', error_code: 'oops' as Row['error_code'] }),
        'assignments_error_code_check',
      ],
      ['an error without error code', row('o1', { status: 'error' }), 'assignments_error_code_iff_error'],
      ['an error code without error', row('o1', { error_code: 'driver_busy' }), 'assignments_error_code_iff_error'],
      ['processing without a driver', row('o1', { status: 'processing' }), 'assignments_processing_has_driver'],
      ['a driver_id without park_db_id', row('o1', { driver_id: 'd1' }), 'assignments_driver_pair'],
      ['a park_db_id without driver_id', row('o1', { park_db_id: 'park1' }), 'assignments_driver_pair'],
      ['assigned without released_at', assigned('o1', { released_at: null }), 'assignments_released_iff_final'],
      ['expired without released_at', row('o1', { status: 'error', error_code: 'expired' }), 'assignments_released_iff_final'],
      [
        'cancelled without released_at',
        row('o1', { status: 'error', error_code: 'order_cancelled' }),
        'assignments_released_iff_final',
      ],
      ['pending with released_at', row('o1', { released_at: at(1) }), 'assignments_released_iff_final'],
      [
        'a retryable error with released_at',
        row('o1', { status: 'error', error_code: 'driver_busy', released_at: at(1) }),
        'assignments_released_iff_final',
      ],
      ['changes that are not an array', row('o1', { changes: '{"at": "x"}' }), 'assignments_changes_check'],
      ['a negative attempt', row('o1', { attempt: -1 }), 'assignments_attempt_check'],
      ['version 0', row('o1', { version: 0 }), 'assignments_version_check'],
    ])('refuses %s', async (_what, bad, constraint) => {
      await expectRefused(insert(bad), '23514', constraint);
    });

    it('refuses an UPDATE into an error without error code', async () => {
      await insert(processing('o1'));
      await expectRefused(
        db.updateTable('code_dispatch.assignments').set({ status: 'error' }).where('order_id', '=', 'o1').execute(),
        '23514',
        'assignments_error_code_iff_error',
      );
    });

    it('refuses a second outbox row with the same event_id', async () => {
      const values = {
        event_id: '00000000-0000-4000-8000-000000000001',
        order_id: 'o1',
        type: 'code_dispatch.code_entered',
        payload: '{}',
      };
      await db.insertInto('code_dispatch.outbox').values(values).execute();
      await expectRefused(db.insertInto('code_dispatch.outbox').values(values).execute(), '23505', 'outbox_event_id_key');
    });
  });

  describe('stored shapes', () => {
    const moved = (a: Assignment, event: Parameters<typeof transition>[1], now: Date) => {
      const m = transition(a, event, now);
      if (E.isLeft(m)) throw new Error('illegal');
      return {
        expectedVersion: a.version,
        next: m.right.assignment,
        change: m.right.change,
        ...(m.right.event ? { event: m.right.event } : {}),
      };
    };

    it('keeps the change log as the API shows it, and the outbox payload as SPEC §7 has it', async () => {
      const repo = new KyselyAssignmentRepository(db);
      const created = await repo.insertWithFreshCode(draft('o1'), ['482913'], LONG_AGO);
      if (created.kind !== 'inserted') throw new Error(created.kind);
      const entered = await repo.applyTransition(moved(created.assignment, { type: 'code_entered', driver: D1 }, at(10)));
      if (entered.kind !== 'applied') throw new Error(entered.kind);
      await repo.applyTransition(
        moved(entered.assignment, { type: 'lookup_failed', errorCode: 'driver_busy', by: 'processing' }, at(20)),
      );

      const stored = await db
        .selectFrom('code_dispatch.assignments')
        .select('changes')
        .where('order_id', '=', 'o1')
        .executeTakeFirstOrThrow();
      expect(stored.changes).toEqual([
        { at: '2026-11-26T10:00:00.000Z', from: null, to: 'pending', actor: { kind: 'service', name: 'ordercommit' } },
        {
          at: '2026-11-26T10:00:10.000Z',
          from: 'pending',
          to: 'processing',
          actor: { kind: 'driver', park_db_id: 'park1', driver_id: 'd1' },
        },
        {
          at: '2026-11-26T10:00:20.000Z',
          from: 'processing',
          to: 'error',
          actor: { kind: 'service', name: 'processing' },
          error_code: 'driver_busy',
        },
      ]);

      const outbox = await db.selectFrom('code_dispatch.outbox').selectAll().execute();
      expect(outbox).toHaveLength(1);
      const [event] = outbox;
      expect(event?.payload).toEqual({
        event_id: event?.event_id,
        type: 'code_dispatch.code_entered',
        order_id: 'o1',
        area_id: 'svo_d',
        park_db_id: 'park1',
        driver_id: 'd1',
        attempt: 1,
        occurred_at: '2026-11-26T10:00:10.000Z',
      });
      expect(event).toMatchObject({
        order_id: 'o1',
        type: 'code_dispatch.code_entered',
        attempts: 0,
        delivered_at: null,
        dead_at: null,
        locked_until: null,
      });
      expect(event?.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(event?.available_at).toBeInstanceOf(Date);
    });
  });

  describe('countTakenCodes', () => {
    it('leaves legacy codes out (they may follow no current format)', async () => {
      const repo = new KyselyAssignmentRepository(db);
      await insert(
        row('o1', { code: '111' }),
        row('L1', { code: '222', legacy: true }),
        assigned('L2', { code: '333', legacy: true }),
      );
      expect(await repo.countTakenCodes(areaId('svo_d'), 3, LONG_AGO)).toBe(1);
      // …but they are never issued again while held.
      expect(await repo.insertWithFreshCode(draft('o2'), ['222', '333'], LONG_AGO)).toEqual({ kind: 'all_taken' });
    });
  });

  describe('the attempt limit', () => {
    const entry = (d = D1, seconds = 0, area = 'svo_d') => ({ areaId: areaId(area), driver: d, at: at(seconds) });
    const limit = { since: LONG_AGO, maxFailures: 10 };
    const failures = async () =>
      (
        await db
          .selectFrom('code_dispatch.driver_attempts')
          .select(['area_id', 'driver_id', 'failures'])
          .orderBy('area_id')
          .orderBy('driver_id')
          .execute()
      ).map((r) => [r.area_id, r.driver_id, r.failures]);

    it('keeps one row per driver and area, with the times of its entries', async () => {
      const repo = new KyselyAssignmentRepository(db);
      for (const s of [0, 10, 10]) await repo.reserveAttempt(entry(D1, s), limit);
      await repo.reserveAttempt(entry(D2, 5), limit);
      expect(await failures()).toEqual([
        ['svo_d', 'd1', [at(0), at(10), at(10)]],
        ['svo_d', 'd2', [at(5)]],
      ]);
      // A release takes back one entry of that time, nothing when there is none.
      await repo.releaseAttempt(entry(D1, 10));
      await repo.releaseAttempt(entry(D1, 99));
      expect(await failures()).toEqual([
        ['svo_d', 'd1', [at(0), at(10)]],
        ['svo_d', 'd2', [at(5)]],
      ]);
    });

    it('prunes the rows whose every entry is at or before a time', async () => {
      const repo = new KyselyAssignmentRepository(db);
      await repo.reserveAttempt(entry(D1, 0), limit);
      await repo.reserveAttempt(entry(D1, 20), limit);
      await repo.reserveAttempt(entry(D2, 10), limit);
      await repo.reserveAttempt(entry(D2, 0, 'zenit'), limit);
      await repo.releaseAttempt(entry(D2, 0, 'zenit')); // no entry left
      expect(await repo.pruneFailedAttempts(at(10))).toBe(2);
      expect(await failures()).toEqual([['svo_d', 'd1', [at(0), at(20)]]]);
    });
  });

  if (dialect === 'postgres') {
    describe('insertWithFreshCode racing an uncommitted insert of another instance', () => {
      /** Inserts `rival` in a transaction of another instance and keeps it open until `commit` is called. */
      const rivalTransaction = async (rival: Row) => {
        const other = await (database as TestDatabase).connectAgain();
        let commit: () => void = () => undefined;
        const committing = new Promise<void>((r) => (commit = r));
        let inserted: () => void = () => undefined;
        const rivalInserted = new Promise<void>((r) => (inserted = r));
        const done = other.db.transaction().execute(async (trx) => {
          await trx.insertInto('code_dispatch.assignments').values(rival).execute();
          inserted();
          await committing;
        });
        await rivalInserted;
        return { commit, done };
      };
      /** Waits until some session of this database waits on a lock (our insert, on the rival's index entry). */
      const someoneWaits = async (): Promise<void> => {
        for (let i = 0; i < 200; i++) {
          const { rows } = await sql<{ n: string }>`
            select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(
            db,
          );
          if (rows[0]?.n !== '0') return;
          await new Promise((r) => setTimeout(r, 10));
        }
        throw new Error('nobody waits');
      };

      it('takes the next candidate when its first one is taken by the rival’s commit', async () => {
        const repo = new KyselyAssignmentRepository(db);
        const rival = await rivalTransaction(row('rival', { code: '111' }));
        const outcome = repo.insertWithFreshCode(draft('o1'), ['111', '222'], LONG_AGO);
        await someoneWaits();
        rival.commit();
        await rival.done;
        const result = await outcome;
        expect(result.kind === 'inserted' && result.assignment.code).toBe('222');
      });

      it('answers order_exists when the rival created the same order', async () => {
        const repo = new KyselyAssignmentRepository(db);
        const rival = await rivalTransaction(row('o1', { code: '999' }));
        const outcome = repo.insertWithFreshCode(draft('o1'), ['111', '222'], LONG_AGO);
        await someoneWaits();
        rival.commit();
        await rival.done;
        const result = await outcome;
        expect(result.kind === 'order_exists' && result.assignment.code).toBe('999');
        expect(await repo.findActiveByCode(areaId('svo_d'), '111')).toBeNull();
      });

      it('answers driver_has_processing when a transition waits on the rival’s processing record of the driver', async () => {
        const repo = new KyselyAssignmentRepository(db);
        const created = await repo.insertWithFreshCode(draft('o1'), ['111'], LONG_AGO);
        if (created.kind !== 'inserted') throw new Error(created.kind);
        const rival = await rivalTransaction(processing('rival', { code: '222' }));
        const m = transition(created.assignment, { type: 'code_entered', driver: D1 }, at(10));
        if (E.isLeft(m)) throw new Error('illegal');
        const outcome = repo.applyTransition({
          expectedVersion: 1,
          next: m.right.assignment,
          change: m.right.change,
          ...(m.right.event ? { event: m.right.event } : {}),
        });
        await someoneWaits();
        rival.commit();
        await rival.done;
        expect(await outcome).toEqual({ kind: 'driver_has_processing' });
        expect((await repo.findByOrder(orderId('o1')))?.status).toBe('pending');
        expect(await db.selectFrom('code_dispatch.outbox').select('id').execute()).toEqual([]);
      });
    });
  }
});

describe('migration 2026_12_05_0002_driver_attempts', () => {
  it(
    'moves the failed entries counted so far into one row per driver and area',
    async () => {
      const handle = await openDatabase({ pgliteDataDir: 'memory' });
      try {
        const migrator = new Migrator({ db: handle.db, provider: migrationProvider, migrationTableSchema: SCHEMA });
        expect((await migrator.migrateTo('2026_11_26_0001_initial')).error).toBeUndefined();
        await sql`
        insert into code_dispatch.failed_code_entries (area_id, park_db_id, driver_id, error_code, at) values
          ('svo_d', 'park1', 'd1', 'code_not_found', ${at(20)}::timestamptz),
          ('svo_d', 'park1', 'd1', 'code_already_in_use', ${at(10)}::timestamptz),
          ('zenit', 'park1', 'd1', 'code_not_found', ${at(5)}::timestamptz)`.execute(handle.db);
        const moved = await migrator.migrateTo('2026_12_05_0002_driver_attempts');
        expect(moved.error).toBeUndefined();
        expect(moved.results?.map((r) => r.migrationName)).toEqual(['2026_12_05_0002_driver_attempts']);
        const rows = await handle.db.selectFrom('code_dispatch.driver_attempts').selectAll().orderBy('area_id').execute();
        expect(rows).toEqual([
          { area_id: 'svo_d', park_db_id: 'park1', driver_id: 'd1', failures: [at(10), at(20)] },
          { area_id: 'zenit', park_db_id: 'park1', driver_id: 'd1', failures: [at(5)] },
        ]);
      } finally {
        await handle.close();
      }
    },
    OPEN_TIMEOUT_MS,
  );
});

describe('migration 2026_12_06_0003_outbox_undelivered', () => {
  it(
    "claims the outbox's due rows through the undelivered rows' index, not past every delivered one, and migrates down",
    async () => {
      const handle = await openDatabase({ pgliteDataDir: 'memory' });
      try {
        await migrateToLatest(handle.db);
        await sql`
          insert into code_dispatch.outbox (order_id, type, payload, delivered_at)
          select 'o' || g, 't', '{}'::jsonb, now() from generate_series(1, 5000) g`.execute(handle.db);
        await sql`insert into code_dispatch.outbox (order_id, type, payload) values ('due', 't', '{}'::jsonb)`.execute(handle.db);
        await sql`analyze code_dispatch.outbox`.execute(handle.db);
        const { rows } = await sql<{ 'QUERY PLAN': string }>`
          explain select id from code_dispatch.outbox
          where delivered_at is null and dead_at is null and available_at <= now()
          order by id limit 50`.execute(handle.db);
        expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('outbox_undelivered_idx');
        const migrator = new Migrator({ db: handle.db, provider: migrationProvider, migrationTableSchema: SCHEMA });
        expect((await migrator.migrateTo('2026_12_05_0002_driver_attempts')).error).toBeUndefined();
        const { rows: indexes } = await sql<{ indexname: string }>`
          select indexname from pg_indexes where schemaname = 'code_dispatch' and tablename = 'outbox' order by indexname`.execute(
          handle.db,
        );
        expect(indexes.map((i) => i.indexname)).toEqual(['outbox_due_idx', 'outbox_event_id_key', 'outbox_pkey']);
      } finally {
        await handle.close();
      }
    },
    OPEN_TIMEOUT_MS,
  );
});
