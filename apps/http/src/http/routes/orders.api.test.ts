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
  sleep,
  startInstance,
  STORAGES,
  testDocument,
  type Instance,
  type TestStorage,
} from '../../__tests__/harness';

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe.each(STORAGES)('orders on %s', (kind) => {
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
  afterEach(() => {
    inst.setDocument(testDocument());
  });

  describe('POST /v1/order/create', () => {
    it('issues a code with its display form, expiry and instructions', async () => {
      const orderId = newOrderId();
      const before = Date.now();
      const res = await inst
        .post('/v1/order/create')
        .set(service())
        .send({ order_id: orderId, area_id: 'svo_d', user_id: 'u1' })
        .expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({
        order_id: orderId,
        area_id: 'svo_d',
        code: expect.stringMatching(/^\d{6}$/),
        code_display: `${res.body.code.slice(0, 3)} ${res.body.code.slice(3)}`,
        status: 'pending',
        expires_at: expect.stringMatching(ISO_MS),
        instructions: 'Tell this code to the driver of the first car in the queue',
      });
      const expires = Date.parse(res.body.expires_at);
      expect(expires - before).toBeGreaterThanOrEqual(1800_000 - 1000);
      expect(expires - Date.now()).toBeLessThanOrEqual(1800_000 + 1000);
    });

    it('picks the instructions by locale, then Accept-Language, then en', async () => {
      const ru = await inst
        .post('/v1/order/create')
        .set(service())
        .send({ order_id: newOrderId(), area_id: 'svo_d', locale: 'ru-RU' })
        .expect(200);
      expect(ru.body.instructions).toBe('Назовите код водителю первой машины в очереди');
      const header = await inst
        .post('/v1/order/create')
        .set(service())
        .set('Accept-Language', 'de;q=0.9, ru;q=0.8')
        .send({ order_id: newOrderId(), area_id: 'svo_d', locale: 'fr' })
        .expect(200);
      expect(header.body.instructions).toBe('Назовите код водителю первой машины в очереди');
      const fallback = await inst
        .post('/v1/order/create')
        .set(service())
        .set('Accept-Language', 'de')
        .send({ order_id: newOrderId(), area_id: 'svo_d' })
        .expect(200);
      expect(fallback.body.instructions).toBe('Tell this code to the driver of the first car in the queue');
      const none = await inst
        .post('/v1/order/create')
        .set(service())
        .send({ order_id: newOrderId(), area_id: 'zenit' })
        .expect(200);
      expect(none.body).not.toHaveProperty('instructions');
    });

    it("groups the code by the area's generator", async () => {
      const zenit = await createOrder(inst, 'zenit');
      expect(zenit.code).toMatch(/^\d{5}$/);
      expect(zenit.code_display).toBe(`${zenit.code.slice(0, 3)} ${zenit.code.slice(3)}`);
    });

    it('is idempotent by order_id: a retry gets the same code and the current status', async () => {
      const first = await createOrder(inst);
      const again = await inst
        .post('/v1/order/create')
        .set(service())
        .send({ order_id: first.order_id, area_id: 'svo_d' })
        .expect(200);
      expect(again.body).toEqual(first);
      await inst.post('/v1/order/cancel').set(service()).send({ order_id: first.order_id }).expect(200);
      const after = await inst
        .post('/v1/order/create')
        .set(service())
        .send({ order_id: first.order_id, area_id: 'svo_d' })
        .expect(200);
      expect(after.body).toMatchObject({ code: first.code, status: 'error', error_code: 'order_cancelled' });
    });

    it('answers a retry without checking the area or the experiment again', async () => {
      const first = await createOrder(inst);
      const doc = testDocument({ experiment: { enabled: false } });
      inst.setDocument({ ...doc, areas: { ...(doc.areas as object), svo_d: { enabled: false } } });
      const again = await inst
        .post('/v1/order/create')
        .set(service())
        .send({ order_id: first.order_id, area_id: 'svo_d' })
        .expect(200);
      expect(again.body.code).toBe(first.code);
      await inst.post('/v1/order/create').set(service()).send({ order_id: newOrderId(), area_id: 'svo_d' }).expect(409);
    });

    it('refuses the same order in another area', async () => {
      const first = await createOrder(inst);
      const res = await inst
        .post('/v1/order/create')
        .set(service())
        .send({ order_id: first.order_id, area_id: 'zenit' })
        .expect(409);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        code: 'order_exists_in_other_area',
        status: 409,
        type: expect.any(String),
        title: expect.any(String),
        detail: expect.any(String),
      });
    });

    it.each([
      ['an unknown area', 'nowhere', 404, 'area_not_found'],
      ['a disabled area', 'closed', 409, 'area_disabled'],
      ['an area outside the experiment allow-list', 'outside', 409, 'code_dispatch_disabled'],
    ])('refuses %s', async (_what, areaId, status, code) => {
      const orderId = newOrderId();
      const res = await inst.post('/v1/order/create').set(service()).send({ order_id: orderId, area_id: areaId }).expect(status);
      expect(res.body).toMatchObject({ code, status });
      await record(inst, orderId).then((r) => expect(r.status).toBe(404));
    });

    it('refuses a denied user and follows the rollout (by user_id, else order_id)', async () => {
      await inst
        .post('/v1/order/create')
        .set(service())
        .send({ order_id: newOrderId(), area_id: 'svo_d', user_id: 'denied-user' })
        .expect(409);
      inst.setDocument(testDocument({ experiment: { rollout_percent: 0 } }));
      const off = await inst
        .post('/v1/order/create')
        .set(service())
        .send({ order_id: newOrderId(), area_id: 'svo_d', user_id: 'u1' })
        .expect(409);
      expect(off.body.code).toBe('code_dispatch_disabled');
    });

    it('still issues codes when processing is disabled', async () => {
      inst.setDocument(testDocument({ processing_enabled: false }));
      expect((await createOrder(inst)).status).toBe('pending');
    });

    it('answers 503 code_space_exhausted when every code of the area is taken', async () => {
      const codes = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const res = await inst
          .post('/v1/order/create')
          .set(service())
          .send({ order_id: newOrderId('tiny'), area_id: 'tiny' });
        if (res.status === 503) {
          expect(res.body).toMatchObject({ code: 'code_space_exhausted', status: 503 });
          expect(codes.size).toBeGreaterThan(0);
          return;
        }
        expect(res.status).toBe(200);
        expect(codes.has(res.body.code)).toBe(false);
        codes.add(res.body.code);
      }
      throw new Error('the tiny area never filled up');
    });

    it('checks credentials before the request shape', async () => {
      await inst.post('/v1/order/create').send({ nonsense: true }).expect(401);
      const res = await inst.post('/v1/order/create').set(service()).send({ area_id: 'svo_d' }).expect(400);
      expect(res.body).toMatchObject({ code: 'invalid_request', errors: [{ path: 'order_id', message: expect.any(String) }] });
    });
  });

  describe('POST /v1/order/cancel', () => {
    it('cancels with a reason kept in the change log, and is idempotent', async () => {
      const order = await createOrder(inst);
      const res = await inst
        .post('/v1/order/cancel')
        .set(service())
        .send({ order_id: order.order_id, reason: 'passenger left' })
        .expect(200);
      expect(res.body).toEqual({ order_id: order.order_id, status: 'error', error_code: 'order_cancelled' });
      const again = await inst
        .post('/v1/order/cancel')
        .set(service())
        .send({ order_id: order.order_id, reason: 'again' })
        .expect(200);
      expect(again.body).toEqual(res.body);
      const { body } = await record(inst, order.order_id);
      expect(body.changes).toHaveLength(2);
      expect(body.changes[1]).toEqual({
        at: expect.stringMatching(ISO_MS),
        from: 'pending',
        to: 'error',
        actor: { kind: 'service', name: 'ordercommit' },
        error_code: 'order_cancelled',
        reason: 'passenger left',
      });
    });

    it('cancels a processing order, and refuses after assigned', async () => {
      const processing = await createOrder(inst);
      await expectStatus(enterCode(inst, newDriver(), 'svo_d', processing.code), 200);
      await inst
        .post('/v1/order/cancel')
        .set(service())
        .send({ order_id: processing.order_id })
        .expect(200, { order_id: processing.order_id, status: 'error', error_code: 'order_cancelled' });

      const assigned = await createOrder(inst);
      await expectStatus(enterCode(inst, newDriver(), 'svo_d', assigned.code), 200);
      await expectStatus(lookup(inst, assigned.order_id), 200);
      const res = await inst.post('/v1/order/cancel').set(service()).send({ order_id: assigned.order_id }).expect(409);
      expect(res.body.code).toBe('order_already_assigned');
    });

    it('answers an expired order with its state', async () => {
      const doc = testDocument();
      inst.setDocument({ ...doc, areas: { ...(doc.areas as object), svo_d: { order_expire_s: 1 } } });
      const order = await createOrder(inst);
      await sleep(1100);
      const res = await expectStatus(inst.post('/v1/order/cancel').set(service()).send({ order_id: order.order_id }), 200);
      expect(res.body).toEqual({ order_id: order.order_id, status: 'error', error_code: 'expired' });
    });

    it('answers 404 for an unknown order', async () => {
      const res = await inst.post('/v1/order/cancel').set(service(PROCESSING_TOKEN)).send({ order_id: newOrderId() }).expect(404);
      expect(res.body.code).toBe('assignment_not_found');
    });
  });
});
