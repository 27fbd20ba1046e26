import type { ProcessingEventPayload } from '@codedispatch/postgres';

/**
 * The processing event travels as `ProcessingEventPayload` (SPEC §7): the JSON
 * object stored in `code_dispatch.outbox.payload` by the repository, and
 * delivered by every sink, serialised the same way on every attempt.
 */
export const CODE_ENTERED: ProcessingEventPayload['type'] = 'code_dispatch.code_entered';

/** One outbox row handed to a sink. */
export interface OutboxEvent {
  readonly eventId: string;
  readonly payload: ProcessingEventPayload;
  /** Delivery attempts already made for this event (0 on the first). */
  readonly attempts: number;
}

/**
 * Where the relay delivers events. A resolved promise acknowledges the event
 * (it will not be delivered again in the normal case); a rejected one means
 * "not delivered": the relay retries it later with backoff.
 */
export interface EventSink {
  deliver(event: OutboxEvent): Promise<void>;
}

/** A sink holding resources (connections) to release at shutdown. */
export interface ClosableEventSink extends EventSink {
  close(): Promise<void>;
}
