import * as amqp from 'amqplib';
import { CODE_ENTERED, type ClosableEventSink, type OutboxEvent } from './event';

export interface AmqpSinkOptions {
  readonly url: string;
  /** A durable `topic` exchange, asserted on connect. */
  readonly exchange: string;
  /** Reconnect backoff after a failed connect: doubling from 250 ms up to this. Default 30 s. */
  readonly maxReconnectDelayMs?: number;
  /**
   * No confirm within this time: the delivery fails and the connection is
   * dropped (a silently dead link is only noticed this way or by heartbeats).
   * Default 10 s; keep it below the relay's `deliveryTimeoutMs`.
   */
  readonly confirmTimeoutMs?: number;
}

/** The broker did not take the message (nack, unroutable, channel closed…). */
export class AmqpPublishFailed extends Error {
  override readonly name = 'AmqpPublishFailed';
}

/** Close, without waiting more than a second: on a dead link `close()` may never settle. */
const closeQuietly = async (connection: amqp.ChannelModel): Promise<void> => {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    connection.close().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 1_000);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
};

interface Link {
  readonly connection: amqp.ChannelModel;
  /** Give this link up: the next delivery opens a new one. */
  readonly drop: () => void;
  readonly channel: amqp.ConfirmChannel;
  /** message ids the broker returned as unroutable, until their confirm arrives */
  readonly returned: Set<string>;
}

/**
 * Publishes each event to RabbitMQ: routing key `code_dispatch.code_entered`,
 * persistent, `messageId` = event_id, JSON body; resolves only on the
 * publisher confirm. Messages are `mandatory`: with no queue bound to take
 * one, the broker returns it and the delivery fails (it is retried, not lost).
 *
 * The connection is opened lazily by the first delivery and again, with
 * backoff, by the next delivery after it or the channel closes.
 */
export class AmqpSink implements ClosableEventSink {
  private link: Promise<Link> | null = null;
  private failures = 0;
  private retryAt = 0;
  private closed = false;

  constructor(private readonly options: AmqpSinkOptions) {}

  async deliver(event: OutboxEvent): Promise<void> {
    const { channel, returned, drop } = await this.connect();
    const body = Buffer.from(JSON.stringify(event.payload), 'utf8');
    const confirmTimeoutMs = this.options.confirmTimeoutMs ?? 10_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        drop();
        reject(new AmqpPublishFailed(`no publisher confirm within ${confirmTimeoutMs} ms`));
      }, confirmTimeoutMs);
      timer.unref();
      const confirmed = (err: unknown): void => {
        clearTimeout(timer);
        const wasReturned = returned.delete(event.eventId);
        if (err !== null && err !== undefined) reject(new AmqpPublishFailed(`not confirmed: ${String(err)}`));
        else if (wasReturned)
          reject(new AmqpPublishFailed(`unroutable: no queue bound to ${this.options.exchange} for ${CODE_ENTERED}`));
        else resolve();
      };
      try {
        channel.publish(
          this.options.exchange,
          CODE_ENTERED,
          body,
          {
            persistent: true,
            mandatory: true,
            messageId: event.eventId,
            contentType: 'application/json',
            type: CODE_ENTERED,
            appId: 'codedispatch',
            timestamp: Math.floor(Date.now() / 1000),
          },
          confirmed,
        );
      } catch (e) {
        // the channel closed under us
        clearTimeout(timer);
        drop();
        reject(e);
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const link = this.link;
    this.link = null;
    if (link === null) return;
    const open = await link.catch(() => null);
    if (open !== null) await closeQuietly(open.connection);
  }

  private connect(): Promise<Link> {
    if (this.closed) return Promise.reject(new AmqpPublishFailed('sink closed'));
    if (this.link !== null) return this.link;
    const wait = Math.ceil(this.retryAt - Date.now());
    if (wait > 0) return Promise.reject(new AmqpPublishFailed(`broker unreachable; reconnecting in ${wait} ms`));
    const forget = (): void => {
      if (this.link === link) this.link = null;
    };
    const link = this.open(forget).then(
      (opened) => {
        this.failures = 0;
        return opened;
      },
      (error: unknown) => {
        this.failures++;
        const delay = Math.min(this.options.maxReconnectDelayMs ?? 30_000, 250 * 2 ** Math.min(this.failures - 1, 16));
        this.retryAt = Date.now() + delay * (0.5 + Math.random() / 2);
        forget();
        throw error;
      },
    );
    this.link = link;
    return link;
  }

  /** Connect, open a confirm channel, assert the exchange; `onLost` when either closes. */
  private async open(onLost: () => void): Promise<Link> {
    const connection = await amqp.connect(this.options.url);
    const lost = (): void => {
      // the next delivery reconnects; close what is left of this connection
      onLost();
      void closeQuietly(connection);
    };
    // 'error' precedes 'close'; without a listener it would crash the process.
    connection.on('error', () => undefined);
    connection.on('close', lost);
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => undefined);
      channel.on('close', lost);
      const returned = new Set<string>();
      channel.on('return', (message: amqp.Message) => {
        const id: unknown = message.properties.messageId;
        if (typeof id === 'string') returned.add(id);
      });
      await channel.assertExchange(this.options.exchange, 'topic', { durable: true });
      return { connection, channel, returned, drop: lost };
    } catch (error) {
      await closeQuietly(connection);
      throw error;
    }
  }
}
