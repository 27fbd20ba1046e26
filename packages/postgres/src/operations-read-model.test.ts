import { sql, type Insertable, type Kysely } from 'kysely';
import { areaId, createCodeDispatch } from '@codedispatch/core';
import { areaSettings, InMemoryDriverTracker, testConfig } from '@codedispatch/core/testing';
import type { AssignmentsTable, ChangeJson } from './assignments.table';
import type { Database } from './database';
import { KyselyAssignmentRepository } from './kysely-assignment-repository';
import { KyselyOperationsReadModel, type AreaActivityRequest } from './operations-read-model';
import { postgresStore } from './store';
import { OPEN_TIMEOUT_MS, openTestDatabase, TEST_DIALECTS, type TestDatabase } from './testing/test-database';

/*
 * The operations console's read model, on records whose change logs hold
 * changes at chosen times (rows in the stored wire form), and on records the
 * use cases wrote.
 */

const T = new Date('2026-12-06T10:00:00.000Z');
const ms = (offset: number): Date => new Date(T.getTime() + offset);
const MIN = 60_000;
const NOW = ms(30_000);
const SERIES_SINCE = ms(-14 * MIN);
const RECENT_SINCE = new Date(NOW.getTime() - 15 * MIN);
const SERVICE = { kind: 'service', name: 'ordercommit' } as const;
const DRIVER = { kind: 'driver', park_db_id: 'park1', driver_id: 'd1' } as const;

type Step = readonly [at: Date, to: ChangeJson['to'], errorCode?: ChangeJson['error_code']];

/** A record with its change log: each step a change at its time; the row's status and times follow the last. */
const record = (orderId: string, code: string, steps: readonly Step[], area = 'svo_d'): Insertable<AssignmentsTable> => {
  const changes: ChangeJson[] = steps.map(([at, to, errorCode], i) => ({
    at: at.toISOString(),
    from: i === 0 ? null : steps[i - 1]![1],
    to,
    actor: to === 'processing' ? (DRIVER as unknown as ChangeJson['actor']) : (SERVICE as unknown as ChangeJson['actor']),
    ...(errorCode !== undefined ? { error_code: errorCode } : {}),
  }));
  const [lastAt, status, errorCode] = steps[steps.length - 1]!;
  const withDriver = steps.some(([, to]) => to === 'processing');
  return {
    order_id: orderId,
    area_id: area,
    code,
    status,
    error_code: errorCode ?? null,
    driver_id: withDriver ? `d-${orderId}` : null,
    park_db_id: withDriver ? 'park1' : null,
    user_id: null,
    created_at: steps[0]![0],
    updated_at: lastAt,
    expires_at: ms(10 * MIN),
    released_at: status === 'assigned' || errorCode === 'order_cancelled' || errorCode === 'expired' ? lastAt : null,
    version: steps.length,
    changes: JSON.stringify(changes),
  };
};

