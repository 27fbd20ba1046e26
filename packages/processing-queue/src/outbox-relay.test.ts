import { sql } from 'kysely';
import type { ProcessingEventPayload } from '@codedispatch/postgres';
import type { EventSink, OutboxEvent } from './event';
import { backoffDelayMs, OutboxRelay, type OutboxRelayOptions, type RelayNotice } from './outbox-relay';
import { verifyWebhookSignature, WebhookSink } from './webhook-sink';
import {
  DIALECTS,
  insertEvents,
  makeEvent,
  mortal,
  OPEN_TIMEOUT_MS,
  openTestDatabase,
  outboxRows,
  startReceiver,
  until,
  type TestDatabase,
} from './__tests__/support';

const SECRET = 'webhook-secret';

/** Records what it is given; fails while `fail(event)` says so. */
class RecordingSink implements EventSink {
  readonly delivered: OutboxEvent[] = [];
  readonly calls: OutboxEvent[] = [];
  constructor(private readonly fail: (event: OutboxEvent) => boolean = () => false) {}
  async deliver(event: OutboxEvent): Promise<void> {
    this.calls.push(event);
    if (this.fail(event)) throw new Error(`refused ${event.eventId}`);
    this.delivered.push(event);
  }
}

const fast = { backoff: { baseMs: 5, maxMs: 20 }, pollIntervalMs: 25, maxAttempts: 10 } as const;

