import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { ProcessingEventPayload } from '@codedispatch/postgres';
import { AmqpCodeEnteredConsumer, AmqpSink } from '@codedispatch/processing-queue';
import {
  createOrder,
  createStorage,
  enterCode,
  expectStatus,
  newDriver,
  PROCESSING_TOKEN,
  record,
  startInstance,
  status,
  type Instance,
  type TestStorage,
} from '../__tests__/harness';
import { lookupWorker } from './lookup-worker';

/* The amqp deployment end to end: service → outbox → RabbitMQ → the stand-in → drivers-lookup. */
const AMQP_URL = process.env.TEST_AMQP_URL;
if (AMQP_URL === undefined) {
  process.stderr.write('lookup worker tests skipped: set TEST_AMQP_URL to run them against RabbitMQ\n');
}
const describeAmqp = AMQP_URL === undefined ? describe.skip : describe;

const makeEvent = (orderId: string, attempt: number, eventId = randomUUID()): ProcessingEventPayload => ({
  event_id: eventId,
  type: 'code_dispatch.code_entered',
  order_id: orderId,
  area_id: 'svo_d',
  park_db_id: 'park1',
  driver_id: 'anna',
  attempt,
  occurred_at: new Date().toISOString(),
});

describe('lookupWorker', () => {
  let storage: TestStorage;
  let inst: Instance;
  let serviceUrl: string;
  beforeAll(async () => {
    storage = await createStorage('pglite');
    // No background work: the embedded sink would run the lookup before the worker does.
    inst = await startInstance({ database: await storage.open(), background: false });
    serviceUrl = `http://127.0.0.1:${(inst.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await inst.close();
    await storage.close();
  });

  it('runs the lookup for an event, once per event and never for an older attempt', async () => {
    const order = await createOrder(inst);
    const anna = newDriver();
    inst.tracker.script(anna, { kind: 'busy' });
    await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
    const results: string[] = [];
    const handle = lookupWorker({ serviceUrl, token: PROCESSING_TOKEN, onLookup: (_, r) => results.push(r) });
    const second = makeEvent(order.order_id, 2);
    expect(await handle(second)).toEqual({ kind: 'done' });
    expect(await handle(second)).toEqual({ kind: 'done' });
    expect(await handle(makeEvent(order.order_id, 1))).toEqual({ kind: 'done' });
    expect(results).toEqual(['200 error driver_busy', 'duplicate or stale: skipped', 'duplicate or stale: skipped']);
    // An order that moved on is done with; an unknown one too.
    expect(await handle(makeEvent(order.order_id, 3))).toEqual({ kind: 'done' });
    expect(results[3]).toBe('409 assignment_not_processing');
    expect(await handle(makeEvent(`missing-${randomUUID()}`, 1))).toEqual({ kind: 'done' });
  });

  it('retries when the service cannot be reached or refuses the token', async () => {
    const down = lookupWorker({ serviceUrl: 'http://127.0.0.1:9', token: PROCESSING_TOKEN });
    expect(await down(makeEvent('o', 1))).toEqual({ kind: 'retry', delayMs: 1_000 });
    const wrongToken = lookupWorker({ serviceUrl, token: 'not-a-token' });
    expect(await wrongToken(makeEvent('o', 1))).toEqual({ kind: 'retry', delayMs: 5_000 });
  });
});

describeAmqp('the amqp sink with the lookup stand-in', () => {
  const exchange = `codedispatch_flow_${randomUUID().slice(0, 8)}`;
  let storage: TestStorage;
  let inst: Instance;
  let consumer: AmqpCodeEnteredConsumer;

  beforeAll(async () => {
    storage = await createStorage('pglite');
    inst = await startInstance({
      database: await storage.open(),
      sink: new AmqpSink({ url: AMQP_URL as string, exchange }),
    });
    const serviceUrl = `http://127.0.0.1:${(inst.server.address() as AddressInfo).port}`;
    consumer = new AmqpCodeEnteredConsumer(
      { url: AMQP_URL as string, exchange, queue: `${exchange}.lookup` },
      lookupWorker({ serviceUrl, token: PROCESSING_TOKEN }),
    );
    await consumer.whenReady();
  });
  afterAll(async () => {
    await consumer.close();
    await inst.close();
    await storage.close();
  });

  it('completes the flow: the code entered is assigned through RabbitMQ', async () => {
    const order = await createOrder(inst);
    const anna = newDriver();
    await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
    const outcome = await expectStatus(status(inst, anna, order.order_id, 10_000), 200);
    expect(outcome.body.status).toBe('assigned');
    const changes = (await expectStatus(record(inst, order.order_id), 200)).body.changes as { to: string; actor: unknown }[];
    expect(changes.at(-1)).toMatchObject({ to: 'assigned', actor: { kind: 'service', name: 'processing' } });
  });
});
