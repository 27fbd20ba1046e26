/*
 * The four hot paths as request generators over seeded data. Each generator
 * hands out the next request of its path; assign and lookup consume one
 * seeded order per request (a unique code and driver each), so they never
 * collide on `driver_has_active_assignment` or the attempt limit.
 *
 * Seed layout of a scratch database (all in the bench area):
 *   a-<i>  pending, code assignCodes[i]          → assign by driver a<i>
 *   l-<i>  processing, held by driver l<i>        → drivers-lookup
 *   s-<i>  processing, held by driver s<i>        → status by driver s<i> (round robin)
 *   w-<i>  processing, held by driver w<i>        → long-polls (long-poll.ts)
 */
import { AREA, codesFrom, driverJwt, SERVICE_TOKEN, type RequestShape, type SeedSpec } from './common';

export type PathName = 'create' | 'assign' | 'status' | 'lookup';
export const PATHS: readonly PathName[] = ['create', 'assign', 'status', 'lookup'];

const STATUS_ORDERS = 1_000;

/** The data every target database gets, and the driver tokens that go with it (the same for every target). */
export class Workload {
  readonly assignCodes: readonly string[];
  /** Minted up front, so no signing runs during a measurement. */
  private readonly assignTokens: readonly string[];
  private readonly statusTokens: readonly string[];

  constructor(readonly size: number) {
    this.assignCodes = codesFrom(0, size);
    this.assignTokens = Array.from({ length: size }, (_, i) => driverJwt(`a${i}`));
    this.statusTokens = Array.from({ length: STATUS_ORDERS }, (_, i) => driverJwt(`s${i}`));
  }

  seedSpec(): SeedSpec {
    return {
      pending: { prefix: 'a', codes: this.assignCodes },
      processing: [
        { prefix: 'l', count: this.size, codeStart: this.size + 1_000 },
        { prefix: 's', count: STATUS_ORDERS, codeStart: 2 * this.size + 2_000 },
      ],
    };
  }

  /** A fresh request stream for one target (its own counters). */
  stream(): Record<PathName, () => RequestShape> & { used: Record<PathName, number> } {
    const used: Record<PathName, number> = { create: 0, assign: 0, status: 0, lookup: 0 };
    const service = { authorization: `Bearer ${SERVICE_TOKEN}` };
    return {
      used,
      create: () => ({
        method: 'POST',
        path: '/v1/order/create',
        headers: service,
        body: JSON.stringify({ order_id: `c-${used.create++}`, area_id: AREA }),
      }),
      assign: () => {
        // Past the seed, codes come round again: those answers are non-2xx, and counted.
        const i = used.assign++ % this.size;
        return {
          method: 'POST',
          path: '/v1/order/assign',
          headers: { authorization: `Bearer ${this.assignTokens[i] as string}` },
          body: JSON.stringify({ area_id: AREA, code: this.assignCodes[i] }),
        };
      },
      status: () => {
        const k = used.status++ % STATUS_ORDERS;
        return {
          method: 'GET',
          path: `/v1/assignment/status?order_id=s-${k}`,
          headers: { authorization: `Bearer ${this.statusTokens[k] as string}` },
        };
      },
      lookup: () => ({
        method: 'POST',
        path: '/v1/drivers-lookup',
        headers: service,
        body: JSON.stringify({ order_id: `l-${used.lookup++ % this.size}` }),
      }),
    };
  }
}
