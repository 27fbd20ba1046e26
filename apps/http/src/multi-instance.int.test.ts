import {
  asDriver,
  createOrder,
  createStorage,
  enterCode,
  expectStatus,
  lookup,
  newDriver,
  RecordingSink,
  sleep,
  startInstance,
  status,
  STORAGES,
  unissuedCode,
  type Instance,
  type TestStorage,
} from './__tests__/harness';

/*
 * Two instances of the service on one database (SPEC §10: stateless, any
 * number of instances): on the real server, two pools and two LISTEN
 * connections; on PGlite, one session shared by two containers, so the
 * wake-up still has to come through the database's NOTIFY (each instance
 * has its own in-process change feed).
 */
describe.each(STORAGES)('two instances on one %s database', (kind) => {
  let storage: TestStorage;
  let one: Instance;
  let two: Instance;

  beforeAll(async () => {
    storage = await createStorage(kind);
    one = await startInstance({ database: await storage.open(), sink: new RecordingSink() });
    two = await startInstance({ database: await storage.open(), sink: new RecordingSink() });
  });
  afterAll(async () => {
    await one.close();
    await two.close();
    await storage.close();
  });

  it('let exactly one driver win a code raced through both', async () => {
    for (let round = 0; round < 10; round++) {
      const order = await createOrder(round % 2 === 0 ? one : two);
      const [a, b] = [newDriver(), newDriver()];
      const results = await Promise.all([
        one
          .post('/v1/order/assign')
          .set(await asDriver(a))
          .send({ area_id: 'svo_d', code: order.code }),
        two
          .post('/v1/order/assign')
          .set(await asDriver(b))
          .send({ area_id: 'svo_d', code: order.code }),
      ]);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409]);
      expect(results.find((r) => r.status === 409)?.body.code).toBe('code_already_in_use');
      const winner = results[0]?.status === 200 ? a : b;
      const record = await one
        .get(`/v1/assignments/${order.order_id}`)
        .set({ Authorization: 'Bearer svc-token-ordercommit-0001' });
      expect(record.body).toMatchObject({
        status: 'processing',
        park_db_id: winner.parkDbId,
        driver_id: winner.driverId,
        attempt: 1,
      });
    }
  });

  it('let one driver hold one processing assignment across instances', async () => {
    const d = newDriver();
    const [x, y] = [await createOrder(one), await createOrder(two)];
    const results = await Promise.all([enterCode(one, d, 'svo_d', x.code), enterCode(two, d, 'svo_d', y.code)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)?.body.code).toBe('driver_has_active_assignment');
  });

  it('hold the attempt limit through both: of 40 parallel wrong guesses, max_failed_attempts answered 404, the rest 429', async () => {
    const mallory = newDriver();
    const token = await asDriver(mallory);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 === 0 ? one : two)
          .post('/v1/order/assign')
          .set(token)
          .send({ area_id: 'strict', code: unissuedCode(100 + i) }),
      ),
    );
    // The area `strict` allows 2 failures in 600 s.
    const statuses = results.map((r) => r.status);
    expect({ 404: statuses.filter((s) => s === 404).length, 429: statuses.filter((s) => s === 429).length }).toEqual({
      404: 2,
      429: 38,
    });
    for (const r of results.filter((x) => x.status === 429)) {
      expect(r.body.code).toBe('too_many_attempts');
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(590);
    }
  });

  it('wake a long-poll on one instance within 100 ms of a change made through the other', async () => {
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const order = await createOrder(one);
      const d = newDriver();
      await expectStatus(enterCode(one, d, 'svo_d', order.code), 200);
      let answeredAt = 0;
      const waiting = status(one, d, order.order_id, 10_000).then((r) => {
        answeredAt = Date.now();
        return r;
      });
      await sleep(200); // the long-poll is waiting
      const looked = await expectStatus(lookup(two, order.order_id), 200);
      const changedAt = Date.now();
      expect(looked.body.status).toBe('assigned');
      const res = await expectStatus(waiting, 200);
      expect(res.body.status).toBe('assigned');
      samples.push(answeredAt - changedAt);
    }
    // The change commits before the lookup answers, so the wake-up is measured from an upper bound.
    expect(Math.max(...samples)).toBeLessThan(100);
  });

  it('wake an assign long-poll on one instance when the other instance cancels', async () => {
    const order = await createOrder(two);
    const d = newDriver();
    const waiting = enterCode(one, d, 'svo_d', order.code, 10_000);
    await sleep(300);
    const started = Date.now();
    await two
      .post('/v1/order/cancel')
      .set({ Authorization: 'Bearer svc-token-ordercommit-0001' })
      .send({ order_id: order.order_id })
      .expect(200);
    const res = await expectStatus(waiting, 200);
    expect(res.body).toMatchObject({ status: 'error', error_code: 'order_cancelled' });
    expect(Date.now() - started).toBeLessThan(500);
  });
});
