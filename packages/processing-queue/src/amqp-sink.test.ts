import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import * as amqp from 'amqplib';
import type { ProcessingEventPayload } from '@codedispatch/postgres';
import { AmqpSink } from './amqp-sink';
import { CODE_ENTERED, type OutboxEvent } from './event';
import { OutboxRelay } from './outbox-relay';
import {
  insertEvents,
  makeEvent,
  OPEN_TIMEOUT_MS,
  openTestDatabase,
  processingEventProblems,
  until,
  type TestDatabase,
} from './__tests__/support';

/* Runs against the broker named by TEST_AMQP_URL (CI sets it; locally amqp://guest:guest@127.0.0.1:5672). */
const AMQP_URL = process.env.TEST_AMQP_URL;
if (AMQP_URL === undefined) {
  // straight to stderr: Jest does not show the console of a file whose tests are all skipped
  process.stderr.write(
    'AmqpSink tests skipped: set TEST_AMQP_URL (e.g. amqp://guest:guest@127.0.0.1:5672) to run them against RabbitMQ\n',
  );
}
const describeAmqp = AMQP_URL === undefined ? describe.skip : describe;

const outboxEvent = (payload: ProcessingEventPayload): OutboxEvent => ({ eventId: payload.event_id, payload, attempts: 0 });

/**
 * Cut the sink's TCP connection: with an error, as a broker crash or a reset
 * would; silently, as a dead network path would (no FIN, no RST: only a
 * missing confirm or a heartbeat can tell).
 */
const killConnection = async (sink: AmqpSink, how: 'reset' | 'silently' = 'reset'): Promise<Socket> => {
  const link = await (sink as unknown as { link: Promise<{ connection: { connection: unknown } }> }).link;
  const { stream } = link.connection.connection as { stream: Socket };
  if (how === 'reset') stream.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
  else stream.destroy();
  return stream;
};

describeAmqp('AmqpSink with RabbitMQ', () => {
  const exchange = `codedispatch_test_${randomUUID().slice(0, 8)}`;
  let consumer: amqp.ChannelModel;
  let channel: amqp.Channel;
  let received: amqp.ConsumeMessage[];

  beforeAll(async () => {
    consumer = await amqp.connect(AMQP_URL as string);
    channel = await consumer.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, exchange, 'code_dispatch.#');
    await channel.consume(queue, (message) => message !== null && received.push(message), { noAck: true });
  });
  beforeEach(() => {
    received = [];
  });
  afterAll(async () => {
    await channel.deleteExchange(exchange);
    await consumer.close();
  });

  it('publishes with confirms: body and properties', async () => {
    const sink = new AmqpSink({ url: AMQP_URL as string, exchange });
    try {
      const event = makeEvent('amqp-1');
      await sink.deliver(outboxEvent(event));
      await until(() => received.length === 1);
      const [message] = received;
      expect(JSON.parse(message!.content.toString('utf8'))).toEqual(event);
      expect(processingEventProblems(JSON.parse(message!.content.toString('utf8')))).toEqual([]);
      expect(message!.fields.exchange).toBe(exchange);
      expect(message!.fields.routingKey).toBe(CODE_ENTERED);
      expect(message!.properties).toMatchObject({
        messageId: event.event_id,
        contentType: 'application/json',
        deliveryMode: 2,
        type: CODE_ENTERED,
        appId: 'codedispatch',
      });
    } finally {
      await sink.close();
    }
  });

  it('fails a message no queue is bound to take (it is retried, not dropped)', async () => {
    const lonely = `codedispatch_unbound_${randomUUID().slice(0, 8)}`;
    const sink = new AmqpSink({ url: AMQP_URL as string, exchange: lonely });
    try {
      await expect(sink.deliver(outboxEvent(makeEvent('nobody')))).rejects.toThrow(/unroutable/);
    } finally {
      await channel.deleteExchange(lonely);
      await sink.close();
    }
  });

  it(
    'through the relay: after the connection is cut, the next deliveries still arrive, nothing lost',
    async () => {
      const database: TestDatabase = await openTestDatabase('pglite');
      const sink = new AmqpSink({ url: AMQP_URL as string, exchange });
      const relay = new OutboxRelay({
        store: database.handle,
        sink,
        maxAttempts: 10,
        pollIntervalMs: 50,
        backoff: { baseMs: 20, maxMs: 200 },
      });
      try {
        await relay.start();
        const before = Array.from({ length: 5 }, (_, i) => makeEvent(`before-${i}`));
        await insertEvents(database.handle.db, before);
        await until(() => received.length === 5);

        await killConnection(sink);
        const after = Array.from({ length: 5 }, (_, i) => makeEvent(`after-${i}`));
        await insertEvents(database.handle.db, after);
        await until(async () => (await relay.stats()).depth === 0, 10_000);
        // Confirmed by the broker is not yet consumed: give the consumer its moment (a lost one never comes).
        const expected = new Set([...before, ...after].map((e) => e.event_id));
        await until(() => new Set(received.map((m) => m.properties.messageId as string)).size >= expected.size, 5_000).catch(
          () => undefined,
        );

        const ids = new Set(received.map((m) => m.properties.messageId as string));
        expect([...ids].sort()).toEqual([...before, ...after].map((e) => e.event_id).sort());
      } finally {
        await relay.stop();
        await sink.close();
        await database.close();
      }
    },
    OPEN_TIMEOUT_MS,
  );

  it('reconnects lazily on the next delivery after the connection is cut', async () => {
    const sink = new AmqpSink({ url: AMQP_URL as string, exchange });
    try {
      await sink.deliver(outboxEvent(makeEvent('k1')));
      await killConnection(sink);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const event = makeEvent('k2');
      await sink.deliver(outboxEvent(event));
      await until(() => received.some((m) => m.properties.messageId === event.event_id));
      expect(received.filter((m) => m.properties.messageId === event.event_id)).toHaveLength(1);
    } finally {
      await sink.close();
    }
  });

  it('drops a silently dead connection when a confirm does not come, and reconnects', async () => {
    const sink = new AmqpSink({ url: AMQP_URL as string, exchange, confirmTimeoutMs: 300 });
    let dead: Socket | undefined;
    try {
      await sink.deliver(outboxEvent(makeEvent('s1')));
      dead = await killConnection(sink, 'silently');
      await expect(sink.deliver(outboxEvent(makeEvent('lost-in-transit')))).rejects.toThrow(/no publisher confirm/);
      const event = makeEvent('s2');
      await sink.deliver(outboxEvent(event));
      await until(() => received.some((m) => m.properties.messageId === event.event_id));
    } finally {
      await sink.close();
      // Let the dead connection end now instead of at its heartbeat timeout (minutes), which would hold Jest open.
      dead?.emit('error', new Error('test over'));
    }
  });
});
