import {
  areaSettingsOf,
  displayCode,
  driverMessage,
  type Assignment,
  type AssignmentErrorCode,
  type DispatchConfig,
  type Locale,
  type LookupResult,
  type Status,
} from '@codedispatch/core';
import { changeToJson, type ActorJson, type ChangeJson } from '@codedispatch/core/adapter';

/*
 * The success bodies of SPEC §6: snake_case, timestamps as ISO-8601 UTC with
 * milliseconds. Pure mappings from the core's values; the OpenAPI document
 * (`openapi.ts`) describes the same shapes.
 */

export const iso = (d: Date): string => d.toISOString();

/** The code as the passenger is shown it, grouped by the area's generator. */
const codeDisplay = (config: DispatchConfig, a: Assignment): string =>
  displayCode(areaSettingsOf(config, a.areaId).generator, a.code);

export interface CreateOrderResponse {
  readonly order_id: string;
  readonly area_id: string;
  readonly code: string;
  readonly code_display: string;
  readonly status: Status;
  readonly error_code?: AssignmentErrorCode;
  readonly expires_at: string;
  readonly instructions?: string;
}

export const createOrderResponse = (
  config: DispatchConfig,
  a: Assignment,
  instructions: string | undefined,
): CreateOrderResponse => ({
  order_id: a.orderId,
  area_id: a.areaId,
  code: a.code,
  code_display: codeDisplay(config, a),
  status: a.status,
  ...(a.errorCode !== null ? { error_code: a.errorCode } : {}),
  expires_at: iso(a.expiresAt),
  ...(instructions !== undefined ? { instructions } : {}),
});

export interface CancelOrderResponse {
  readonly order_id: string;
  readonly status: Status;
  readonly error_code: AssignmentErrorCode | null;
}

export const cancelOrderResponse = (a: Assignment): CancelOrderResponse => ({
  order_id: a.orderId,
  status: a.status,
  error_code: a.errorCode,
});

/** What a driver sees of an order: his view of it (SPEC §6, status). */
export interface DriverStateView {
  readonly orderId: string;
  readonly status: Status;
  readonly errorCode: AssignmentErrorCode | null;
  readonly updatedAt: Date;
}

export interface DriverStateResponse {
  readonly order_id: string;
  readonly status: Status;
  readonly error_code?: AssignmentErrorCode;
  readonly message?: string;
  readonly updated_at: string;
}

/** Assign and status answers; `message` explains the error code in the driver's language. */
export const driverStateResponse = (v: DriverStateView, locale: Locale): DriverStateResponse => ({
  order_id: v.orderId,
  status: v.status,
  ...(v.errorCode !== null ? { error_code: v.errorCode, message: driverMessage(v.errorCode, locale) } : {}),
  updated_at: iso(v.updatedAt),
});

export const sameDriverState = (a: DriverStateView, b: DriverStateView): boolean =>
  a.status === b.status && a.errorCode === b.errorCode && a.updatedAt.getTime() === b.updatedAt.getTime();

export interface LookupResponse {
  readonly order_id: string;
  readonly status: Status;
  readonly candidate?: {
    readonly park_db_id: string;
    readonly driver_id: string;
    readonly position?: { readonly lat: number; readonly lon: number };
    readonly due?: string;
  };
  readonly error_code?: AssignmentErrorCode;
}

export const lookupResponse = (r: LookupResult): LookupResponse => ({
  order_id: r.assignment.orderId,
  status: r.assignment.status,
  ...(r.candidate !== undefined
    ? {
        candidate: {
          park_db_id: r.candidate.driver.parkDbId,
          driver_id: r.candidate.driver.driverId,
          ...(r.candidate.position !== undefined
            ? { position: { lat: r.candidate.position.lat, lon: r.candidate.position.lon } }
            : {}),
          ...(r.candidate.due !== undefined ? { due: iso(r.candidate.due) } : {}),
        },
      }
    : {}),
  ...(r.assignment.errorCode !== null ? { error_code: r.assignment.errorCode } : {}),
});

/** The change log as the API shows it: the core's wire form (SPEC §3). */
export type ActorResponse = ActorJson;
export type ChangeResponse = ChangeJson;

export interface AssignmentResponse {
  readonly order_id: string;
  readonly area_id: string;
  readonly code: string;
  readonly code_display: string;
  readonly status: Status;
  readonly error_code: AssignmentErrorCode | null;
  readonly park_db_id: string | null;
  readonly driver_id: string | null;
  readonly user_id: string | null;
  readonly attempt: number;
  readonly legacy: boolean;
  readonly created_at: string;
  readonly updated_at: string;
  readonly expires_at: string;
  readonly changes: readonly ChangeResponse[];
}

/** The whole record with its change log (GET /v1/assignments/{order_id}). */
export const assignmentResponse = (config: DispatchConfig, a: Assignment): AssignmentResponse => ({
  order_id: a.orderId,
  area_id: a.areaId,
  code: a.code,
  code_display: codeDisplay(config, a),
  status: a.status,
  error_code: a.errorCode,
  park_db_id: a.driver?.parkDbId ?? null,
  driver_id: a.driver?.driverId ?? null,
  user_id: a.userId,
  attempt: a.attempt,
  legacy: a.legacy,
  created_at: iso(a.createdAt),
  updated_at: iso(a.updatedAt),
  expires_at: iso(a.expiresAt),
  changes: a.changes.map(changeToJson),
});
