import type { ProcessingEventPayload } from '@codedispatch/postgres';
import type { ClosableEventSink, OutboxEvent } from './event';

export type EmbeddedHandler = (event: ProcessingEventPayload) => Promise<void>;

/**
 * Delivers in-process: the app passes a handler that runs the drivers-lookup
 * use case for `event.order_id`, so a standalone deployment and the demo run
 * the whole flow. A rejected handler (the tracker unreachable, say) is retried
 * like any other sink; the handler should resolve for outcomes that are final
 * for this event (assigned, a retryable error recorded, the assignment no
 * longer in processing).
 */
export class EmbeddedSink implements ClosableEventSink {
  constructor(private readonly handler: EmbeddedHandler) {}

  async deliver(event: OutboxEvent): Promise<void> {
    await this.handler(event.payload);
  }

  async close(): Promise<void> {}
}
