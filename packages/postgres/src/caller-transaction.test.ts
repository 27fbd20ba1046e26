import * as E from 'fp-ts/Either';
import { sql, type Kysely } from 'kysely';
import { areaId, driver, orderId, WebCryptoCodeRandom, type UseCases } from '@codedispatch/core';
import { createUseCases } from '@codedispatch/core/adapter';
import {
  areaSettings,
  FixedClock,
  FixedExperiments,
  InMemoryDriverTracker,
  StaticConfigSource,
  testConfig,
} from '@codedispatch/core/testing';
import type { Database } from './database';
import { KyselyAssignmentRepository } from './kysely-assignment-repository';
import { OPEN_TIMEOUT_MS, openTestDatabase, TEST_DIALECTS, type TestDatabase } from './testing/test-database';

/*
 * The use cases run on the embedder's own Kysely transaction: their writes
 * commit or roll back with the embedder's, and no answer of the domain aborts
 * that transaction (a statement refused by a unique index runs in a
 * savepoint), so every answer is the one given outside a transaction.
 */

const config = new StaticConfigSource(testConfig({ areas: [areaSettings('svo_d')] }));
const SVO = areaId('svo_d');
const D1 = driver('park1', 'd1');
const D2 = driver('park1', 'd2');

const dispatchOn = (db: Kysely<Database>, clock: FixedClock): UseCases =>
  createUseCases({
    repository: new KyselyAssignmentRepository(db),
    tracker: new InMemoryDriverTracker(),
    experiments: new FixedExperiments(true),
    clock,
    random: new WebCryptoCodeRandom(),
    config,
  });

/** What an answer says, without what differs from run to run (codes, times). */
const gist = (result: E.Either<{ readonly code: string }, { readonly status?: string }>): string =>
  E.isLeft(result) ? `error ${result.left.code}` : `ok ${result.right.status ?? ''}`;

describe.each(TEST_DIALECTS)("the embedder's transaction on %s", (dialect) => {
  let database: TestDatabase | undefined;
  let clock: FixedClock;
  const db = () => (database as TestDatabase).handle.db;

  beforeAll(async () => {
    database = await openTestDatabase(dialect);
    await sql`create table if not exists public.orders (id text primary key)`.execute(db());
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await database?.reset();
    await sql`truncate public.orders`.execute(db());
    clock = new FixedClock('2026-11-26T10:00:00.000Z');
  });

  /** The embedder's own row, written in the same transaction. */
  const insertOrder = (trx: Kysely<Database>, id: string) => sql`insert into public.orders (id) values (${id})`.execute(trx);
  const orderRows = async () => (await sql<{ id: string }>`select id from public.orders order by id`.execute(db())).rows;

  it('commits the order and its code together, or neither', async () => {
    await db()
      .transaction()
      .execute(async (trx) => {
        await insertOrder(trx, 'kept');
        const created = await dispatchOn(trx, clock).createOrder.execute({
          orderId: orderId('kept'),
          areaId: SVO,
          userId: null,
          service: 'orders',
        })();
        expect(E.isRight(created)).toBe(true);
      });
    await expect(
      db()
        .transaction()
        .execute(async (trx) => {
          await insertOrder(trx, 'dropped');
          await dispatchOn(trx, clock).createOrder.execute({
            orderId: orderId('dropped'),
            areaId: SVO,
            userId: null,
            service: 'orders',
          })();
          throw new Error('the order system changed its mind');
        }),
    ).rejects.toThrow('changed its mind');
    expect(await orderRows()).toEqual([{ id: 'kept' }]);
    const outside = dispatchOn(db(), clock);
    expect(E.isRight(await outside.getAssignment.execute(orderId('kept'))())).toBe(true);
    expect(await outside.getAssignment.execute(orderId('dropped'))()).toEqual(
      E.left(expect.objectContaining({ code: 'assignment_not_found' })),
    );
  });

  it('answers as outside a transaction, and the transaction goes on, when a unique index refuses a write', async () => {
    /**
     * A driver who holds a processing order enters a second code (refused by
     * the one-processing-per-driver rule); another driver enters the taken
     * code, then the free one.
     */
    const scenario = async (dispatch: UseCases, prefix: string): Promise<string[]> => {
      const create = (id: string) =>
        dispatch.createOrder.execute({ orderId: orderId(`${prefix}${id}`), areaId: SVO, userId: null, service: 'orders' })();
      const first = await create('a');
      const second = await create('b');
      if (E.isLeft(first) || E.isLeft(second)) throw new Error('create failed');
      const enter = (code: string, d = D1) => dispatch.enterCode.execute({ areaId: SVO, typedCode: code, driver: d })();
      return [
        gist(await enter(first.right.code)),
        gist(await enter(second.right.code)),
        gist(await enter(first.right.code, D2)),
        gist(await enter(second.right.code, D2)),
      ];
    };
    const outside = await scenario(dispatchOn(db(), clock), 'out-');
    await database?.reset();
    let inside: string[] = [];
    await db()
      .transaction()
      .execute(async (trx) => {
        inside = await scenario(dispatchOn(trx, clock), 'in-');
        // The transaction was not aborted by any of those answers: the embedder's write still goes through.
        await insertOrder(trx, 'after');
      });
    expect(outside).toEqual([
      'ok processing',
      'error driver_has_active_assignment',
      'error code_already_in_use',
      'ok processing',
    ]);
    expect(inside).toEqual(outside);
    expect(await orderRows()).toEqual([{ id: 'after' }]);
  });

  it('keeps the transaction usable after a transition refused by the one-processing-per-driver index', async () => {
    const repository = new KyselyAssignmentRepository(db());
    const dispatch = dispatchOn(db(), clock);
    const ids = ['x', 'y'].map((id) => orderId(id));
    for (const id of ids) await dispatch.createOrder.execute({ orderId: id, areaId: SVO, userId: null, service: 'orders' })();
    const [x, y] = await Promise.all(ids.map((id) => repository.findByOrder(id)));
    if (x === null || y === null || x === undefined || y === undefined) throw new Error('not created');
    expect(gist(await dispatch.enterCode.execute({ areaId: SVO, typedCode: x.code, driver: D1 })())).toBe('ok processing');
    await db()
      .transaction()
      .execute(async (trx) => {
        const inTrx = new KyselyAssignmentRepository(trx);
        const outcome = await inTrx.applyTransition({
          expectedVersion: y.version,
          next: { ...y, status: 'processing', driver: D1, version: y.version + 1 },
          change: { at: clock.now(), from: 'pending', to: 'processing', actor: { kind: 'driver', driver: D1 } },
        });
        expect(outcome).toEqual({ kind: 'driver_has_processing' });
        await insertOrder(trx, 'still-here');
      });
    expect(await orderRows()).toEqual([{ id: 'still-here' }]);
  });
});
