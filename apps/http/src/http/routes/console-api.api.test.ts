import { codeSpaceSize, DEFAULT_GENERATOR } from '@codedispatch/core';
import type { ClosableEventSink, OutboxEvent } from '@codedispatch/processing-queue';
import {
  asDriver,
  createOrder,
  createStorage,
  enterCode,
  expectStatus,
  GATEWAY_TOKEN,
  newDriver,
  newOrderId,
  operator,
  RecordingSink,
  service,
  startInstance,
  STORAGES,
  testDocument,
  unissuedCode,
  viaGateway,
  type Instance,
  type TestStorage,
} from '../../__tests__/harness';

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A sink that refuses while `failing` (dead letters with max_attempts 1), and keeps what it was given. */
class SwitchableSink implements ClosableEventSink {
  failing = true;
  readonly delivered: OutboxEvent[] = [];
  async deliver(event: OutboxEvent): Promise<void> {
    if (this.failing) throw new Error('webhook answered 500');
    this.delivered.push(event);
  }
  async close(): Promise<void> {}
}

const until = async (check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe.each(STORAGES)('operations endpoints on %s', (kind) => {
  let storage: TestStorage;
  let inst: Instance;
  beforeAll(async () => {
    storage = await createStorage(kind);
    inst = await startInstance({ database: await storage.open(), sink: new RecordingSink() });
  });
  afterAll(async () => {
    await inst.close();
    await storage.close();
  });

  describe('operator access', () => {
    it('answers 401 without credentials or with an unknown token, 403 to every other valid credential', async () => {
      const none = await expectStatus(inst.get('/v1/ops/areas'), 401);
      expect(none.body.code).toBe('unauthorized');
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      expect((await expectStatus(inst.get('/v1/ops/config').set(operator('not-a-token')), 401)).body.code).toBe('unauthorized');
      const refused = [
        service(),
        await asDriver(newDriver()),
        viaGateway(newDriver()),
        { Authorization: `Bearer ${GATEWAY_TOKEN}` },
      ];
      for (const credentials of refused) {
        const res = await expectStatus(inst.get('/v1/ops/config').set(credentials), 403);
        expect(res.body.code).toBe('forbidden');
      }
      await expectStatus(inst.post('/v1/ops/events/redrive').set(service()), 403);
    });

    it('refuses the operator token on service and driver endpoints (403)', async () => {
      await expectStatus(inst.get(`/v1/assignments/${newOrderId()}`).set(operator()), 403);
      const res = await inst.post('/v1/order/assign').set(operator()).send({ area_id: 'svo_d', code: '123456' });
      expect(res.status).toBe(403);
    });
  });

  describe('GET /v1/ops/areas', () => {
    it('summarises every configured area in the document order, with the tallied refusals', async () => {
      const order = await createOrder(inst);
      const anna = newDriver();
      await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
      await expectStatus(enterCode(inst, newDriver(), 'svo_d', unissuedCode(1)), 404);
      await expectStatus(enterCode(inst, newDriver(), 'svo_d', unissuedCode(2)), 404);
      await expectStatus(enterCode(inst, newDriver(), 'made_up_area', unissuedCode(3)), 404);
      await inst.flushTally();

      const res = await expectStatus(inst.get('/v1/ops/areas').set(operator()), 200);
      expect(res.body.generated_at).toMatch(ISO_MS);
      expect(res.body.bucket_s).toBe(60);
      const areas = res.body.areas as { area_id: string; [k: string]: unknown }[];
      expect(areas.map((a) => a.area_id)).toEqual(Object.keys((testDocument().areas as object) ?? {}));
      const svo = areas.find((a) => a.area_id === 'svo_d') as unknown as {
        enabled: boolean;
        code_space: { size: number; taken: number; use: number };
        now: { pending: number; processing: number };
        last_15_min: { entries: number; errors: Record<string, number>; entry_to_assigned_ms: { p50: number | null } };
        series: { at: string; entries: number; errors: number }[];
      };
      expect(svo.enabled).toBe(true);
      expect(svo.code_space.size).toBe(codeSpaceSize(DEFAULT_GENERATOR));
      expect(svo.code_space.taken).toBeGreaterThanOrEqual(1);
      expect(svo.code_space.use).toBeCloseTo(svo.code_space.taken / codeSpaceSize(DEFAULT_GENERATOR), 6);
      expect(svo.now.processing).toBeGreaterThanOrEqual(1);
      expect(svo.last_15_min.entries).toBeGreaterThanOrEqual(1);
      expect(svo.last_15_min.errors.code_not_found).toBe(2);
      expect(svo.series).toHaveLength(60);
      expect(svo.series.at(-1)?.errors).toBeGreaterThanOrEqual(2);
      const closed = areas.find((a) => a.area_id === 'closed') as unknown as {
        enabled: boolean;
        last_15_min: { entries: number; entry_to_assigned_ms: { count: number; p50: null; p99: null } };
      };
      expect(closed.enabled).toBe(false);
      expect(closed.last_15_min.entry_to_assigned_ms).toEqual({ count: 0, p50: null, p99: null });
      expect(areas.some((a) => a.area_id === 'made_up_area')).toBe(false);
    });

    it('counts too_many_attempts answers as attempt-limit refusals of their area', async () => {
      const guesser = newDriver();
      await expectStatus(enterCode(inst, guesser, 'strict', unissuedCode(11)), 404);
      await expectStatus(enterCode(inst, guesser, 'strict', unissuedCode(12)), 404);
      await expectStatus(enterCode(inst, guesser, 'strict', unissuedCode(13)), 429);
      await inst.flushTally();
      const res = await expectStatus(inst.get('/v1/ops/areas?window_min=15').set(operator()), 200);
      const strict = (
        res.body.areas as {
          area_id: string;
          last_15_min: Record<string, unknown>;
          series: { attempt_limit_refusals: number }[];
        }[]
      ).find((a) => a.area_id === 'strict');
      expect(strict?.last_15_min).toMatchObject({
        attempt_limit_refusals: 1,
        errors: { code_not_found: 2, too_many_attempts: 1 },
      });
      expect(strict?.series.at(-1)?.attempt_limit_refusals).toBe(1);
    });

    it('takes window_min from 15 to 180, and refuses anything else naming the field', async () => {
      const res = await expectStatus(inst.get('/v1/ops/areas?window_min=15').set(operator()), 200);
      expect(res.body.areas[0].series).toHaveLength(15);
      for (const bad of ['14', '181', 'abc', '-1', '20.5']) {
        const refused = await expectStatus(inst.get(`/v1/ops/areas?window_min=${bad}`).set(operator()), 400);
        expect(refused.body.errors).toEqual([{ path: 'window_min', message: expect.any(String) }]);
      }
    });
  });

  describe('GET /v1/ops/orders/{order_id}', () => {
    it("answers the record with its change log and the order's outbox events", async () => {
      const order = await createOrder(inst);
      await expectStatus(enterCode(inst, newDriver(), 'svo_d', order.code), 200);
      await until(async () => {
        const r = await inst.get(`/v1/ops/orders/${order.order_id}`).set(operator());
        return r.body.events?.[0]?.delivered_at !== null;
      }, 'the event delivered');
      const res = await expectStatus(inst.get(`/v1/ops/orders/${order.order_id}`).set(operator()), 200);
      const record = await expectStatus(inst.get(`/v1/assignments/${order.order_id}`).set(service()), 200);
      expect(res.body.assignment).toEqual(record.body);
      expect(res.body.events).toEqual([
        {
          event_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          type: 'code_dispatch.code_entered',
          created_at: expect.stringMatching(ISO_MS),
          attempts: 1,
          delivered_at: expect.stringMatching(ISO_MS),
          dead_at: null,
          last_error: null,
          next_attempt_at: expect.stringMatching(ISO_MS),
        },
      ]);
    });

    it('answers 404 assignment_not_found for an unknown order and 400 naming order_id for an impossible one', async () => {
      const unknown = await expectStatus(inst.get(`/v1/ops/orders/${newOrderId()}`).set(operator()), 404);
      expect(unknown.body.code).toBe('assignment_not_found');
      const bad = await expectStatus(inst.get(`/v1/ops/orders/${'x'.repeat(200)}`).set(operator()), 400);
      expect(bad.body.errors).toEqual([{ path: 'order_id', message: expect.any(String) }]);
    });
  });

  describe('GET /v1/ops/orders?area_id&code', () => {
    it('finds the active record by the code as typed, separators ignored', async () => {
      const order = await createOrder(inst);
      // Typed as a phone keyboard may: an en dash, a middle dot and a zero-width space (the core folds them all).
      const typed = `${order.code.slice(0, 3)}–${order.code.slice(3, 4)}·${order.code.slice(4, 5)}\u200b${order.code.slice(5)}`;
      const res = await expectStatus(inst.get('/v1/ops/orders').query({ area_id: 'svo_d', code: typed }).set(operator()), 200);
      expect(res.body.orders).toEqual([
        {
          order_id: order.order_id,
          area_id: 'svo_d',
          code: order.code,
          code_display: order.code_display,
          status: 'pending',
          error_code: null,
          updated_at: expect.stringMatching(ISO_MS),
        },
      ]);
      const other = await expectStatus(
        inst.get('/v1/ops/orders').query({ area_id: 'zenit', code: order.code }).set(operator()),
        200,
      );
      expect(other.body.orders).toEqual([]);
    });

    it('requires both area_id and code (400 naming each)', async () => {
      const noCode = await expectStatus(inst.get('/v1/ops/orders').query({ area_id: 'svo_d' }).set(operator()), 400);
      expect(noCode.body.errors).toEqual([{ path: 'code', message: 'required' }]);
      const noArea = await expectStatus(inst.get('/v1/ops/orders').query({ code: '123' }).set(operator()), 400);
      expect(noArea.body.errors).toEqual([{ path: 'area_id', message: 'required' }]);
    });
  });

  describe('GET /v1/ops/config', () => {
    it('answers the origin, version and load time, and the last reload once one was tried', async () => {
      const first = await expectStatus(inst.get('/v1/ops/config').set(operator()), 200);
      expect(first.body).toEqual({
        origin: { kind: 'demo' },
        version: expect.stringMatching(/^sha256:[0-9a-f]{16}$/),
        loaded_at: expect.stringMatching(ISO_MS),
        last_reload: null,
        applies_at_restart: [],
      });
      inst.setDocument({ ...testDocument(), processing_enabled: 'maybe' });
      const refused = await expectStatus(inst.get('/v1/ops/config').set(operator()), 200);
      expect(refused.body.version).toBe(first.body.version);
      expect(refused.body.last_reload).toEqual({
        at: expect.stringMatching(ISO_MS),
        trigger: 'test',
        outcome: 'refused',
        issues: [{ path: 'processing_enabled', message: expect.any(String) }],
      });
      inst.setDocument(testDocument());
      const applied = await expectStatus(inst.get('/v1/ops/config').set(operator()), 200);
      expect(applied.body.last_reload).toMatchObject({ outcome: 'applied', issues: [] });
    });
  });
});

describe.each(STORAGES)('dead letters and their redrive on %s', (kind) => {
  let storage: TestStorage;
  let inst: Instance;
  const sink = new SwitchableSink();
  beforeAll(async () => {
    storage = await createStorage(kind);
    inst = await startInstance({
      database: await storage.open(),
      sink,
      document: testDocument({ processing_queue: { sink: 'embedded', max_attempts: 1 } }),
    });
  });
  afterAll(async () => {
    await inst.close();
    await storage.close();
  });

  const events = () => inst.get('/v1/ops/events').set(operator());

  it('lists the dead letters, redrives one (logged with the operator) and wakes the relay; then all', async () => {
    const orders = [await createOrder(inst), await createOrder(inst)];
    for (const o of orders) await expectStatus(enterCode(inst, newDriver(), 'svo_d', o.code), 200);
    await until(async () => (await events()).body.dead === 2, 'two dead letters');
    const listed = await expectStatus(events(), 200);
    expect(listed.body).toMatchObject({ depth: 0, oldest_age_s: 0, dead: 2 });
    expect(listed.body.dead_letters).toHaveLength(2);
    expect(listed.body.dead_letters[0]).toEqual({
      event_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      order_id: orders[1]?.order_id,
      type: 'code_dispatch.code_entered',
      attempts: 1,
      created_at: expect.stringMatching(ISO_MS),
      dead_at: expect.stringMatching(ISO_MS),
      last_error: expect.stringContaining('webhook answered 500'),
    });
    const limited = await expectStatus(inst.get('/v1/ops/events?limit=1').set(operator()), 200);
    expect(limited.body.dead_letters).toHaveLength(1);
    expect((await expectStatus(inst.get('/v1/ops/events?limit=0').set(operator()), 400)).body.errors[0].path).toBe('limit');

    sink.failing = false;
    const eventId = listed.body.dead_letters[1].event_id as string;
    const one = await expectStatus(inst.post(`/v1/ops/events/${eventId}/redrive`).set(operator()), 200);
    expect(one.body).toEqual({ redriven: 1 });
    expect(inst.logs.lines.find((l) => l.message === 'dead letters redriven')).toMatchObject({
      operator: 'alice',
      event_ids: [eventId],
      count: 1,
    });
    await until(async () => sink.delivered.some((e) => e.eventId === eventId), 'the redriven event delivered');
    const again = await expectStatus(inst.post(`/v1/ops/events/${eventId}/redrive`).set(operator()), 404);
    expect(again.body.code).toBe('not_found');

    const all = await expectStatus(inst.post('/v1/ops/events/redrive').set(operator()), 200);
    expect(all.body).toEqual({ redriven: 1 });
    // Redrive-all names the events it put back, too.
    expect(inst.logs.lines.filter((l) => l.message === 'dead letters redriven').at(-1)).toMatchObject({
      operator: 'alice',
      event_ids: [listed.body.dead_letters[0].event_id],
      count: 1,
    });
    const logged = inst.logs.lines.filter((l) => l.message === 'dead letters redriven').length;
    await until(async () => (await events()).body.dead === 0 && sink.delivered.length === 2, 'every event delivered');
    expect((await expectStatus(inst.post('/v1/ops/events/redrive').set(operator()), 200)).body).toEqual({ redriven: 0 });
    // A redrive that found nothing changed nothing: not logged as one.
    expect(inst.logs.lines.filter((l) => l.message === 'dead letters redriven')).toHaveLength(logged);
  });

  it('refuses a malformed event id naming event_id', async () => {
    const res = await expectStatus(inst.post('/v1/ops/events/not-a-uuid/redrive').set(operator()), 400);
    expect(res.body.errors).toEqual([{ path: 'event_id', message: expect.any(String) }]);
  });
});

describe('operations endpoints without a database', () => {
  it('answer the configuration, and 503 for what needs storage', async () => {
    const inst = await startInstance();
    try {
      await expectStatus(inst.get('/v1/ops/config').set(operator()), 200);
      const res = await expectStatus(inst.get('/v1/ops/areas').set(operator()), 503);
      expect(res.body.code).toBe('storage_unavailable');
    } finally {
      await inst.close();
    }
  });
});
