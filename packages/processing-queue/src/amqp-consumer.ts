import * as amqp from 'amqplib';
import type { ProcessingEventPayload } from '@codedispatch/postgres';
import { CODE_ENTERED } from './event';

/*
 * The receiving end of the amqp sink, for processing's side (and for stand-ins
 * of it: docker-compose, the demo, tests): a durable queue bound to the
 * exchange for `code_dispatch.code_entered`, consumed with manual acks, so an
 * event is removed only once its handler has dealt with it. The connection
 * comes back by itself after a broker restart.
 */

export interface AmqpConsumerOptions {
  readonly url: string;
  /** The sink's exchange (`processing_queue.amqp_exchange`). */
  readonly exchange: string;
  /** A durable queue, bound on connect; several consumers of one queue share its events. */
  readonly queue: string;
  /** Unacknowledged events held at once. Default 16. */
  readonly prefetch?: number;
  /** Reconnect backoff: doubling from 250 ms up to this. Default 10 s. */
  readonly maxReconnectDelayMs?: number;
  /** Connection trouble, for the log; the consumer reconnects by itself. */
  readonly onConnectionError?: (error: unknown) => void;
  /** A message was acknowledged (done, dropped) or handed back to the queue (retry), with what became of it. */
  readonly onSettled?: (event: ProcessingEventPayload | null, outcome: EventOutcome) => void;
}

/**
 * What became of an event: `done` acknowledges it; `retry` puts it back on the
 * queue after `delayMs` (the consumer holds it meanwhile, so a broken lookup
 * does not spin); `drop` acknowledges an event that is not one (malformed).
 */
export type EventOutcome =
  { readonly kind: 'done' } | { readonly kind: 'retry'; readonly delayMs: number } | { readonly kind: 'drop' };

export type CodeEnteredHandler = (event: ProcessingEventPayload) => Promise<EventOutcome>;

const isEvent = (u: unknown): u is ProcessingEventPayload => {
  if (typeof u !== 'object' || u === null) return false;
  const e = u as Record<string, unknown>;
  return (
    e.type === CODE_ENTERED &&
    typeof e.event_id === 'string' &&
    typeof e.order_id === 'string' &&
    typeof e.area_id === 'string' &&
    typeof e.park_db_id === 'string' &&
    typeof e.driver_id === 'string' &&
    typeof e.attempt === 'number' &&
    typeof e.occurred_at === 'string'
  );
};

/** Parses a message body into an event, or null when it is not one. */
export const parseCodeEntered = (body: Buffer): ProcessingEventPayload | null => {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return isEvent(parsed) ? parsed : null;
  } catch {
    return null;
  }
};

export class AmqpCodeEnteredConsumer {
  private connection: amqp.ChannelModel | null = null;
  private closed = false;
  private reconnectDelayMs = 250;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly ready: Promise<void>;
  private markReady: () => void = () => undefined;

  constructor(
    private readonly options: AmqpConsumerOptions,
    private readonly handle: CodeEnteredHandler,
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    void this.connect();
  }

  /** Resolves once the queue is bound and consumed (the first time). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.connection?.close().catch(() => undefined);
    this.connection = null;
  }

  private later(ms: number, f: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      f();
    }, ms);
    this.timers.add(timer);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    try {
      const connection = await amqp.connect(this.options.url);
      // Without a listener an 'error' event would end the process; 'close' follows it and reconnects.
      connection.on('error', (e: unknown) => this.options.onConnectionError?.(e));
      connection.on('close', () => {
        this.connection = null;
        if (!this.closed) this.later(this.reconnectDelayMs, () => void this.connect());
      });
      const channel = await connection.createChannel();
      channel.on('error', (e: unknown) => this.options.onConnectionError?.(e));
      await channel.assertExchange(this.options.exchange, 'topic', { durable: true });
      await channel.assertQueue(this.options.queue, { durable: true });
      await channel.bindQueue(this.options.queue, this.options.exchange, CODE_ENTERED);
      await channel.prefetch(this.options.prefetch ?? 16);
      await channel.consume(this.options.queue, (message) => {
        if (message !== null) void this.deliver(channel, message);
      });
      this.connection = connection;
      this.reconnectDelayMs = 250;
      if (this.closed) await connection.close().catch(() => undefined);
      this.markReady();
    } catch (e) {
      this.options.onConnectionError?.(e);
      const delay = this.reconnectDelayMs;
      this.reconnectDelayMs = Math.min(delay * 2, this.options.maxReconnectDelayMs ?? 10_000);
      this.later(delay, () => void this.connect());
    }
  }

  private async deliver(channel: amqp.Channel, message: amqp.ConsumeMessage): Promise<void> {
    const event = parseCodeEntered(message.content);
    let outcome: EventOutcome;
    try {
      outcome = event === null ? { kind: 'drop' } : await this.handle(event);
    } catch {
      outcome = { kind: 'retry', delayMs: 1_000 };
    }
    // On a closed channel the broker has already put the message back: nothing to settle.
    const settle = (f: () => void): void => {
      try {
        f();
        this.options.onSettled?.(event, outcome);
      } catch {
        /* the channel closed meanwhile */
      }
    };
    if (outcome.kind === 'retry') this.later(outcome.delayMs, () => settle(() => channel.nack(message, false, true)));
    else settle(() => channel.ack(message));
  }
}
