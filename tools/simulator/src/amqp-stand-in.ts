import * as amqp from 'amqplib';
import { AmqpCodeEnteredConsumer } from '@codedispatch/processing-queue';
import type { ProcessingEventPayload } from '@codedispatch/postgres';

/*
 * The amqp sink's receiving end for the processing stand-in: a durable queue
 * bound to the sink's exchange (AmqpCodeEnteredConsumer, which reconnects by
 * itself after a broker restart), each event handed over and acknowledged at
 * once. The queue is the run's own and is deleted at the end, so that no
 * queue keeps collecting events once the simulation has gone (and so is the
 * exchange, when the run made it up for a service it started).
 */

export interface AmqpStandInOptions {
  readonly url: string;
  readonly exchange: string;
  readonly queue: string;
  /** Delete the queue at close (default true). */
  readonly deleteQueue?: boolean;
  /** Delete the exchange at close too: it was the run's own (default false). */
  readonly deleteExchange?: boolean;
  readonly onEvent: (event: ProcessingEventPayload) => void;
  readonly onConnectionError?: (error: unknown) => void;
  /** How long to wait for the broker at start. Default 10 s. */
  readonly connectTimeoutMs?: number;
}

/** The URL without its credentials, for messages. */
export const redactedUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');

export class AmqpStandIn {
  private constructor(
    private readonly consumer: AmqpCodeEnteredConsumer,
    private readonly options: AmqpStandInOptions,
  ) {}

  /** Resolves once the queue is bound and consumed; rejects if the broker does not answer in time. */
  static async start(options: AmqpStandInOptions): Promise<AmqpStandIn> {
    let lastError: unknown = null;
    const consumer = new AmqpCodeEnteredConsumer(
      {
        url: options.url,
        exchange: options.exchange,
        queue: options.queue,
        prefetch: 64,
        onConnectionError: (e) => {
          lastError = e;
          options.onConnectionError?.(e);
        },
      },
      async (event) => {
        options.onEvent(event);
        return { kind: 'done' };
      },
    );
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const ready = await Promise.race([
      consumer.whenReady().then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!ready) {
      await consumer.close();
      throw new Error(
        `RabbitMQ at ${redactedUrl(options.url)} did not answer within ${timeoutMs} ms` +
          (lastError === null ? '' : ` (${lastError instanceof Error ? lastError.message : String(lastError)})`),
      );
    }
    return new AmqpStandIn(consumer, options);
  }

  async close(): Promise<void> {
    await this.consumer.close();
    if (this.options.deleteQueue === false) return;
    try {
      const connection = await amqp.connect(this.options.url);
      connection.on('error', () => undefined);
      const channel = await connection.createChannel();
      await channel.deleteQueue(this.options.queue);
      if (this.options.deleteExchange === true) await channel.deleteExchange(this.options.exchange);
      await connection.close();
    } catch {
      // the broker is gone: the queue stays, and the next run with the same name consumes it
    }
  }
}