describe.each(TEST_DIALECTS)('KyselyOperationsReadModel on %s', (dialect) => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  let model: KyselyOperationsReadModel;

  beforeAll(async () => {
    database = await openTestDatabase(dialect);
    db = database.handle.db;
    model = new KyselyOperationsReadModel(db);
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await database?.reset();
  });

  const insert = (...rows: Insertable<AssignmentsTable>[]) => db.insertInto('code_dispatch.assignments').values(rows).execute();

  const request = (areas: readonly string[], takenSince = ms(-10 * MIN)): AreaActivityRequest => ({
    areas: areas.map((a) => ({ areaId: a, codeLength: 6, takenSince })),
    now: NOW,
    seriesSince: SERIES_SINCE,
    recentSince: RECENT_SINCE,
  });

  describe('areaActivity', () => {
    /*
     * svo_d: ten records entered and assigned around 09:55 with latencies
     * 100, 200 … 1000 ms (the tenth entered, timed out, and was entered
     * again 1 s before its assignment); one record entered at 09:40, timed
     * out at 09:44 and entered again at 09:58 (processing now); a pending
     * record, an expired one not swept yet; one assigned at 09:40 (not
     * read). zenit: one pending record.
     */
    const seed = async (): Promise<void> => {
      const created = ms(-10 * MIN);
      const latencies: Insertable<AssignmentsTable>[] = [];
      for (let k = 1; k <= 10; k++) {
        const assigned = ms(-5 * MIN + k * 1000);
        const steps: Step[] =
          k < 10
            ? [
                [created, 'pending'],
                [new Date(assigned.getTime() - k * 100), 'processing'],
                [assigned, 'assigned'],
              ]
            : [
                [created, 'pending'],
                [new Date(assigned.getTime() - 9000), 'processing'],
                [new Date(assigned.getTime() - 5000), 'error', 'processing_timeout'],
                [new Date(assigned.getTime() - 1000), 'processing'],
                [assigned, 'assigned'],
              ];
        latencies.push(record(`r${k}`, String(100000 + k), steps));
      }
      await insert(
        ...latencies,
        record('mixed', '200001', [
          [ms(-30 * MIN), 'pending'],
          [ms(-20 * MIN), 'processing'],
          [ms(-16 * MIN), 'error', 'processing_timeout'],
          [ms(-2 * MIN), 'processing'],
        ]),
        record('p1', '300001', [[ms(-1 * MIN), 'pending']]),
        { ...record('p2', '300002', [[ms(-40 * MIN), 'pending']]), expires_at: ms(-1 * MIN) },
        record('old', '400001', [
          [ms(-30 * MIN), 'pending'],
          [ms(-20 * MIN), 'processing'],
          [ms(-20 * MIN + 500), 'assigned'],
        ]),
        record('z1', '300001', [[ms(-1 * MIN), 'pending']], 'zenit'),
      );
      await model.recordEntryOutcomes([
        { areaId: 'svo_d', minute: ms(-2 * MIN), code: 'code_not_found', count: 2 },
        { areaId: 'svo_d', minute: ms(-2 * MIN), code: 'too_many_attempts', count: 1 },
        { areaId: 'svo_d', minute: ms(-20 * MIN), code: 'code_not_found', count: 5 },
        { areaId: 'zenit', minute: ms(-2 * MIN), code: 'code_not_found', count: 7 },
      ]);
    };

    it('counts the records now, the codes taken, and the changes of the last 15 minutes', async () => {
      await seed();
      const [svo] = await model.areaActivity(request(['svo_d']));
      expect(svo).toMatchObject({ areaId: 'svo_d', pending: 1, processing: 1 });
      // Ten released since takenSince, p1, p2 (still pending: its code is held until swept) and mixed.
      expect(svo!.taken).toBe(13);
      expect(svo!.taken).toBe(await new KyselyAssignmentRepository(db).countTakenCodes(areaId('svo_d'), 6, ms(-10 * MIN)));
      expect(svo!.recent).toEqual({
        entries: 12,
        assignments: 10,
        entryToAssignedMs: { count: 10, p50: 500, p99: 1000 },
        errors: { code_not_found: 2, processing_timeout: 1, too_many_attempts: 1 },
        attemptLimitRefusals: 1,
      });
    });

    it('answers every area asked, in that order, zeros for one without activity', async () => {
      await seed();
      const activity = await model.areaActivity(request(['zenit', 'kzn', 'svo_d']));
      expect(activity.map((a) => a.areaId)).toEqual(['zenit', 'kzn', 'svo_d']);
      expect(activity[0]).toMatchObject({ pending: 1, processing: 0, taken: 1 });
      expect(activity[0]!.recent.errors).toEqual({ code_not_found: 7 });
      expect(activity[1]).toMatchObject({
        pending: 0,
        processing: 0,
        taken: 0,
        recent: {
          entries: 0,
          assignments: 0,
          entryToAssignedMs: { count: 0, p50: null, p99: null },
          errors: {},
          attemptLimitRefusals: 0,
        },
      });
      expect(activity[1]!.series.every((s) => s.entries + s.assignments + s.errors + s.attemptLimitRefusals === 0)).toBe(true);
    });

    it('puts the changes and the tally in one-minute buckets from seriesSince to now, zeros filled', async () => {
      await seed();
      const [svo] = await model.areaActivity(request(['svo_d']));
      const series = svo!.series;
      expect(series).toHaveLength(15);
      expect(series.map((s) => s.at)).toEqual(Array.from({ length: 15 }, (_, i) => ms((i - 14) * MIN)));
      const busy = series
        .map((s, i) => ({ i, ...s }))
        .filter((s) => s.entries + s.assignments + s.errors + s.attemptLimitRefusals > 0)
        .map(({ at, ...rest }) => ({ at: at.toISOString(), ...rest }));
      expect(busy).toEqual([
        { i: 9, at: '2026-12-06T09:55:00.000Z', entries: 11, assignments: 10, errors: 1, attemptLimitRefusals: 0 },
        { i: 12, at: '2026-12-06T09:58:00.000Z', entries: 1, assignments: 0, errors: 3, attemptLimitRefusals: 1 },
      ]);
    });

    it("leaves an order's final outcomes (cancelled, expired) out of the series' errors, not out of the errors by code", async () => {
      await insert(
        record('c1', '500001', [
          [ms(-3 * MIN), 'pending'],
          [ms(-3 * MIN + 1000), 'processing'],
          [ms(-3 * MIN + 2000), 'error', 'order_cancelled'],
        ]),
        record('c2', '500002', [
          [ms(-3 * MIN), 'pending'],
          [ms(-3 * MIN + 3000), 'error', 'order_cancelled'],
        ]),
        record('e1', '500003', [
          [ms(-3 * MIN), 'pending'],
          [ms(-3 * MIN + 4000), 'error', 'expired'],
        ]),
        record('t1', '500004', [
          [ms(-3 * MIN), 'pending'],
          [ms(-3 * MIN + 1000), 'processing'],
          [ms(-3 * MIN + 5000), 'error', 'processing_timeout'],
        ]),
      );
      const [svo] = await model.areaActivity(request(['svo_d']));
      expect(svo!.recent.errors).toEqual({ order_cancelled: 2, expired: 1, processing_timeout: 1 });
      const minute = svo!.series.find((s) => s.at.getTime() === ms(-3 * MIN).getTime());
      expect(minute).toMatchObject({ entries: 2, assignments: 0, errors: 1, attemptLimitRefusals: 0 });
      expect(svo!.series.reduce((n, s) => n + s.errors, 0)).toBe(1);
    });

    it('reads what the use cases wrote (through the store)', async () => {
      const store = await postgresStore({ db });
      const dispatch = createCodeDispatch({
        store,
        config: testConfig({ areas: [areaSettings('svo_d')] }),
        tracker: new InMemoryDriverTracker(),
      });
      const created = await dispatch.createOrder({ orderId: 'flow1', areaId: 'svo_d', service: 'orders' });
      if (!created.ok) throw new Error(created.error.code);
      const entered = await dispatch.enterCode({
        areaId: 'svo_d',
        code: created.value.codeDisplay,
        driver: { parkDbId: 'park1', driverId: 'd1' },
      });
      expect(entered.ok).toBe(true);
      const looked = await dispatch.lookupDriver({ orderId: 'flow1', service: 'processing' });
      expect(looked.ok && looked.value.assignment.status).toBe('assigned');
      const now = new Date();
      const minute = new Date(Math.floor(now.getTime() / MIN) * MIN);
      const [activity] = await store.operations.areaActivity({
        areas: [{ areaId: 'svo_d', codeLength: created.value.assignment.code.length, takenSince: new Date(now.getTime() - MIN) }],
        now,
        seriesSince: new Date(minute.getTime() - 14 * MIN),
        recentSince: new Date(now.getTime() - 15 * MIN),
      });
      expect(activity).toMatchObject({ pending: 0, processing: 0, taken: 1 });
      expect(activity!.recent).toMatchObject({ entries: 1, assignments: 1, errors: {} });
      expect(activity!.recent.entryToAssignedMs.count).toBe(1);
      expect(activity!.series.reduce((n, s) => n + s.entries, 0)).toBe(1);
    });
  });

  describe('activeByCode', () => {
    it("answers the area's active records with that code: pending, processing, retryable error", async () => {
      await insert(
        record('a1', '111111', [[ms(-MIN), 'pending']]),
        record('a2', '222222', [
          [ms(-MIN), 'pending'],
          [ms(-MIN + 1000), 'processing'],
          [ms(-MIN + 2000), 'error', 'processing_timeout'],
        ]),
        record('a3', '111111', [
          [ms(-2 * MIN), 'pending'],
          [ms(-2 * MIN + 1000), 'processing'],
          [ms(-2 * MIN + 2000), 'assigned'],
        ]),
        record('a4', '333333', [
          [ms(-MIN), 'pending'],
          [ms(-MIN + 1000), 'error', 'order_cancelled'],
        ]),
        record('z1', '111111', [[ms(-MIN), 'pending']], 'zenit'),
      );
      expect((await model.activeByCode('svo_d', '111111')).map((a) => [a.orderId, a.status])).toEqual([['a1', 'pending']]);
      const [retryable] = await model.activeByCode('svo_d', '222222');
      expect(retryable).toMatchObject({ orderId: 'a2', status: 'error', errorCode: 'processing_timeout' });
      expect(retryable!.changes.map((c) => c.to)).toEqual(['pending', 'processing', 'error']);
      expect(await model.activeByCode('svo_d', '333333')).toEqual([]);
      expect((await model.activeByCode('zenit', '111111')).map((a) => a.orderId)).toEqual(['z1']);
    });
  });

  describe('outbox', () => {
    const event = (orderIdOf: string, createdAt: Date, extra: Record<string, unknown> = {}) =>
      sql<{ event_id: string }>`
        insert into code_dispatch.outbox (order_id, type, payload, created_at, available_at, delivered_at, dead_at, last_error, attempts)
        values (${orderIdOf}, 'code_dispatch.code_entered', '{}'::jsonb, ${createdAt}::timestamptz, ${createdAt}::timestamptz,
                ${(extra.delivered_at as Date | undefined) ?? null}::timestamptz, ${(extra.dead_at as Date | undefined) ?? null}::timestamptz,
                ${(extra.last_error as string | undefined) ?? null}::text, ${(extra.attempts as number | undefined) ?? 0}::integer)
        returning event_id`
        .execute(db)
        .then((r) => r.rows[0]!.event_id);

    it("eventsOf: the order's events, oldest first", async () => {
      const first = await event('o1', ms(-3000), { delivered_at: ms(-2500), attempts: 1 });
      await event('o2', ms(-2000));
      const second = await event('o1', ms(-1000));
      const events = await model.eventsOf('o1');
      expect(events.map((e) => e.eventId)).toEqual([first, second]);
      expect(events[0]).toEqual({
        eventId: first,
        orderId: 'o1',
        type: 'code_dispatch.code_entered',
        createdAt: ms(-3000),
        attempts: 1,
        nextAttemptAt: ms(-3000),
        deliveredAt: ms(-2500),
        deadAt: null,
        lastError: null,
      });
      expect(await model.eventsOf('nobody')).toEqual([]);
    });

    it('deadLetters: newest dead first, with the last error, at most `limit`', async () => {
      const a = await event('o1', ms(-9000), { dead_at: ms(-3000), last_error: 'webhook answered 500', attempts: 3 });
      const b = await event('o2', ms(-8000), { dead_at: ms(-1000), last_error: 'timeout', attempts: 3 });
      const c = await event('o3', ms(-7000), { dead_at: ms(-2000), last_error: 'refused', attempts: 3 });
      await event('o4', ms(-6000), { last_error: 'retrying', attempts: 1 });
      await event('o5', ms(-5000), { delivered_at: ms(-4000) });
      const dead = await model.deadLetters(100);
      expect(dead.map((d) => [d.eventId, d.lastError])).toEqual([
        [b, 'timeout'],
        [c, 'refused'],
        [a, 'webhook answered 500'],
      ]);
      expect(dead[0]).toMatchObject({ orderId: 'o2', attempts: 3, deadAt: ms(-1000), deliveredAt: null });
      expect((await model.deadLetters(2)).map((d) => d.eventId)).toEqual([b, c]);
    });
  });

  describe('the entry-outcome tally', () => {
    const tally = () =>
      db.selectFrom('code_dispatch.entry_outcomes').selectAll().orderBy('area_id').orderBy('minute').orderBy('code').execute();

    it('adds the counts of several instances (and repeated keys of one call) up', async () => {
      // Two instances flush their counts of the same minutes.
      await model.recordEntryOutcomes([
        { areaId: 'svo_d', minute: ms(0), code: 'code_not_found', count: 2 },
        { areaId: 'svo_d', minute: ms(0), code: 'code_not_found', count: 1 },
        { areaId: 'svo_d', minute: ms(MIN), code: 'too_many_attempts', count: 1 },
      ]);
      await model.recordEntryOutcomes([
        { areaId: 'svo_d', minute: ms(20_000), code: 'code_not_found', count: 4 },
        { areaId: 'zenit', minute: ms(0), code: 'code_not_found', count: 1 },
      ]);
      await model.recordEntryOutcomes([]);
      expect(await tally()).toEqual([
        { area_id: 'svo_d', minute: ms(0), code: 'code_not_found', count: 7 },
        { area_id: 'svo_d', minute: ms(MIN), code: 'too_many_attempts', count: 1 },
        { area_id: 'zenit', minute: ms(0), code: 'code_not_found', count: 1 },
      ]);
    });

    it('refuses a minute that is not a whole minute, and a count that is not positive', async () => {
      const row = { area_id: 'svo_d', minute: ms(0), code: 'code_not_found', count: 1 };
      await expect(
        db
          .insertInto('code_dispatch.entry_outcomes')
          .values({ ...row, minute: ms(1) })
          .execute(),
      ).rejects.toMatchObject({ code: '23514', constraint: 'entry_outcomes_minute_check' });
      await expect(
        db
          .insertInto('code_dispatch.entry_outcomes')
          .values({ ...row, count: 0 })
          .execute(),
      ).rejects.toMatchObject({ code: '23514', constraint: 'entry_outcomes_count_check' });
    });

    it('prunes the minutes before a time, and says how many rows', async () => {
      await model.recordEntryOutcomes([
        { areaId: 'svo_d', minute: ms(-2 * MIN), code: 'code_not_found', count: 1 },
        { areaId: 'svo_d', minute: ms(-MIN), code: 'code_not_found', count: 1 },
        { areaId: 'zenit', minute: ms(-MIN), code: 'too_many_attempts', count: 1 },
        { areaId: 'svo_d', minute: ms(0), code: 'code_not_found', count: 1 },
      ]);
      expect(await model.pruneEntryOutcomes(ms(0))).toBe(3);
      expect((await tally()).map((r) => r.minute)).toEqual([ms(0)]);
      expect(await model.pruneEntryOutcomes(ms(0))).toBe(0);
    });
  });

  describe('the indexes', () => {
    it('find the records changed in the last minutes and the minutes to prune without a sequential scan', async () => {
      // With sequential scans priced out, a plan names the index only when it serves the query.
      await db.transaction().execute(async (trx) => {
        await sql`set local enable_seqscan = off`.execute(trx);
        const plan = async (query: ReturnType<typeof sql>): Promise<string> =>
          (await query.execute(trx)).rows.map((r) => Object.values(r as object)[0]).join('\n');
        expect(
          await plan(sql`explain select order_id from code_dispatch.assignments where updated_at >= ${NOW}::timestamptz`),
        ).toContain('assignments_updated_at_idx');
        expect(await plan(sql`explain delete from code_dispatch.entry_outcomes where minute < ${NOW}::timestamptz`)).toContain(
          'entry_outcomes_minute_idx',
        );
        expect(await plan(sql`explain select id from code_dispatch.outbox where order_id = 'o1'`)).toContain('outbox_order_idx');
      });
    });
  });
});
