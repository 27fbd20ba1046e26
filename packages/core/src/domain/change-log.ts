import type { Actor, AssignmentErrorCode, Change, Status } from './assignment';
import { driver } from './ids';

/*
 * The change log's wire form (SPEC §3): snake_case, timestamps as ISO-8601
 * UTC strings. It is both how the log is stored and how the API shows it, so
 * every adapter maps through these two functions.
 */

export type ActorJson =
  | { readonly kind: 'service'; readonly name: string }
  | { readonly kind: 'driver'; readonly park_db_id: string; readonly driver_id: string }
  | { readonly kind: 'system' };

export interface ChangeJson {
  /** ISO-8601 UTC with milliseconds. */
  readonly at: string;
  readonly from: Status | null;
  readonly to: Status;
  readonly actor: ActorJson;
  readonly error_code?: AssignmentErrorCode;
  readonly reason?: string;
}

export const actorToJson = (actor: Actor): ActorJson => {
  switch (actor.kind) {
    case 'service':
      return { kind: 'service', name: actor.name };
    case 'driver':
      return { kind: 'driver', park_db_id: actor.driver.parkDbId, driver_id: actor.driver.driverId };
    case 'system':
      return { kind: 'system' };
  }
};

export const actorFromJson = (json: ActorJson): Actor => {
  switch (json.kind) {
    case 'service':
      return { kind: 'service', name: json.name };
    case 'driver':
      return { kind: 'driver', driver: driver(json.park_db_id, json.driver_id) };
    case 'system':
      return { kind: 'system' };
  }
};

export const changeToJson = (change: Change): ChangeJson => ({
  at: change.at.toISOString(),
  from: change.from,
  to: change.to,
  actor: actorToJson(change.actor),
  ...(change.errorCode !== undefined ? { error_code: change.errorCode } : {}),
  ...(change.reason !== undefined ? { reason: change.reason } : {}),
});

export const changeFromJson = (json: ChangeJson): Change => ({
  at: new Date(json.at),
  from: json.from,
  to: json.to,
  actor: actorFromJson(json.actor),
  ...(json.error_code !== undefined && json.error_code !== null ? { errorCode: json.error_code } : {}),
  ...(json.reason !== undefined && json.reason !== null ? { reason: json.reason } : {}),
});
