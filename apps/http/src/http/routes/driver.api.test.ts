import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { driver } from '@codedispatch/core';
import type { DatabaseHandle } from '@codedispatch/postgres';
import {
  asDriver,
  createOrder,
  createStorage,
  enterCode,
  expectStatus,
  lookup,
  newDriver,
  newOrderId,
  outboxCount,
  record,
  RecordingSink,
  service,
  sleep,
  startInstance,
  status,
  STORAGES,
  testDocument,
  unissuedCode,
  viaGateway,
  type Instance,
  type TestStorage,
} from '../../__tests__/harness';

const swapLastTwo = (code: string): string => code.slice(0, -2) + code.slice(-1) + code.slice(-2, -1);

describe.each(STORAGES)('driver endpoints on %s', (kind) => {
  let storage: TestStorage;
  let handle: DatabaseHandle;
  let inst: Instance;

  beforeAll(async () => {
    storage = await createStorage(kind);
    handle = await storage.open();
    inst = await startInstance({ database: handle, sink: new RecordingSink() });
  });
  afterAll(async () => {
    await inst.close();
    await storage.close();
  });
  afterEach(() => {
    inst.setDocument(testDocument());
  });

  describe('POST /v1/order/assign', () => {
    it('moves the order to processing with this driver and writes one processing event', async () => {
      const order = await createOrder(inst);
      const anna = newDriver();
      const res = await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
      expect(res.body).toEqual({
        order_id: order.order_id,
        status: 'processing',
        updated_at: expect.stringMatching(/\.\d{3}Z$/),
      });
      expect(await outboxCount(handle, order.order_id)).toBe(1);
    });

    it('answers the same driver repeating the code, in any formatting, without a second event', async () => {
      const order = await createOrder(inst);
      const anna = newDriver();
      const first = await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
      for (const typed of [
        order.code_display,
        `${order.code.slice(0, 3)}-${order.code.slice(3)}`,
        ` ${order.code.split('').join(' ')} `,
        order.code.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))),
      ]) {
        const again = await expectStatus(enterCode(inst, anna, 'svo_d', typed), 200);
        expect(again.body).toEqual(first.body);
      }
      expect(await outboxCount(handle, order.order_id)).toBe(1);
      await expectStatus(lookup(inst, order.order_id), 200);
      const afterAssigned = await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
      expect(afterAssigned.body.status).toBe('assigned');
    });

    it('refuses a code another driver holds (409), with a localised message', async () => {
      const order = await createOrder(inst);
      await expectStatus(enterCode(inst, newDriver(), 'svo_d', order.code), 200);
      const res = await inst
        .post('/v1/order/assign')
        .set(await asDriver(newDriver()))
        .set('Accept-Language', 'ru-RU,ru;q=0.9')
        .send({ area_id: 'svo_d', code: order.code })
        .expect(409);
      expect(res.body).toMatchObject({ code: 'code_already_in_use', status: 409, message: 'Этот код уже ввёл другой водитель.' });
    });

    it('refuses a malformed code and a mistyped one before any lookup (400)', async () => {
      const order = await createOrder(inst);
      const format = await expectStatus(enterCode(inst, newDriver(), 'svo_d', '12345'), 400);
      expect(format.body).toMatchObject({
        code: 'invalid_code_format',
        message: expect.any(String),
        errors: [{ path: 'code', message: expect.any(String) }],
      });
      const typo = await expectStatus(
        enterCode(inst, newDriver(), 'svo_d', swapLastTwo(order.code) === order.code ? '000001' : swapLastTwo(order.code)),
        400,
      );
      expect(typo.body).toMatchObject({ code: 'invalid_code_checksum', errors: [{ path: 'code', message: expect.any(String) }] });
    });

    it('answers 404 code_not_found for a code nobody holds, and for a cancelled order', async () => {
      const res = await expectStatus(enterCode(inst, newDriver(), 'svo_d', unissuedCode(1)), 404);
      expect(res.body).toMatchObject({ code: 'code_not_found', message: expect.any(String) });
      const order = await createOrder(inst);
      await inst.post('/v1/order/cancel').set(service()).send({ order_id: order.order_id }).expect(200);
      expect((await enterCode(inst, newDriver(), 'svo_d', order.code)).body.code).toBe('code_not_found');
    });

    it('refuses a driver who already has an assignment in processing (409)', async () => {
      const anna = newDriver();
      const a = await createOrder(inst);
      const b = await createOrder(inst);
      await expectStatus(enterCode(inst, anna, 'svo_d', a.code), 200);
      const res = await expectStatus(enterCode(inst, anna, 'svo_d', b.code), 409);
      expect(res.body.code).toBe('driver_has_active_assignment');
    });

    it('lets the same or another driver retry after a retryable failure', async () => {
      const anna = newDriver();
      const boris = newDriver();
      const order = await createOrder(inst);
      inst.tracker.script(anna, { kind: 'busy' });
      await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
      expect((await lookup(inst, order.order_id)).body).toMatchObject({ status: 'error', error_code: 'driver_busy' });
      const retry = await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
      expect(retry.body.status).toBe('processing');
      expect((await lookup(inst, order.order_id)).body.error_code).toBe('driver_busy');
      await expectStatus(enterCode(inst, boris, 'svo_d', order.code), 200);
      expect(await outboxCount(handle, order.order_id)).toBe(3);
    });

    it('limits failed entries per driver and area (429 with Retry-After), even for a correct code', async () => {
      const order = await createOrder(inst, 'strict');
      const mallory = newDriver();
      await expectStatus(enterCode(inst, mallory, 'strict', unissuedCode(2)), 404);
      await expectStatus(enterCode(inst, mallory, 'strict', unissuedCode(3)), 404);
      const res = await expectStatus(enterCode(inst, mallory, 'strict', order.code), 429);
      expect(res.body).toMatchObject({ code: 'too_many_attempts', message: expect.any(String) });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(590);
      // The limit comes before the code format check, and holds in the area only.
      expect((await enterCode(inst, mallory, 'strict', 'garbage')).status).toBe(429);
      expect((await enterCode(inst, mallory, 'svo_d', unissuedCode(4))).status).toBe(404);
      // Format errors do not count.
      const careful = newDriver();
      for (let i = 0; i < 4; i++) await expectStatus(enterCode(inst, careful, 'strict', '1'), 400);
      await expectStatus(enterCode(inst, careful, 'strict', order.code), 200);
    });

    it.each([
      ['an unknown area', 'nowhere', 404, 'area_not_found'],
      ['a disabled area', 'closed', 409, 'area_disabled'],
    ])('refuses %s', async (_what, areaId, code, problem) => {
      const res = await expectStatus(enterCode(inst, newDriver(), areaId, '482918'), code);
      expect(res.body).toMatchObject({ code: problem, message: expect.any(String) });
    });

    it('answers 409 processing_disabled (checked before the area) after a config reload, and works again after the next', async () => {
      const order = await createOrder(inst);
      inst.setDocument(testDocument({ processing_enabled: false }));
      const res = await expectStatus(enterCode(inst, newDriver(), 'nowhere', order.code), 409);
      expect(res.body).toMatchObject({ code: 'processing_disabled', message: expect.any(String) });
      expect((await status(inst, newDriver(), order.order_id)).body.code).toBe('processing_disabled');
      expect((await lookup(inst, order.order_id)).body.code).toBe('processing_disabled');
      inst.setDocument(testDocument());
      await expectStatus(enterCode(inst, newDriver(), 'svo_d', order.code), 200);
    });

    it('takes the driver from the gateway headers', async () => {
      const order = await createOrder(inst);
      const gw = driver('park-gw', `gw-${Date.now()}`);
      await inst.post('/v1/order/assign').set(viaGateway(gw)).send({ area_id: 'svo_d', code: order.code }).expect(200);
      await expectStatus(status(inst, gw, order.order_id), 200);
    });

    describe('with wait_ms', () => {
      it('answers as soon as the lookup assigns the driver', async () => {
        const order = await createOrder(inst);
        const anna = newDriver();
        const started = Date.now();
        const waiting = enterCode(inst, anna, 'svo_d', order.code, 60_000);
        await sleep(150);
        await expectStatus(lookup(inst, order.order_id), 200);
        const res = await expectStatus(waiting, 200);
        expect(res.body).toMatchObject({ order_id: order.order_id, status: 'assigned' });
        expect(Date.now() - started).toBeLessThan(2000);
      });

      it('answers a failure within milliseconds, with the message', async () => {
        const order = await createOrder(inst);
        const anna = newDriver();
        inst.tracker.script(anna, { kind: 'out_of_area' });
        const waiting = (async () =>
          inst
            .post('/v1/order/assign')
            .set(await asDriver(anna))
            .set('Accept-Language', 'en')
            .send({ area_id: 'svo_d', code: order.code, wait_ms: 5000 }))();
        await sleep(150);
        const looked = Date.now();
        await expectStatus(lookup(inst, order.order_id), 200);
        const res = await expectStatus(waiting, 200);
        expect(Date.now() - looked).toBeLessThan(500);
        expect(res.body).toEqual({
          order_id: order.order_id,
          status: 'error',
          error_code: 'driver_out_of_area',
          message: 'You are outside the pickup area. Move to the queue and try the code again.',
          updated_at: expect.any(String),
        });
      });

      it('answers the state as it is at the end of the wait', async () => {
        const order = await createOrder(inst);
        const started = Date.now();
        const res = await expectStatus(enterCode(inst, newDriver(), 'svo_d', order.code, 300), 200);
        expect(res.body.status).toBe('processing');
        expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      });

      it('wakes when the background sweep times the processing out', async () => {
        const order = await createOrder(inst, 'fast');
        const started = Date.now();
        const res = await expectStatus(enterCode(inst, newDriver(), 'fast', order.code, 8000), 200);
        expect(res.body).toMatchObject({ status: 'error', error_code: 'processing_timeout', message: expect.any(String) });
        expect(Date.now() - started).toBeLessThan(3000);
      });
    });
  });

  describe('GET /v1/assignment/status', () => {
    it('is scoped to the driver: the current one, an earlier failed one, nobody else', async () => {
      const order = await createOrder(inst);
      const anna = newDriver();
      const boris = newDriver();
      inst.tracker.script(anna, { kind: 'busy' });
      await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
      await expectStatus(lookup(inst, order.order_id), 200);
      await expectStatus(enterCode(inst, boris, 'svo_d', order.code), 200);

      const annaView = await expectStatus(status(inst, anna, order.order_id), 200);
      expect(annaView.body).toMatchObject({ status: 'error', error_code: 'driver_busy', message: expect.any(String) });
      const borisView = await expectStatus(status(inst, boris, order.order_id), 200);
      expect(borisView.body).toEqual({ order_id: order.order_id, status: 'processing', updated_at: expect.any(String) });
      await expectStatus(lookup(inst, order.order_id), 200);
      expect((await status(inst, anna, order.order_id)).body).toMatchObject({ status: 'error', error_code: 'driver_busy' });
      expect((await status(inst, boris, order.order_id)).body.status).toBe('assigned');

      const stranger = await expectStatus(status(inst, newDriver(), order.order_id), 404);
      expect(stranger.body).toMatchObject({ code: 'assignment_not_found', message: expect.any(String) });
      expect((await status(inst, anna, newOrderId())).status).toBe(404);
    });

    it('keeps showing a failed driver his own error after the order is cancelled or expires', async () => {
      const base = testDocument();
      inst.setDocument({
        ...base,
        experiment: { enabled: true },
        areas: { ...(base.areas as Record<string, unknown>), brief: { order_expire_s: 1 } },
      });
      for (const end of ['cancel', 'expire'] as const) {
        const order = await createOrder(inst, end === 'cancel' ? 'svo_d' : 'brief');
        const anna = newDriver();
        inst.tracker.script(anna, { kind: 'not_found' });
        await expectStatus(enterCode(inst, anna, order.area_id, order.code), 200);
        await expectStatus(lookup(inst, order.order_id), 200);
        if (end === 'cancel') await inst.post('/v1/order/cancel').set(service()).send({ order_id: order.order_id }).expect(200);
        else await sleep(1_100);
        const ended = await expectStatus(record(inst, order.order_id), 200);
        expect(ended.body.error_code).toBe(end === 'cancel' ? 'order_cancelled' : 'expired');
        const view = await expectStatus(status(inst, anna, order.order_id), 200);
        expect(view.body).toMatchObject({
          status: 'error',
          error_code: 'driver_not_found_in_tracker',
          message: expect.any(String),
        });
      }
    });

    it('localises the message by Accept-Language', async () => {
      const order = await createOrder(inst);
      const anna = newDriver();
      inst.tracker.script(anna, { kind: 'not_found' });
      await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
      await expectStatus(lookup(inst, order.order_id), 200);
      const ru = await inst
        .get('/v1/assignment/status')
        .query({ order_id: order.order_id })
        .set(await asDriver(anna))
        .set('Accept-Language', 'ru')
        .expect(200);
      expect(ru.body.message).toBe('Не удалось найти вас в очереди. Проверьте, что вы на линии, и введите код ещё раз.');
      const fallback = await inst
        .get('/v1/assignment/status')
        .query({ order_id: order.order_id })
        .set(await asDriver(anna))
        .set('Accept-Language', 'ja')
        .expect(200);
      expect(fallback.body.message).toMatch(/^We could not find you/);
    });

    it('long-polls: answers as soon as the view changes', async () => {
      const order = await createOrder(inst);
      const boris = newDriver();
      await expectStatus(enterCode(inst, boris, 'svo_d', order.code), 200);
      const waiting = status(inst, boris, order.order_id, 10_000);
      await sleep(150);
      const looked = Date.now();
      await expectStatus(lookup(inst, order.order_id), 200);
      const res = await expectStatus(waiting, 200);
      expect(res.body.status).toBe('assigned');
      expect(Date.now() - looked).toBeLessThan(500);
    });

    it("long-polls: a driver who just took the order through another instance sees it, though this one's kept record lags", async () => {
      const order = await createOrder(inst);
      const anna = newDriver();
      await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
      // anna's poll leaves a watch on the order, with her record in it, for the next poll.
      await expectStatus(status(inst, anna, order.order_id, 50), 200);
      // Another instance gives the order to boris; its notification has not arrived here yet.
      const boris = newDriver();
      await sql`update code_dispatch.assignments
                  set park_db_id = ${boris.parkDbId}, driver_id = ${boris.driverId}, version = version + 1
                where order_id = ${order.order_id}`.execute(handle.db);
      const res = await expectStatus(status(inst, boris, order.order_id, 50), 200);
      expect(res.body).toMatchObject({ order_id: order.order_id, status: 'processing' });
    });

    it('long-polls: an earlier failed driver waits out wait_ms, whatever happens to the order', async () => {
      const order = await createOrder(inst);
      const anna = newDriver();
      inst.tracker.script(anna, { kind: 'busy' });
      await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
      await expectStatus(lookup(inst, order.order_id), 200);
      const started = Date.now();
      const waiting = status(inst, anna, order.order_id, 600);
      await sleep(100);
      await expectStatus(enterCode(inst, newDriver(), 'svo_d', order.code), 200);
      const res = await expectStatus(waiting, 200);
      expect(res.body).toMatchObject({ status: 'error', error_code: 'driver_busy' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(590);
    });

    it('long-polls: at the deadline, answers a timeout due by then that nothing has written yet', async () => {
      // No sweeper here: the timeout shows because the record is settled when the wait ends.
      const own = await startInstance({ database: handle, sink: new RecordingSink(), background: false });
      try {
        const order = await createOrder(own, 'fast');
        const anna = newDriver();
        await expectStatus(enterCode(own, anna, 'fast', order.code), 200);
        const started = Date.now();
        const res = await expectStatus(status(own, anna, order.order_id, 1500), 200);
        expect(res.body).toMatchObject({ status: 'error', error_code: 'processing_timeout' });
        expect(Date.now() - started).toBeGreaterThanOrEqual(1490);
      } finally {
        await own.close();
      }
    });

    it('long-polls: a client that goes away leaves nothing waiting', async () => {
      const order = await createOrder(inst);
      const anna = newDriver();
      await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
      const { port } = inst.server.address() as AddressInfo;
      const gone = get({
        host: '127.0.0.1',
        port,
        path: `/v1/assignment/status?order_id=${order.order_id}&wait_ms=10000`,
        headers: await asDriver(anna),
      });
      gone.on('error', () => undefined);
      while (inst.deps.longPoll.waiting === 0) await sleep(10);
      gone.destroy();
      while (inst.deps.longPoll.waiting > 0) await sleep(10);
      const line = () => inst.logs.lines.find((l) => l.route === '/v1/assignment/status' && l.status === 499);
      while (line() === undefined) await sleep(10);
      expect(line()).toMatchObject({ aborted: true });
    });

    it('long-polls: counted on /metrics (waiting, orders watched, records read)', async () => {
      const order = await createOrder(inst);
      const anna = newDriver();
      await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
      const metric = async (name: string) =>
        Number(new RegExp(`^${name} (\\S+)$`, 'm').exec((await inst.get('/metrics').expect(200)).text)?.[1]);
      const readsBefore = await metric('codedispatch_long_poll_reads_total');
      const waiting = status(inst, anna, order.order_id, 10_000);
      while ((await metric('codedispatch_long_polls_waiting')) === 0) await sleep(10);
      expect(await metric('codedispatch_long_polls_waiting')).toBe(1);
      expect(await metric('codedispatch_long_poll_watched_orders')).toBeGreaterThanOrEqual(1);
      await expectStatus(lookup(inst, order.order_id), 200);
      expect((await expectStatus(waiting, 200)).body.status).toBe('assigned');
      expect(await metric('codedispatch_long_polls_waiting')).toBe(0);
      // the first snapshot only: the lookup, made here, handed over the record it committed
      expect((await metric('codedispatch_long_poll_reads_total')) - readsBefore).toBe(1);
    });

    it('refuses a wait_ms that is not a non-negative integer, naming the field', async () => {
      const anna = newDriver();
      for (const wait of ['abc', '-1', '1.5', '1e3']) {
        const res = await inst
          .get('/v1/assignment/status')
          .query({ order_id: 'o1', wait_ms: wait })
          .set(await asDriver(anna))
          .expect(400);
        expect(res.body).toMatchObject({
          code: 'invalid_request',
          errors: [{ path: 'wait_ms', message: expect.any(String) }],
          message: expect.any(String),
        });
      }
      const missing = await inst
        .get('/v1/assignment/status')
        .set(await asDriver(anna))
        .expect(400);
      expect(missing.body.errors).toEqual([{ path: 'order_id', message: 'required' }]);
    });

    it('answers waiting long-polls at once on shutdown, with the current state', async () => {
      const own = await startInstance({ database: handle, sink: new RecordingSink() });
      const order = await createOrder(own);
      const anna = newDriver();
      await expectStatus(enterCode(own, anna, 'svo_d', order.code), 200);
      const waiting = status(own, anna, order.order_id, 10_000);
      await sleep(150);
      const started = Date.now();
      const closing = own.close();
      const res = await expectStatus(waiting, 200);
      expect(res.body.status).toBe('processing');
      expect(Date.now() - started).toBeLessThan(1000);
      await closing;
    });
  });
});
