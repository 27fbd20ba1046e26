import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import type { ProcessingEventPayload } from '@codedispatch/postgres';
import { AmqpCodeEnteredConsumer, parseCodeEntered, type EventOutcome } from './amqp-consumer';
import { AmqpSink } from './amqp-sink';
import { makeEvent, until } from './__tests__/support';

/* Runs against the broker named by TEST_AMQP_URL (CI sets it; locally amqp://guest:guest@127.0.0.1:5672). */
const AMQP_URL = process.env.TEST_AMQP_URL;
if (AMQP_URL === undefined) {
  process.stderr.write('AmqpCodeEnteredConsumer tests skipped: set TEST_AMQP_URL to run them against RabbitMQ\n');
}
const describeAmqp = AMQP_URL === undefined ? describe.skip : describe;

describe('parseCodeEntered', () => {
  it('reads a processing event and refuses anything else', () => {
    const event = makeEvent('o-1');
    expect(parseCodeEntered(Buffer.from(JSON.stringify(event)))).toEqual(event);
    expect(parseCodeEntered(Buffer.from('not json'))).toBeNull();
    expect(parseCodeEntered(Buffer.from(JSON.stringify({ ...event, type: 'other' })))).toBeNull();
    expect(parseCodeEntered(Buffer.from(JSON.stringify({ ...event, attempt: '1' })))).toBeNull();
  });
});

describeAmqp('AmqpCodeEnteredConsumer with RabbitMQ', () => {
  const exchange = `codedispatch_consumer_test_${randomUUID().slice(0, 8)}`;
  const queue = `${exchange}.lookup`;
  let admin: amqp.ChannelModel;
  let channel: amqp.Channel;

  beforeAll(async () => {
    admin = await amqp.connect(AMQP_URL as string);
    channel = await admin.createChannel();
  });
  afterAll(async () => {
    await channel.deleteQueue(queue);
    await channel.deleteExchange(exchange);
    await admin.close();
  });

  it('binds a durable queue, so the sink can publish; an event is redelivered until its handler is done with it', async () => {
    const seen: ProcessingEventPayload[] = [];
    const settled: string[] = [];
    let failures = 1;
    const onSettled = (event: ProcessingEventPayload | null, outcome: EventOutcome) =>
      settled.push(`${event?.order_id ?? 'malformed'} ${outcome.kind}`);
    const consumer = new AmqpCodeEnteredConsumer({ url: AMQP_URL as string, exchange, queue, onSettled }, (event) => {
      seen.push(event);
      const outcome: EventOutcome = failures-- > 0 ? { kind: 'retry', delayMs: 50 } : { kind: 'done' };
      return Promise.resolve(outcome);
    });
    const sink = new AmqpSink({ url: AMQP_URL as string, exchange });
    try {
      await consumer.whenReady();
      const event = makeEvent('consumed-1');
      await sink.deliver({ eventId: event.event_id, payload: event, attempts: 0 });
      await until(() => settled.length === 2);
      expect(seen).toEqual([event, event]);
      // Malformed messages are acknowledged and dropped, not redelivered forever.
      channel.publish(exchange, 'code_dispatch.code_entered', Buffer.from('{"not": "an event"}'));
      const after = makeEvent('consumed-2');
      await sink.deliver({ eventId: after.event_id, payload: after, attempts: 0 });
      await until(() => settled.length === 4);
      expect(seen[2]).toEqual(after);
      expect(settled.slice(0, 2)).toEqual(['consumed-1 retry', 'consumed-1 done']);
      // Published on two connections (the admin's and the sink's): the broker may take them in either order.
      expect(settled.slice(2).sort()).toEqual(['consumed-2 done', 'malformed drop']);
    } finally {
      await sink.close();
      await consumer.close();
    }
    expect((await channel.checkQueue(queue)).messageCount).toBe(0);
  });

  it('comes back after its connection is cut, and receives what was published meanwhile', async () => {
    const seen: string[] = [];
    const errors: unknown[] = [];
    const consumer = new AmqpCodeEnteredConsumer(
      { url: AMQP_URL as string, exchange, queue, maxReconnectDelayMs: 200, onConnectionError: (e) => errors.push(e) },
      (event) => {
        seen.push(event.order_id);
        return Promise.resolve({ kind: 'done' });
      },
    );
    const sink = new AmqpSink({ url: AMQP_URL as string, exchange });
    try {
      await consumer.whenReady();
      const connection = (consumer as unknown as { connection: { connection: { stream: { destroy(e: Error): void } } } })
        .connection;
      connection.connection.stream.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
      const event = makeEvent('while-away');
      await sink.deliver({ eventId: event.event_id, payload: event, attempts: 0 });
      await until(() => seen.includes('while-away'), 10_000);
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      await sink.close();
      await consumer.close();
    }
  });
});
