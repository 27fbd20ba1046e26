import type { AcquireResult, AreaId, Driver, OrderId } from '@codedispatch/core';

/*
 * The tracker protocol (SPEC §7, docs/tracker-protocol.md), without transport:
 * the request body codedispatch sends and what each answer means.
 */

export const ACQUIRE_PATH = '/v1/acquire';

/** `POST /v1/acquire` body. */
export interface AcquireRequestBody {
  readonly park_db_id: string;
  readonly driver_id: string;
  readonly order_id: string;
  readonly area_id: string;
}

export const acquireRequestBody = (driver: Driver, orderId: OrderId, areaId: AreaId): AcquireRequestBody => ({
  park_db_id: driver.parkDbId,
  driver_id: driver.driverId,
  order_id: orderId,
  area_id: areaId,
});

/** The `code` a tracker puts in each refusal, by status. */
export const REFUSALS = {
  404: { code: 'driver_not_found', kind: 'not_found' },
  409: { code: 'driver_busy', kind: 'busy' },
  422: { code: 'driver_out_of_area', kind: 'out_of_area' },
} as const;

/**
 * Statuses worth another try within the same call: the gateway or the
 * tracker says it cannot answer now. Safe because acquire is idempotent per
 * (driver, order). A 500 is not retried: it tends to repeat for the same input.
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

/** What one HTTP answer means: a definite answer, or a failure of this try. */
export type Answer =
  Exclude<AcquireResult, { readonly kind: 'unavailable' }> | { readonly kind: 'failure'; readonly retryable: boolean };

const failure = (retryable: boolean): Answer => ({ kind: 'failure', retryable });

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

const isCoordinate = (u: unknown, limit: number): u is number =>
  typeof u === 'number' && Number.isFinite(u) && Math.abs(u) <= limit;

/**
 * Reads one answer. A refusal counts only with its protocol `code`: a bare
 * 404 from a proxy or a wrong URL must not fail the driver's attempt. A 200
 * counts only with a valid position for the very driver that was asked for.
 */
export const readAnswer = (status: number, text: string, driver: Driver): Answer => {
  if (status === 200) {
    const body = parseJson(text);
    const d = isRecord(body) ? body['driver'] : undefined;
    const position = isRecord(d) ? d['position'] : undefined;
    if (
      !isRecord(d) ||
      d['park_db_id'] !== driver.parkDbId ||
      d['driver_id'] !== driver.driverId ||
      !isRecord(position) ||
      !isCoordinate(position['lat'], 90) ||
      !isCoordinate(position['lon'], 180)
    ) {
      return failure(false);
    }
    return { kind: 'acquired', position: { lat: position['lat'], lon: position['lon'] } };
  }
  if (status === 404 || status === 409 || status === 422) {
    const refusal = REFUSALS[status];
    const body = parseJson(text);
    return isRecord(body) && body['code'] === refusal.code ? { kind: refusal.kind } : failure(false);
  }
  return failure(RETRYABLE_STATUSES.has(status));
};
