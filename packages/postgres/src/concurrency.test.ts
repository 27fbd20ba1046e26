import * as E from 'fp-ts/Either';
import { sql } from 'kysely';
import {
  areaId,
  codeSpaceSize,
  DEFAULT_GENERATOR,
  WebCryptoCodeRandom,
  driver,
  orderId,
  type Assignment,
  type UseCases,
  type DomainError,
} from '@codedispatch/core';
import { createUseCases } from '@codedispatch/core/adapter';
import {
  areaSettings,
  FixedClock,
  FixedExperiments,
  InMemoryDriverTracker,
  StaticConfigSource,
  testConfig,
} from '@codedispatch/core/testing';
import type { DatabaseHandle } from './connect';
import { KyselyAssignmentRepository } from './kysely-assignment-repository';
import { OPEN_TIMEOUT_MS, openTestDatabase, TEST_DIALECTS, type TestDatabase } from './testing/test-database';

/*
 * Real concurrency through the core's use cases: on PostgreSQL many
 * statements run at once (several pools = several instances); on PGlite they
 * interleave between round trips. Either way the invariants hold, nothing
 * throws and nothing deadlocks.
 */

const SMALL = areaSettings('small', { generator: { ...DEFAULT_GENERATOR, length: 4, group: [4] } });
const SVO = areaSettings('svo_d');
const config = new StaticConfigSource(testConfig({ areas: [SVO, SMALL] }));

const dispatchOn = (handle: DatabaseHandle, clock: FixedClock): UseCases =>
  createUseCases({
    repository: new KyselyAssignmentRepository(handle.db),
    tracker: new InMemoryDriverTracker(),
    experiments: new FixedExperiments(true),
    clock,
    random: new WebCryptoCodeRandom(),
    config,
  });

const errorCodes = (results: readonly E.Either<DomainError, unknown>[]): string[] =>
  results.filter(E.isLeft).map((r) => r.left.code);

