import fc from 'fast-check';
import type { DatabaseHandle } from '@codedispatch/postgres';
import {
  anna,
  asDriver,
  assignmentCount,
  createOrder,
  createStorage,
  newOrderId,
  record,
  RecordingSink,
  service,
  startInstance,
  STORAGES,
  type Instance,
  type TestStorage,
} from '../__tests__/harness';

type Endpoint = { readonly path: string; readonly caller: 'service' | 'driver' };

const POSTS: readonly Endpoint[] = [
  { path: '/v1/order/create', caller: 'service' },
  { path: '/v1/order/cancel', caller: 'service' },
  { path: '/v1/order/assign', caller: 'driver' },
  { path: '/v1/drivers-lookup', caller: 'service' },
];

const SQLI = "x'; DROP TABLE code_dispatch.assignments; --";

describe.each(STORAGES)('bad input on %s', (kind) => {
  let storage: TestStorage;
  let handle: DatabaseHandle;
  let inst: Instance;
  let driverHeaders: Record<string, string>;

  beforeAll(async () => {
    storage = await createStorage(kind);
    handle = await storage.open();
    inst = await startInstance({ database: handle, sink: new RecordingSink() });
    driverHeaders = await asDriver(anna);
  });
  afterAll(async () => {
    await inst.close();
    await storage.close();
  });

  const auth = (e: Endpoint) => (e.caller === 'service' ? service() : driverHeaders);
  const post = (e: Endpoint) => inst.post(e.path).set(auth(e));

  /** A 4xx problem document; a 400 names its fields. */
  const expectProblem = (
    res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
    status?: number,
  ) => {
    if (status !== undefined) expect(res.status).toBe(status);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: expect.any(String),
      title: expect.any(String),
      status: res.status,
      code: expect.any(String),
      detail: expect.any(String),
    });
    if (res.body.code === 'invalid_request') expect((res.body.errors as unknown[]).length).toBeGreaterThan(0);
  };

  describe.each(POSTS)('POST $path', (endpoint) => {
    it('answers malformed JSON with 400 invalid_request', async () => {
      const res = await post(endpoint).set('Content-Type', 'application/json').send('{"order_id": "o1",');
      expectProblem(res, 400);
      expect(res.body.code).toBe('invalid_request');
      expect(JSON.stringify(res.body)).not.toMatch(/at JSON\.parse|position \d+ \(line/);
    });

    it.each([
      ['text/plain', 'order_id=o1'],
      ['application/x-www-form-urlencoded', 'order_id=o1&area_id=svo_d'],
      ['application/xml', '<order_id>o1</order_id>'],
      ['application/json; charset=latin1', '{"order_id": "o1"}'],
    ])('answers a %s body with 415', async (type, text) => {
      const res = await post(endpoint).set('Content-Type', type).send(text);
      expectProblem(res, 415);
      expect(res.body.code).toBe('unsupported_media_type');
    });

    it('answers a body over 64 KiB with 413', async () => {
      const res = await post(endpoint).send({ order_id: 'o1', area_id: 'svo_d', code: '1', padding: 'x'.repeat(70 * 1024) });
      expectProblem(res, 413);
      expect(res.body.code).toBe('payload_too_large');
    });

    it('answers no body, an array and a scalar with 400', async () => {
      for (const body of [undefined, '[]', '"text"', '42', 'null']) {
        const req = post(endpoint);
        const res = body === undefined ? await req : await req.set('Content-Type', 'application/json').send(body);
        expectProblem(res, 400);
        expect(res.body.errors).toEqual([{ path: '', message: expect.any(String) }]);
      }
    });

    it('names the missing and wrongly typed fields', async () => {
      const res = await post(endpoint).send({
        order_id: 12,
        area_id: ['svo_d'],
        code: { digits: 1 },
        wait_ms: -5,
        reason: false,
        user_id: 7,
      });
      expectProblem(res, 400);
      const paths = (res.body.errors as { path: string }[]).map((e) => e.path);
      expect(paths.length).toBeGreaterThan(0);
      for (const p of paths) expect(['order_id', 'area_id', 'code', 'wait_ms', 'reason', 'user_id']).toContain(p);
    });

    it('refuses NUL characters, very long strings and lone surrogates, naming the field', async () => {
      for (const bad of ['a\u0000b', 'x'.repeat(10_000), 'a\ud800b']) {
        const res = await post(endpoint).send({ order_id: bad, area_id: bad, code: bad, reason: bad, user_id: bad });
        expectProblem(res, 400);
        expect((res.body.errors as { path: string }[]).length).toBeGreaterThan(0);
      }
    });
  });

  it('takes SQL-looking strings as plain data', async () => {
    const orderId = `${SQLI}-${newOrderId()}`;
    await inst.post('/v1/order/create').set(service()).send({ order_id: orderId, area_id: 'svo_d', user_id: SQLI }).expect(200);
    const res = await record(inst, orderId);
    expect(res.body).toMatchObject({ order_id: orderId, user_id: SQLI });
    expectProblem(await inst.post('/v1/order/create').set(service()).send({ order_id: newOrderId(), area_id: SQLI }), 404);
    expectProblem(await inst.post('/v1/order/assign').set(driverHeaders).send({ area_id: 'svo_d', code: "1' OR '1'='1" }), 400);
    expect(await assignmentCount(handle)).toBeGreaterThan(0);
  });

  it('refuses bad status queries, naming the field', async () => {
    for (const query of [
      '',
      'order_id=',
      'order_id=a&order_id=b',
      `order_id=${'x'.repeat(300)}`,
      'order_id=a%00b',
      'order_id=o&wait_ms=ten',
      'order_id=o&wait_ms=-1',
    ]) {
      const res = await inst.get(`/v1/assignment/status?${query}`).set(driverHeaders);
      expectProblem(res, 400);
      expect((res.body.errors as { path: string }[]).every((e) => e.path === 'order_id' || e.path === 'wait_ms')).toBe(true);
      expect(res.body.message).toEqual(expect.any(String));
    }
  });

  it('answers random bodies on every endpoint with a 4xx problem, never a 5xx, and writes nothing', async () => {
    await createOrder(inst); // the database is not empty
    const before = await assignmentCount(handle);
    const key = fc.constantFrom(
      'order_id',
      'area_id',
      'code',
      'wait_ms',
      'reason',
      'user_id',
      'locale',
      '__proto__',
      'constructor',
    );
    const value = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 50 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const body = fc.oneof(
      fc.dictionary(key, value),
      fc.jsonValue({ maxDepth: 3 }),
      fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...POSTS), body, async (endpoint, payload) => {
        const res = await post(endpoint).set('Content-Type', 'application/json').send(JSON.stringify(payload));
        expectProblem(res);
      }),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(fc.dictionary(key, fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }))), async (query) => {
        expectProblem(await inst.get('/v1/assignment/status').query(query).set(driverHeaders));
        expectProblem(await inst.get(`/v1/assignments/${encodeURIComponent(String(query.order_id ?? 'x'))}x`).set(service()));
      }),
      { numRuns: 60 },
    );
    expect(await assignmentCount(handle)).toBe(before);
  });
});
