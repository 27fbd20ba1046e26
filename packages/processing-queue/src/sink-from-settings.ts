import { AmqpSink } from './amqp-sink';
import { EmbeddedSink, type EmbeddedHandler } from './embedded-sink';
import type { ClosableEventSink } from './event';
import { WebhookSink } from './webhook-sink';

export const SINKS = ['webhook', 'amqp', 'embedded'] as const;
export type Sink = (typeof SINKS)[number];

/** The `processing_queue` section of the service's configuration (SPEC §8), camelCased, defaults applied. */
export interface ProcessingQueueSettings {
  readonly sink: Sink;
  readonly webhookUrl: string | null;
  readonly webhookSecret: string | null;
  readonly amqpUrl: string | null;
  readonly amqpExchange: string;
  /** Delivery attempts before an event is dead-lettered. */
  readonly maxAttempts: number;
}

export interface SinkOptions {
  /** Webhook request timeout. Default 5 s. */
  readonly webhookTimeoutMs?: number;
}

const required = (value: string | null, key: string): string => {
  if (value === null) throw new Error(`processing_queue.${key} is required for this sink`);
  return value;
};

/** The sink the configuration names (`processing_queue.sink`). The caller closes it at shutdown. */
export const sinkFromSettings = (
  settings: ProcessingQueueSettings,
  embeddedHandler: EmbeddedHandler,
  options: SinkOptions = {},
): ClosableEventSink => {
  switch (settings.sink) {
    case 'webhook':
      return new WebhookSink({
        url: required(settings.webhookUrl, 'webhook_url'),
        secret: required(settings.webhookSecret, 'webhook_secret'),
        ...(options.webhookTimeoutMs !== undefined ? { timeoutMs: options.webhookTimeoutMs } : {}),
      });
    case 'amqp':
      return new AmqpSink({ url: required(settings.amqpUrl, 'amqp_url'), exchange: settings.amqpExchange });
    case 'embedded':
      return new EmbeddedSink(embeddedHandler);
    default: {
      const never: never = settings.sink;
      throw new Error(`unknown sink ${String(never)}`);
    }
  }
};
