import type { DatabaseHandle } from '@codedispatch/postgres';
import {
  createStorage,
  driverJwt,
  GATEWAY_TOKEN,
  newDriver,
  newOrderId,
  OPERATOR_TOKEN,
  PROCESSING_TOKEN,
  RecordingSink,
  SERVICE_TOKEN,
  startInstance,
  unissuedCode,
  type Instance,
  type TestStorage,
} from '../../../../apps/http/src/__tests__/harness';
import { CodeDispatchProblem, createClient, type CodeDispatchClient } from '../index';

/** The client against a real instance of the service (HTTP on a free port, PGlite in memory). */
describe('the client against a running service', () => {
  let storage: TestStorage;
  let handle: DatabaseHandle;
  let inst: Instance;
  let baseUrl: string;
  let orders: CodeDispatchClient;
  let processing: CodeDispatchClient;

  beforeAll(async () => {
    storage = await createStorage('pglite');
    handle = await storage.open();
    // A recording sink: the order stays in processing until the test runs the lookup itself.
    inst = await startInstance({ database: handle, sink: new RecordingSink() });
    const address = inst.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    baseUrl = `http://127.0.0.1:${address.port}`;
    orders = createClient({ baseUrl, auth: { kind: 'service', token: SERVICE_TOKEN } });
    processing = createClient({ baseUrl, auth: { kind: 'service', token: PROCESSING_TOKEN } });
  });
  afterAll(async () => {
    await inst.close();
    await storage.close();
  });

  it('create, enterCode long-polling until the lookup assigns, lookup, status and get', async () => {
    const anna = newDriver();
    const driver = createClient({ baseUrl, auth: { kind: 'driver', jwt: await driverJwt(anna) } });
    const orderId = newOrderId('client');

    const created = await orders.orders.create({ order_id: orderId, area_id: 'svo_d', locale: 'en' });
    expect(created).toMatchObject({ order_id: orderId, area_id: 'svo_d', status: 'pending' });
    expect(await orders.orders.create({ order_id: orderId, area_id: 'svo_d' })).toMatchObject({ code: created.code });

    const entering = driver.driver.enterCode({ area_id: 'svo_d', code: created.code_display, wait_ms: 10_000 });
    // The entry is in processing once the record says so; then processing looks the driver up.
    while ((await orders.orders.get(orderId)).status !== 'processing') await new Promise((r) => setImmediate(r));
    const looked = await processing.processing.lookup(orderId);
    expect(looked).toMatchObject({
      order_id: orderId,
      status: 'assigned',
      candidate: { park_db_id: anna.parkDbId, driver_id: anna.driverId },
    });
    expect(await entering).toMatchObject({ order_id: orderId, status: 'assigned' });

    expect(await driver.driver.status(orderId, { waitMs: 0 })).toMatchObject({ order_id: orderId, status: 'assigned' });
    const viaGateway = createClient({
      baseUrl,
      auth: { kind: 'gateway', token: GATEWAY_TOKEN, parkId: anna.parkDbId, driverId: anna.driverId },
    });
    expect(await viaGateway.driver.status(orderId)).toMatchObject({ status: 'assigned' });

    const record = await orders.orders.get(orderId);
    expect(record.changes.map((c) => c.to)).toEqual(['pending', 'processing', 'assigned']);
  });

  it("answers the service's problem documents as CodeDispatchProblem, the driver's message included", async () => {
    const driver = createClient({ baseUrl, auth: { kind: 'driver', jwt: await driverJwt(newDriver()) }, acceptLanguage: 'en' });
    const error = await driver.driver.enterCode({ area_id: 'svo_d', code: unissuedCode(1) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CodeDispatchProblem);
    expect(error).toMatchObject({ status: 404, code: 'code_not_found', driverMessage: expect.any(String) });
    await expect(orders.orders.cancel({ order_id: newOrderId('unknown') })).rejects.toMatchObject({
      status: 404,
      code: 'assignment_not_found',
    });
    await expect(driver.orders.create({ order_id: newOrderId(), area_id: 'svo_d' })).rejects.toMatchObject({
      code: expect.stringMatching(/^(unauthorized|forbidden)$/),
    });
  });

  it('an AbortSignal ends a long-poll the service is holding', async () => {
    const anna = newDriver();
    const driver = createClient({ baseUrl, auth: { kind: 'driver', jwt: await driverJwt(anna) } });
    const created = await orders.orders.create({ order_id: newOrderId('abort'), area_id: 'svo_d' });
    await driver.driver.enterCode({ area_id: 'svo_d', code: created.code });
    const controller = new AbortController();
    const started = Date.now();
    const waiting = driver.driver.status(created.order_id, { waitMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('ops: the story of an order, the areas, a find by the typed code, the outbox and the configuration', async () => {
    const ops = createClient({ baseUrl, auth: { kind: 'operator', token: OPERATOR_TOKEN } });
    const orderId = newOrderId('ops');
    const created = await orders.orders.create({ order_id: orderId, area_id: 'svo_d' });
    const story = await ops.ops.order(orderId);
    expect(story.assignment).toEqual(await orders.orders.get(orderId));
    expect((await ops.ops.find('svo_d', created.code_display)).orders.map((o) => o.order_id)).toEqual([orderId]);
    expect((await ops.ops.areas({ windowMin: 15 })).areas.find((a) => a.area_id === 'svo_d')?.series).toHaveLength(15);
    expect(await ops.ops.events()).toMatchObject({ dead: 0, dead_letters: [] });
    expect(await ops.ops.redriveAll()).toEqual({ redriven: 0 });
    expect((await ops.ops.config()).version).toMatch(/^sha256:[0-9a-f]{16}$/);
    const missing = await ops.ops.redrive('0b8f6c1e-1d3c-4c53-9d1f-5d2a3c4b5e6f').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(CodeDispatchProblem);
    expect((missing as CodeDispatchProblem).code).toBe('not_found');
    const refused = await orders.ops.config().catch((e: unknown) => e);
    expect((refused as CodeDispatchProblem).code).toBe('forbidden');
  });
});
