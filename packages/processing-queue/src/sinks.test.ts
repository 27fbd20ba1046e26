import { createHmac } from 'node:crypto';
import type { ProcessingEventPayload } from '@codedispatch/postgres';
import { AmqpSink } from './amqp-sink';
import { EmbeddedSink } from './embedded-sink';
import type { OutboxEvent } from './event';
import { sinkFromSettings, type ProcessingQueueSettings } from './sink-from-settings';
import { verifyWebhookSignature, webhookSignature, WebhookRejected, WebhookSink } from './webhook-sink';
import { makeEvent, processingEventProblems, startReceiver } from './__tests__/support';

const SECRET = 's3cret';
const outboxEvent = (payload: ProcessingEventPayload = makeEvent('o1')): OutboxEvent => ({
  eventId: payload.event_id,
  payload,
  attempts: 0,
});

describe('WebhookSink', () => {
  it('POSTs the event JSON, signed with HMAC-SHA256 of exactly the bytes sent', async () => {
    const receiver = await startReceiver(() => 200);
    try {
      const event = outboxEvent({ ...makeEvent('ørder-ü'), area_id: 'зона' });
      await new WebhookSink({ url: receiver.url, secret: SECRET }).deliver(event);

      expect(receiver.requests).toHaveLength(1);
      const [request] = receiver.requests;
      const expected = `sha256=${createHmac('sha256', SECRET).update(request!.body).digest('hex')}`;
      expect(request!.headers['x-codedispatch-signature']).toBe(expected);
      expect(expected).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(request!.headers['x-codedispatch-event-id']).toBe(event.eventId);
      expect(request!.headers['content-type']).toBe('application/json');
      expect(JSON.parse(request!.body.toString('utf8'))).toEqual(event.payload);
      // What went over the wire is the event of the published schema.
      expect(processingEventProblems(JSON.parse(request!.body.toString('utf8')))).toEqual([]);
      expect(verifyWebhookSignature(request!.body, expected, SECRET)).toBe(true);
      expect(verifyWebhookSignature(request!.body, expected, 'other')).toBe(false);
      expect(verifyWebhookSignature(Buffer.concat([request!.body, Buffer.from(' ')]), expected, SECRET)).toBe(false);
      expect(verifyWebhookSignature(request!.body, undefined, SECRET)).toBe(false);
    } finally {
      await receiver.close();
    }
  });

  it.each([200, 201, 202, 204, 299])('acknowledges on %i', async (status) => {
    const receiver = await startReceiver(() => status);
    try {
      await expect(new WebhookSink({ url: receiver.url, secret: SECRET }).deliver(outboxEvent())).resolves.toBeUndefined();
    } finally {
      await receiver.close();
    }
  });

  it.each([302, 400, 404, 409, 500, 503])('rejects on %i (the relay retries)', async (status) => {
    const receiver = await startReceiver(() => status);
    try {
      await expect(new WebhookSink({ url: receiver.url, secret: SECRET }).deliver(outboxEvent())).rejects.toEqual(
        new WebhookRejected(status),
      );
    } finally {
      await receiver.close();
    }
  });

  it('rejects on a timeout', async () => {
    const receiver = await startReceiver(() => new Promise<number>((resolve) => setTimeout(() => resolve(200), 1_000)));
    try {
      const started = Date.now();
      await expect(
        new WebhookSink({ url: receiver.url, secret: SECRET, timeoutMs: 100 }).deliver(outboxEvent()),
      ).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(900);
    } finally {
      await receiver.close();
    }
  });

  it('rejects when nobody listens', async () => {
    await expect(new WebhookSink({ url: 'http://127.0.0.1:1/events', secret: SECRET }).deliver(outboxEvent())).rejects.toThrow();
  });

  it('signs a string and a Buffer of the same bytes alike', () => {
    expect(webhookSignature('{"a":1}', SECRET)).toBe(webhookSignature(Buffer.from('{"a":1}'), SECRET));
  });
});

describe('EmbeddedSink', () => {
  it('hands the event to the handler; a rejected handler rejects the delivery', async () => {
    const seen: ProcessingEventPayload[] = [];
    const event = outboxEvent();
    await new EmbeddedSink(async (e) => void seen.push(e)).deliver(event);
    expect(seen).toEqual([event.payload]);
    await expect(new EmbeddedSink(() => Promise.reject(new Error('tracker down'))).deliver(event)).rejects.toThrow(
      'tracker down',
    );
  });
});

describe('AmqpSink without a broker', () => {
  it('rejects, then backs off before connecting again', async () => {
    const sink = new AmqpSink({ url: 'amqp://guest:guest@127.0.0.1:1', exchange: 'x' });
    await expect(sink.deliver(outboxEvent())).rejects.toThrow();
    await expect(sink.deliver(outboxEvent())).rejects.toThrow(/reconnecting in \d+ ms/);
    await sink.close();
    await expect(sink.deliver(outboxEvent())).rejects.toThrow('sink closed');
  });
});

describe('sinkFromSettings', () => {
  const base: ProcessingQueueSettings = {
    sink: 'embedded',
    webhookUrl: 'http://127.0.0.1:9200/events',
    webhookSecret: SECRET,
    amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
    amqpExchange: 'codedispatch',
    maxAttempts: 25,
  };
  const handler = async (): Promise<void> => undefined;

  it.each([
    ['webhook', WebhookSink],
    ['amqp', AmqpSink],
    ['embedded', EmbeddedSink],
  ] as const)('builds the %s sink', async (sink, type) => {
    const built = sinkFromSettings({ ...base, sink }, handler);
    expect(built).toBeInstanceOf(type);
    await built.close();
  });

  it('refuses a webhook sink without its url or secret', () => {
    expect(() => sinkFromSettings({ ...base, sink: 'webhook', webhookSecret: null }, handler)).toThrow(
      'processing_queue.webhook_secret',
    );
    expect(() => sinkFromSettings({ ...base, sink: 'amqp', amqpUrl: null }, handler)).toThrow('processing_queue.amqp_url');
  });
});