describe.each(DIALECTS)('OutboxRelay on %s', (kind) => {
  let database: TestDatabase;
  const relays: OutboxRelay[] = [];
  const relay = (options: Partial<OutboxRelayOptions> & Pick<OutboxRelayOptions, 'sink'>): OutboxRelay => {
    const r = new OutboxRelay({ store: database.handle, ...fast, ...options });
    relays.push(r);
    return r;
  };

  beforeAll(async () => {
    database = await openTestDatabase(kind);
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => {
    await database.close();
  });
  beforeEach(async () => {
    await database.handle.db.deleteFrom('code_dispatch.outbox').execute();
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop(1_000)));
  });

  it('delivers through a webhook that fails the first attempts: signed, acknowledged once per event, attempts counted', async () => {
    const failFirst = 3;
    const receiver = await startReceiver((n) => (n <= failFirst ? 500 : 204));
    try {
      const events = [makeEvent('o1'), makeEvent('o2')];
      await insertEvents(database.handle.db, events);
      await relay({ sink: new WebhookSink({ url: receiver.url, secret: SECRET, timeoutMs: 2_000 }) }).start();

      await until(async () => (await outboxRows(database.handle.db)).every((r) => r.delivered));

      for (const request of receiver.requests) {
        expect(verifyWebhookSignature(request.body, request.headers['x-codedispatch-signature'] as string, SECRET)).toBe(true);
        expect(request.headers['content-type']).toBe('application/json');
        const body = JSON.parse(request.body.toString('utf8')) as ProcessingEventPayload;
        expect(request.headers['x-codedispatch-event-id']).toBe(body.event_id);
      }
      const acknowledged = receiver.requests
        .filter((r) => r.status === 204)
        .map((r) => JSON.parse(r.body.toString()) as ProcessingEventPayload);
      expect(acknowledged.map((e) => e.event_id).sort()).toEqual(events.map((e) => e.event_id).sort());
      expect(acknowledged).toEqual(expect.arrayContaining(events));
      expect(receiver.requests).toHaveLength(events.length + failFirst);
      const rows = await outboxRows(database.handle.db);
      expect(rows.reduce((sum, r) => sum + r.attempts, 0)).toBe(events.length + failFirst);
      expect(rows.some((r) => r.last_error === 'WebhookRejected: HTTP 500')).toBe(true);
    } finally {
      await receiver.close();
    }
  });

  it('dead-letters after maxAttempts, keeps the row visible, and redrive delivers it', async () => {
    let down = true;
    const sink = new RecordingSink(() => down);
    const [event] = [makeEvent('o-dead')];
    await insertEvents(database.handle.db, [event!]);
    const r = relay({ sink, maxAttempts: 3 });

    for (let i = 0; i < 10; i++) {
      await r.drainOnce();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(sink.calls).toHaveLength(3);
    expect(await outboxRows(database.handle.db)).toEqual([
      { event_id: event!.event_id, attempts: 3, delivered: false, dead: true, last_error: `Error: refused ${event!.event_id}` },
    ]);
    expect(await r.stats()).toEqual({ depth: 0, oldestAgeSeconds: 0, dead: 1 });

    down = false;
    expect(await r.redrive(['not-a-uuid'])).toEqual([]);
    expect(await r.redrive([event!.event_id])).toEqual([event!.event_id]);
    expect(await r.drainOnce()).toEqual({ claimed: 1, delivered: 1, failed: 0 });
    expect(sink.delivered.map((e) => e.eventId)).toEqual([event!.event_id]);
    expect(sink.delivered[0]!.attempts).toBe(0);
    expect((await outboxRows(database.handle.db))[0]).toMatchObject({ attempts: 1, delivered: true, dead: false });
    expect(await r.redrive()).toEqual([]);
  });

  it('delivers the events of one order in order, and hands the sink the stored payload', async () => {
    const sink = new RecordingSink();
    const events = [makeEvent('o-a', 1), makeEvent('o-b', 1), makeEvent('o-a', 2), makeEvent('o-a', 3)];
    await insertEvents(database.handle.db, events);
    expect(await relay({ sink }).drainOnce()).toEqual({ claimed: 4, delivered: 4, failed: 0 });
    expect(sink.delivered.filter((e) => e.payload.order_id === 'o-a').map((e) => e.payload.attempt)).toEqual([1, 2, 3]);
    expect(sink.delivered.map((e) => e.payload)).toEqual(expect.arrayContaining(events));
    expect(sink.delivered.every((e) => e.eventId === e.payload.event_id)).toBe(true);
  });

  it('loses nothing when a relay dies between claim and delivery: another takes over after the lease', async () => {
    const events = [makeEvent('c1'), makeEvent('c2'), makeEvent('c3')];
    await insertEvents(database.handle.db, events);

    // Instance 1 claims, its sink hangs, then the process dies: it writes nothing more.
    const instance1 = mortal(database.handle.db);
    let release: (() => void) | undefined;
    const hanging: EventSink = { deliver: () => new Promise((_, reject) => (release = () => reject(new Error('crashed')))) };
    const crashed = new OutboxRelay({
      store: { ...database.handle, db: instance1.db },
      sink: hanging,
      ...fast,
      leaseMs: 800,
      deliveryTimeoutMs: 700,
    });
    const claimedThenDied = crashed.drainOnce();
    await until(() => release !== undefined);
    instance1.kill();
    release!();
    await expect(claimedThenDied).rejects.toThrow('the process died');
    expect((await outboxRows(database.handle.db)).every((r) => !r.delivered && r.attempts === 1)).toBe(true);

    // Instance 2: nothing while the lease holds, everything once it has expired.
    const sink = new RecordingSink();
    const survivor = relay({ sink, leaseMs: 5_000, deliveryTimeoutMs: 1_000 });
    expect((await survivor.drainOnce()).claimed).toBe(0);
    await survivor.start();
    await until(async () => (await outboxRows(database.handle.db)).every((r) => r.delivered), 5_000);
    expect(sink.delivered.map((e) => e.eventId).sort()).toEqual(events.map((e) => e.event_id).sort());
    // The interrupted attempt counts, and says what happened to it.
    expect(
      (await outboxRows(database.handle.db)).every((r) => r.attempts === 2 && r.last_error!.startsWith('lease expired')),
    ).toBe(true);
  });

  it('dead-letters an event whose attempts all ended with their relay gone (a crash loop)', async () => {
    const [event] = [makeEvent('poison')];
    await insertEvents(database.handle.db, [event!]);
    await sql`update code_dispatch.outbox set attempts = 3, locked_until = now() - interval '1 second'`.execute(
      database.handle.db,
    );
    const sink = new RecordingSink();
    expect(await relay({ sink, maxAttempts: 3 }).drainOnce()).toEqual({ claimed: 1, delivered: 0, failed: 1 });
    expect(sink.calls).toHaveLength(0);
    expect(await outboxRows(database.handle.db)).toEqual([
      {
        event_id: event!.event_id,
        attempts: 3,
        delivered: false,
        dead: true,
        last_error: expect.stringMatching(/^lease expired/),
      },
    ]);
  });

  it('hands back, uncounted, what it could not start within the lease', async () => {
    const events = [makeEvent('slow', 1), makeEvent('slow', 2), makeEvent('slow', 3)];
    await insertEvents(database.handle.db, events);
    const slow: EventSink = { deliver: () => new Promise((resolve) => setTimeout(resolve, 400)) };
    // lease 2 000 ms, timeout 500 ms: deliveries may start during the first 750 ms only (at ~0, ~400, not ~800)
    const r = relay({ sink: slow, leaseMs: 2_000, deliveryTimeoutMs: 500 });
    expect(await r.drainOnce()).toEqual({ claimed: 3, delivered: 2, failed: 0 });
    expect((await outboxRows(database.handle.db)).map((row) => [row.delivered, row.attempts])).toEqual([
      [true, 1],
      [true, 1],
      [false, 0],
    ]);
    expect(await r.drainOnce()).toEqual({ claimed: 1, delivered: 1, failed: 0 }); // due again at once
  });

  it('two relays on one database deliver 200 events exactly once each', async () => {
    const receiver = await startReceiver(() => 200);
    const other = await database.connectAgain(); // a second instance (on PGlite: the one session)
    try {
      const events = Array.from({ length: 200 }, (_, i) => makeEvent(`order-${i % 70}`, Math.floor(i / 70) + 1));
      await insertEvents(database.handle.db, events, false);
      const sink = new WebhookSink({ url: receiver.url, secret: SECRET });
      const byRelay = [0, 0];
      const counting = (i: number) => (n: RelayNotice) => n.kind === 'delivered' && byRelay[i]!++;
      const one = relay({ sink, batchSize: 10, onNotice: counting(0) });
      const two = relay({ sink, batchSize: 10, store: other, onNotice: counting(1) });
      await Promise.all([one.start(), two.start()]);

      await until(async () => (await one.stats()).depth === 0, 20_000);
      await Promise.all([one.stop(), two.stop()]);

      const ids = receiver.requests.map((r) => (JSON.parse(r.body.toString()) as ProcessingEventPayload).event_id);
      expect(ids).toHaveLength(200);
      expect(new Set(ids).size).toBe(200);
      expect(byRelay[0]! + byRelay[1]!).toBe(200);
      expect(Math.min(...byRelay)).toBeGreaterThan(0); // both took part
      expect((await outboxRows(database.handle.db)).every((r) => r.delivered && r.attempts === 1)).toBe(true);
    } finally {
      await receiver.close();
    }
  });

  it('once the sink is back after an outage, the events it failed go out at once, not after their grown backoff', async () => {
    let down = true;
    const sink = new RecordingSink(() => down);
    const notices: RelayNotice[] = [];
    // A backoff far beyond the test's time: only the recovery can bring the failed events forward.
    const r = relay({ sink, backoff: { baseMs: 600_000, maxMs: 600_000 }, onNotice: (n) => notices.push(n) });
    const failed = [makeEvent('down-1'), makeEvent('down-2'), makeEvent('down-3')];
    await insertEvents(database.handle.db, failed);
    await r.start();
    await until(() => sink.calls.length >= failed.length);
    expect(sink.delivered).toHaveLength(0);

    down = false;
    const fresh = makeEvent('back');
    await insertEvents(database.handle.db, [fresh]);
    await until(() => sink.delivered.length === failed.length + 1, 5_000);
    expect(notices).toContainEqual({ kind: 'sink_recovered', hastened: failed.length });
    expect(sink.delivered.map((e) => e.payload.order_id).sort()).toEqual(['back', 'down-1', 'down-2', 'down-3']);
  });

  it('does not take one failing event for an outage: the others backed off stay backed off', async () => {
    const sink = new RecordingSink((e) => e.payload.order_id === 'poison');
    const notices: RelayNotice[] = [];
    const r = relay({ sink, backoff: { baseMs: 600_000, maxMs: 600_000 }, onNotice: (n) => notices.push(n) });
    await insertEvents(database.handle.db, [makeEvent('poison')]);
    await r.start();
    await until(() => sink.calls.length >= 1);
    await insertEvents(database.handle.db, [makeEvent('fine')]);
    await until(() => sink.delivered.length === 1);
    expect(notices.some((n) => n.kind === 'sink_recovered')).toBe(false);
    expect(sink.calls.filter((e) => e.payload.order_id === 'poison')).toHaveLength(1);
  });

  it('reports depth, age of the oldest undelivered event, and dead letters', async () => {
    const r = relay({ sink: new RecordingSink() });
    expect(await r.stats()).toEqual({ depth: 0, oldestAgeSeconds: 0, dead: 0 });
    await insertEvents(database.handle.db, [makeEvent('s1'), makeEvent('s2'), makeEvent('s3')], false);
    await sql`update code_dispatch.outbox set created_at = now() - interval '90 seconds' where order_id = 's1'`.execute(
      database.handle.db,
    );
    await database.handle.db
      .updateTable('code_dispatch.outbox')
      .set({ dead_at: sql<Date>`now()` })
      .where('order_id', '=', 's3')
      .execute();

    const stats = await r.stats();
    expect(stats.depth).toBe(2);
    expect(stats.dead).toBe(1);
    expect(stats.oldestAgeSeconds).toBeGreaterThanOrEqual(90);
    expect(stats.oldestAgeSeconds).toBeLessThan(95);

    await r.drainOnce();
    expect(await r.stats()).toEqual({ depth: 0, oldestAgeSeconds: 0, dead: 1 });
    expect(await r.pruneDelivered(0)).toBe(2);
  });

  it('is woken by NOTIFY within 200 ms, without waiting for the poll', async () => {
    const sink = new RecordingSink();
    const r = relay({ sink, pollIntervalMs: 60_000 });
    await r.start();
    await new Promise((resolve) => setTimeout(resolve, 150)); // the first drain is over; now it sleeps

    const silent = makeEvent('w0');
    await insertEvents(database.handle.db, [silent], false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sink.delivered).toHaveLength(0); // no tight loop: only a NOTIFY (or the slow poll) wakes it

    const started = Date.now();
    await insertEvents(database.handle.db, [makeEvent('w1')]);
    await until(() => sink.delivered.length === 2, 2_000, 2);
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('stop() flushes what is due before returning', async () => {
    const sink = new RecordingSink();
    const r = relay({ sink, pollIntervalMs: 60_000 });
    await r.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await insertEvents(database.handle.db, [makeEvent('f1'), makeEvent('f2')], false);
    await r.stop();
    expect(sink.delivered).toHaveLength(2);
  });

  it('stop() is bounded by its timeout when the sink hangs; the lease keeps the rows', async () => {
    const hang: EventSink = { deliver: () => new Promise(() => undefined) };
    await insertEvents(database.handle.db, [makeEvent('h1')]);
    const r = relay({ sink: hang, leaseMs: 60_000, deliveryTimeoutMs: 30_000 });
    await r.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await r.stop(200);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await outboxRows(database.handle.db))[0]).toMatchObject({ delivered: false, attempts: 1 });
    expect((await r.drainOnce()).claimed).toBe(0); // still leased
  });

  it('counts a sink call that outlives deliveryTimeoutMs as failed', async () => {
    const hang: EventSink = { deliver: () => new Promise(() => undefined) };
    await insertEvents(database.handle.db, [makeEvent('t1')]);
    const r = relay({ sink: hang, leaseMs: 1_000, deliveryTimeoutMs: 50 });
    expect(await r.drainOnce()).toEqual({ claimed: 1, delivered: 0, failed: 1 });
    expect((await outboxRows(database.handle.db))[0]).toMatchObject({
      attempts: 1,
      last_error: 'Error: delivery timed out after 50 ms',
    });
  });
});

describe('backoffDelayMs', () => {
  const settings = { baseMs: 1_000, maxMs: 300_000 };
  it.each([
    [1, 500, 1_000],
    [2, 1_000, 2_000],
    [5, 8_000, 16_000],
    [12, 150_000, 300_000],
    [40, 150_000, 300_000],
  ])('attempt %i waits between %i and %i ms', (attempts, low, high) => {
    expect(backoffDelayMs(attempts, settings, () => 0)).toBe(low);
    expect(backoffDelayMs(attempts, settings, () => 0.999999)).toBeLessThanOrEqual(high);
    expect(backoffDelayMs(attempts, settings, () => 0.999999)).toBeGreaterThan(high * 0.99);
  });

  it('refuses a delivery timeout that the lease would not cover', () => {
    expect(
      () =>
        new OutboxRelay({
          store: {} as never,
          sink: new RecordingSink(),
          maxAttempts: 3,
          leaseMs: 1_000,
          deliveryTimeoutMs: 1_000,
        }),
    ).toThrow(RangeError);
  });
});
