import {
  createOrder,
  createStorage,
  enterCode,
  expectStatus,
  lookup,
  newDriver,
  newOrderId,
  PROCESSING_TOKEN,
  record,
  RecordingSink,
  service,
  startInstance,
  STORAGES,
  type Instance,
  type TestStorage,
} from '../../__tests__/harness';

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe.each(STORAGES)('service endpoints on %s', (kind) => {
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

  describe('POST /v1/drivers-lookup', () => {
    it('acquires the driver: assigned, with the candidate and due = now + driver_due_offset_s', async () => {
      const order = await createOrder(inst);
      const anna = newDriver();
      await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
      const before = Date.now();
      const res = await expectStatus(lookup(inst, order.order_id), 200);
      expect(res.body).toEqual({
        order_id: order.order_id,
        status: 'assigned',
        candidate: {
          park_db_id: anna.parkDbId,
          driver_id: anna.driverId,
          position: { lat: 55.9726, lon: 37.4146 },
          due: expect.stringMatching(ISO_MS),
        },
      });
      const due = Date.parse(res.body.candidate.due);
      expect(due - before).toBeGreaterThanOrEqual(119_000);
      expect(due - Date.now()).toBeLessThanOrEqual(121_000);
      expect(inst.tracker.calls.at(-1)).toEqual({ driver: anna, orderId: order.order_id, areaId: 'svo_d' });
    });

    it('has no due when the area sets no driver_due_offset_s', async () => {
      const order = await createOrder(inst, 'zenit');
      await expectStatus(enterCode(inst, newDriver(), 'zenit', order.code), 200);
      const res = await expectStatus(lookup(inst, order.order_id), 200);
      expect(res.body.candidate).not.toHaveProperty('due');
    });

    it.each([
      ['not_found', 'driver_not_found_in_tracker'],
      ['busy', 'driver_busy'],
      ['out_of_area', 'driver_out_of_area'],
    ] as const)('turns the tracker answer %s into the retryable error %s, without a candidate', async (answer, code) => {
      const order = await createOrder(inst);
      const anna = newDriver();
      inst.tracker.script(anna, { kind: answer });
      await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
      const res = await expectStatus(lookup(inst, order.order_id), 200);
      expect(res.body).toEqual({ order_id: order.order_id, status: 'error', error_code: code });
    });

    it('answers 503 tracker_unavailable with Retry-After when the tracker is down; the status stays processing', async () => {
      const order = await createOrder(inst);
      const anna = newDriver();
      inst.tracker.script(anna, { kind: 'unavailable', retryAfterS: 3 });
      await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
      const res = await expectStatus(lookup(inst, order.order_id), 503);
      expect(res.body).toMatchObject({ code: 'tracker_unavailable', status: 503 });
      expect(res.headers['retry-after']).toBe('3');
      expect((await record(inst, order.order_id)).body.status).toBe('processing');
    });

    it('refuses an assignment that is not in processing (409 with assignment_status), and an unknown order (404)', async () => {
      const order = await createOrder(inst);
      const pending = await expectStatus(lookup(inst, order.order_id), 409);
      expect(pending.body).toMatchObject({ code: 'assignment_not_processing', assignment_status: 'pending' });
      await expectStatus(enterCode(inst, newDriver(), 'svo_d', order.code), 200);
      await expectStatus(lookup(inst, order.order_id), 200);
      const assigned = await expectStatus(lookup(inst, order.order_id), 409);
      expect(assigned.body.assignment_status).toBe('assigned');
      const unknown = await expectStatus(lookup(inst, newOrderId()), 404);
      expect(unknown.body.code).toBe('assignment_not_found');
    });
  });

  describe('GET /v1/assignments/{order_id}', () => {
    it('answers the whole record with its change log, actors named', async () => {
      const order = await createOrder(inst);
      const anna = newDriver();
      inst.tracker.script(anna, { kind: 'busy' });
      await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
      await expectStatus(lookup(inst, order.order_id, PROCESSING_TOKEN), 200);
      const boris = newDriver();
      await expectStatus(enterCode(inst, boris, 'svo_d', order.code), 200);
      await expectStatus(lookup(inst, order.order_id, PROCESSING_TOKEN), 200);

      const res = await expectStatus(record(inst, order.order_id), 200);
      expect(res.body).toEqual({
        order_id: order.order_id,
        area_id: 'svo_d',
        code: order.code,
        code_display: order.code_display,
        status: 'assigned',
        error_code: null,
        park_db_id: boris.parkDbId,
        driver_id: boris.driverId,
        user_id: null,
        attempt: 2,
        legacy: false,
        created_at: expect.stringMatching(ISO_MS),
        updated_at: expect.stringMatching(ISO_MS),
        expires_at: order.expires_at,
        changes: [
          { at: expect.stringMatching(ISO_MS), from: null, to: 'pending', actor: { kind: 'service', name: 'ordercommit' } },
          {
            at: expect.stringMatching(ISO_MS),
            from: 'pending',
            to: 'processing',
            actor: { kind: 'driver', park_db_id: anna.parkDbId, driver_id: anna.driverId },
          },
          {
            at: expect.stringMatching(ISO_MS),
            from: 'processing',
            to: 'error',
            actor: { kind: 'service', name: 'processing' },
            error_code: 'driver_busy',
          },
          {
            at: expect.stringMatching(ISO_MS),
            from: 'error',
            to: 'processing',
            actor: { kind: 'driver', park_db_id: boris.parkDbId, driver_id: boris.driverId },
          },
          {
            at: expect.stringMatching(ISO_MS),
            from: 'processing',
            to: 'assigned',
            actor: { kind: 'service', name: 'processing' },
          },
        ],
      });
    });

    it('keeps user_id, and answers 404 for an unknown order and 400 for an impossible id', async () => {
      const orderId = newOrderId();
      await inst
        .post('/v1/order/create')
        .set(service())
        .send({ order_id: orderId, area_id: 'svo_d', user_id: 'user-42' })
        .expect(200);
      expect((await record(inst, orderId)).body.user_id).toBe('user-42');
      expect((await record(inst, newOrderId())).body.code).toBe('assignment_not_found');
      const long = await inst
        .get(`/v1/assignments/${'x'.repeat(200)}`)
        .set(service())
        .expect(400);
      expect(long.body.errors).toEqual([{ path: 'order_id', message: expect.any(String) }]);
      const nul = await inst.get('/v1/assignments/a%00b').set(service()).expect(400);
      expect(nul.body.errors[0].path).toBe('order_id');
      const badEscape = await inst.get('/v1/assignments/%E0%A4%A').set(service()).expect(400);
      expect(badEscape.body.code).toBe('invalid_request');
    });
  });
});

describe('the embedded sink runs the whole flow in-process', () => {
  it('order → code → driver enters it → lookup → assigned', async () => {
    const storage = await createStorage('pglite');
    const inst = await startInstance({ database: await storage.open() });
    try {
      const order = await createOrder(inst);
      const anna = newDriver();
      const res = await expectStatus(enterCode(inst, anna, 'svo_d', order.code, 5000), 200);
      expect(res.body.status).toBe('assigned');
      const changes = (await record(inst, order.order_id)).body.changes as { actor: { kind: string; name?: string } }[];
      expect(changes.at(-1)?.actor).toEqual({ kind: 'service', name: 'embedded' });
    } finally {
      await inst.close();
      await storage.close();
    }
  });
});
