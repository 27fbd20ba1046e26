import { createCodeDispatch } from '@codedispatch/core';
import { areaSettings, FixedClock, InMemoryDriverTracker, testConfig } from '@codedispatch/core/testing';
import { openDatabase, postgresStore, type DatabaseHandle, type PostgresStore } from '@codedispatch/postgres';
import type { ClosableEventSink, OutboxEvent } from './event';
import { startWorker, type WorkerEvent } from './worker';
import { processingEventProblems } from './__tests__/support';

/*
 * The background work as an embedder starts it, on their store: the sweep
 * expires a due order, the relay delivers the code-entered event to the
 * sink, and stop() ends both and closes the sink.
 */

const until = async (condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

class CollectingSink implements ClosableEventSink {
  readonly events: OutboxEvent[] = [];
  closed = false;
  async deliver(event: OutboxEvent): Promise<void> {
    this.events.push(event);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

describe('startWorker on an embedded database', () => {
  let handle: DatabaseHandle;
  let store: PostgresStore;
  beforeAll(async () => {
    handle = await openDatabase({ pgliteDataDir: 'memory' });
    store = await postgresStore({ db: handle.db });
    await store.migrate();
  }, 120_000);
  afterAll(() => handle.close());

  it('sweeps, delivers the events, and stops cleanly', async () => {
    const clock = new FixedClock('2026-11-26T10:00:00.000Z');
    const config = testConfig({ areas: [areaSettings('svo_d', { orderExpireS: 60 })] });
    const dispatch = createCodeDispatch({ store, config, tracker: new InMemoryDriverTracker(), clock });
    const sink = new CollectingSink();
    const events: WorkerEvent[] = [];
    const worker = await startWorker({
      dispatch,
      store,
      sink,
      sweepIntervalMs: 20,
      relayPollIntervalMs: 50,
      onEvent: (e) => events.push(e),
    });
    try {
      const entered = await dispatch.createOrder({ orderId: 'entered', areaId: 'svo_d', service: 'orders' });
      const left = await dispatch.createOrder({ orderId: 'left', areaId: 'svo_d', service: 'orders' });
      if (!entered.ok || !left.ok) throw new Error('create failed');
      const moved = await dispatch.enterCode({
        areaId: 'svo_d',
        code: entered.value.assignment.code,
        driver: { parkDbId: 'park1', driverId: 'd1' },
      });
      expect(moved.ok).toBe(true);
      await until(() => sink.events.length === 1);
      expect(sink.events[0]?.payload).toMatchObject({ type: 'code_dispatch.code_entered', order_id: 'entered' });
      // The event as the store writes it is the event of the published schema.
      expect(processingEventProblems(sink.events[0]?.payload)).toEqual([]);

      clock.advanceSeconds(61);
      await until(() => events.some((e) => e.kind === 'swept'));
      // The entered order's processing timed out meanwhile too.
      expect(events).toContainEqual({ kind: 'swept', expired: 1, timedOut: 1 });
      const read = await dispatch.getAssignment('left');
      expect(read.ok && [read.value.status, read.value.errorCode]).toEqual(['error', 'expired']);
    } finally {
      await worker.stop();
    }
    expect(sink.closed).toBe(true);
    const after = await dispatch.createOrder({ orderId: 'after', areaId: 'svo_d', service: 'orders' });
    expect(after.ok).toBe(true);
    clock.advanceSeconds(61);
    await new Promise((r) => setTimeout(r, 150));
    expect(events.filter((e) => e.kind === 'swept')).toHaveLength(1);
    await worker.stop();
  });

  it("wakes the relay on the store's own writes: an event goes out at once, not at the next poll", async () => {
    const dispatch = createCodeDispatch({ store, config: testConfig(), tracker: new InMemoryDriverTracker() });
    const sink = new CollectingSink();
    // A poll far beyond the test's timeout: only the store's signal can deliver in time.
    const worker = await startWorker({ dispatch, store, sink, relayPollIntervalMs: 600_000 });
    try {
      await new Promise((r) => setTimeout(r, 100)); // the relay's first look at the outbox is over
      const created = await dispatch.createOrder({ orderId: 'woken', areaId: 'svo_d', service: 'orders' });
      if (!created.ok) throw new Error('create failed');
      const entered = await dispatch.enterCode({
        areaId: 'svo_d',
        code: created.value.assignment.code,
        driver: { parkDbId: 'park1', driverId: 'd-woken' },
      });
      expect(entered.ok).toBe(true);
      await until(() => sink.events.some((e) => e.payload.order_id === 'woken'), 5_000);
    } finally {
      await worker.stop();
    }
  });

  it("prunes the entry-outcome tally's minutes past retention at housekeeping", async () => {
    const clock = new FixedClock('2026-11-26T10:00:00.000Z');
    const minute = (offsetMin: number): Date => new Date(clock.now().getTime() + offsetMin * 60_000);
    await store.operations.recordEntryOutcomes([
      { areaId: 'svo_d', minute: minute(-25 * 60), code: 'code_not_found', count: 3 },
      { areaId: 'svo_d', minute: minute(-23 * 60), code: 'code_not_found', count: 1 },
    ]);
    const kept = () =>
      store.db
        .selectFrom('code_dispatch.entry_outcomes')
        .select('minute')
        .execute()
        .then((rows) => rows.map((r) => r.minute));
    const worker = await startWorker({
      dispatch: { sweep: async () => ({ ok: true, value: { expired: 0, timedOut: 0 } }) },
      store,
      clock,
      entryOutcomesRetentionS: 86_400,
    });
    try {
      await until(async () => (await kept()).length === 1);
      expect(await kept()).toEqual([minute(-23 * 60)]);
    } finally {
      await worker.stop();
    }
  });

  it('runs housekeeping at start and survives its failure; sweeps only without a store', async () => {
    const events: WorkerEvent[] = [];
    let sweeps = 0;
    const failing = {
      db: store.db,
      repository: {
        pruneFailedAttempts: async (): Promise<number> => {
          throw new Error('database down');
        },
      },
    };
    const worker = await startWorker({
      dispatch: {
        sweep: async () => {
          sweeps++;
          return { ok: true, value: { expired: 0, timedOut: 0 } };
        },
      },
      store: failing,
      sweepIntervalMs: 10,
      onEvent: (e) => events.push(e),
    });
    try {
      await until(() => sweeps >= 3);
      expect(events).toContainEqual({ kind: 'housekeeping_failed', error: new Error('database down') });
      expect(worker.relay).toBeNull();
    } finally {
      await worker.stop();
    }
    const after = sweeps;
    await new Promise((r) => setTimeout(r, 50));
    expect(sweeps).toBe(after);
  });
});