describe.each(TEST_DIALECTS)('concurrency on %s', (dialect) => {
  let database: TestDatabase | undefined;
  /** Two instances on one database: two pools on PostgreSQL; PGlite has one session, so the same handle. */
  let instances: readonly DatabaseHandle[];
  let clock: FixedClock;
  let a: UseCases;
  let b: UseCases;

  beforeAll(async () => {
    database = await openTestDatabase(dialect);
    instances = dialect === 'postgres' ? [database.handle, await database.connectAgain()] : [database.handle, database.handle];
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await database?.reset();
    clock = new FixedClock('2026-11-26T10:00:00.000Z');
    a = dispatchOn(instances[0] as DatabaseHandle, clock);
    b = dispatchOn(instances[1] as DatabaseHandle, clock);
  });

  const db = () => (database as TestDatabase).handle.db;
  const outboxRows = async (): Promise<number> => {
    const row = await db()
      .selectFrom('code_dispatch.outbox')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  /** Failed entries counted towards the attempt limit, over every driver and area. */
  const failuresCounted = async (): Promise<number> => {
    const { rows } = await sql<{ n: string }>`
      select coalesce(sum(cardinality(failures)), 0) as n from code_dispatch.driver_attempts`.execute(db());
    return Number(rows[0]?.n);
  };
  const create = async (dispatch: UseCases, id: string, area = 'svo_d'): Promise<Assignment> => {
    const created = await dispatch.createOrder.execute({
      orderId: orderId(id),
      areaId: areaId(area),
      userId: null,
      service: 'ordercommit',
    })();
    if (E.isLeft(created)) throw new Error(`create ${id}: ${created.left.code}`);
    return created.right;
  };

  it('50 drivers entering one code at once: one gets it, 49 get code_already_in_use', async () => {
    const order = await create(a, 'o1');
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 === 0 ? a : b).enterCode.execute({
          areaId: areaId('svo_d'),
          typedCode: order.code,
          driver: driver('park', `d${i}`),
        })(),
      ),
    );
    const winners = results.filter(E.isRight).map((r) => r.right);
    expect(winners).toHaveLength(1);
    expect(winners[0]?.status).toBe('processing');
    expect(errorCodes(results)).toEqual(Array(49).fill('code_already_in_use'));

    const stored = await new KyselyAssignmentRepository(db()).findByOrder(orderId('o1'));
    expect(stored?.driver).toEqual(winners[0]?.driver);
    expect(stored?.changes.map((c) => c.to)).toEqual(['pending', 'processing']);
    expect(await outboxRows()).toBe(1);
    expect(await failuresCounted()).toBe(49);
  });

  it('500 creates at once in an area of 998 codes: every code distinct', async () => {
    expect(codeSpaceSize(SMALL.generator)).toBe(998);
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => create(i % 2 === 0 ? a : b, `o${i}`, 'small')));
    expect(new Set(results.map((r) => r.code)).size).toBe(500);
    const { rows } = await sql<{ n: string; codes: string }>`
      select count(*) as n, count(distinct code) as codes from code_dispatch.assignments where area_id = 'small'`.execute(db());
    expect(rows[0]).toEqual({ n: '500', codes: '500' });
  }, 120_000);

  it('a driver racing two codes holds at most one in processing', async () => {
    const pairs = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => [await create(a, `x${i}`), await create(b, `y${i}`)] as const),
    );
    const results = await Promise.all(
      pairs.flatMap(([x, y], i) => {
        const d = driver('park', `racer${i}`);
        return [
          a.enterCode.execute({ areaId: areaId('svo_d'), typedCode: x.code, driver: d })(),
          b.enterCode.execute({ areaId: areaId('svo_d'), typedCode: y.code, driver: d })(),
        ];
      }),
    );
    for (let i = 0; i < 20; i++) {
      const pair = [results[2 * i], results[2 * i + 1]] as E.Either<DomainError, Assignment>[];
      expect(pair.filter(E.isRight)).toHaveLength(1);
      expect(errorCodes(pair)).toEqual(['driver_has_active_assignment']);
    }
    const { rows } = await sql<{ park_db_id: string; driver_id: string; n: string }>`
      select park_db_id, driver_id, count(*) as n from code_dispatch.assignments
      where status = 'processing' group by park_db_id, driver_id having count(*) > 1`.execute(db());
    expect(rows).toEqual([]);
    expect(await outboxRows()).toBe(20);
  });

  it('sweeps of two instances at once never move a record twice', async () => {
    const orders = await Promise.all(Array.from({ length: 100 }, (_, i) => create(i % 2 === 0 ? a : b, `s${i}`)));
    clock.advanceSeconds(10);
    const entered = await Promise.all(
      orders
        .slice(0, 30)
        .map((o, i) => a.enterCode.execute({ areaId: areaId('svo_d'), typedCode: o.code, driver: driver('park', `d${i}`) })()),
    );
    expect(entered.every(E.isRight)).toBe(true);
    clock.advanceSeconds(1800); // past expiry and every processing timeout

    const reports = [];
    for (let round = 0; round < 2; round++) {
      const run = await Promise.all([a.sweep.execute()(), b.sweep.execute()(), a.sweep.execute()(), b.sweep.execute()()]);
      expect(errorCodes(run)).toEqual([]);
      reports.push(...run.filter(E.isRight).map((r) => r.right));
    }
    expect(reports.reduce((n, r) => n + r.timedOut, 0)).toBe(30);

    const repo = new KyselyAssignmentRepository(db());
    for (const [i, o] of orders.entries()) {
      const stored = (await repo.findByOrder(o.orderId)) as Assignment;
      const moves = stored.changes.map((c) => `${c.to}${c.errorCode ? `(${c.errorCode})` : ''}`);
      expect(moves).toEqual(
        i < 30 ? ['pending', 'processing', 'error(processing_timeout)', 'error(expired)'] : ['pending', 'error(expired)'],
      );
      expect(stored.version).toBe(stored.changes.length);
    }
  }, 120_000);
});
