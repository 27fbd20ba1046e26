import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import { areaId, driver, orderId, type ProcessingEvent } from '@codedispatch/core';

/** The processing event as stored in `outbox.payload` and delivered (SPEC §7). */
export interface ProcessingEventPayload {
  readonly event_id: string;
  readonly type: 'code_dispatch.code_entered';
  readonly order_id: string;
  readonly area_id: string;
  readonly park_db_id: string;
  readonly driver_id: string;
  readonly attempt: number;
  /** ISO-8601 UTC with milliseconds. */
  readonly occurred_at: string;
}

/**
 * `code_dispatch.outbox`: processing events written in the transaction of
 * their transition, delivered by the relay of @codedispatch/processing-queue.
 */
export interface OutboxTable {
  /** bigserial: node-postgres returns int8 as a string. */
  id: ColumnType<string, never, never>;
  event_id: ColumnType<string, string | undefined, never>;
  order_id: ColumnType<string, string, never>;
  type: ColumnType<string, string, never>;
  payload: ColumnType<ProcessingEventPayload, string, never>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  /** When the next delivery attempt is due. */
  available_at: Generated<Date>;
  /** Delivery attempts made so far. */
  attempts: Generated<number>;
  /** A relay holds the row until then (its lease). */
  locked_until: Date | null;
  delivered_at: Date | null;
  /** Dead letter: given up after the last attempt. */
  dead_at: Date | null;
  last_error: string | null;
}

export type OutboxRow = Selectable<OutboxTable>;
export type NewOutboxRow = Insertable<OutboxTable>;

export const eventToPayload = (eventId: string, event: ProcessingEvent): ProcessingEventPayload => ({
  event_id: eventId,
  type: event.type,
  order_id: event.orderId,
  area_id: event.areaId,
  park_db_id: event.driver.parkDbId,
  driver_id: event.driver.driverId,
  attempt: event.attempt,
  occurred_at: event.occurredAt.toISOString(),
});

export const payloadToEvent = (payload: ProcessingEventPayload): ProcessingEvent => ({
  type: payload.type,
  orderId: orderId(payload.order_id),
  areaId: areaId(payload.area_id),
  driver: driver(payload.park_db_id, payload.driver_id),
  attempt: payload.attempt,
  occurredAt: new Date(payload.occurred_at),
});
