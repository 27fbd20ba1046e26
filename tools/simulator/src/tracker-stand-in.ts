import type { IncomingMessage, ServerResponse } from 'node:http';
import { hold, listen, readBody, sendJson, Window, type Listening } from './http-server';
import type { Random } from './random';

/*
 * A stand-in for the tracker (SPEC §7, docs/tracker-protocol.md): answers
 * `POST /v1/acquire` after a configurable latency, refuses a share of the
 * acquires (driver not found, busy, out of area, a third each) and answers
 * another share 503, all settable while the run goes on, and can hang or
 * fail for a while (`hangFor`, `failFor`). It keeps the reservations a real
 * tracker would: acquire is idempotent per (driver, order), and a driver
 * reserved for another order is busy until the simulation releases him (his
 * ride is over).
 */

export interface TrackerBehaviour {
  /** Share of acquires refused: 404 driver_not_found, 409 driver_busy, 422 driver_out_of_area, a third each. */
  readonly refusalRate: number;
  /** Share of acquires answered 503 (the tracker cannot answer now). */
  readonly unavailableRate: number;
  /** Mean answer latency in ms; each answer waits it times a uniform factor in [0.5, 1.5]. */
  readonly latencyMs: number;
}

export interface TrackerStats {
  readonly acquires: number;
  readonly acquired: number;
  readonly notFound: number;
  readonly busy: number;
  /** Of `busy`: the driver was reserved for another order (not a drawn refusal). */
  readonly busyReserved: number;
  readonly outOfArea: number;
  readonly unavailable: number;
  /** Requests held by `hangFor` (no answer). */
  readonly hung: number;
  /** Bodies that were not an acquire request (answered 400). */
  readonly malformed: number;
}

export interface TrackerStandInOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  readonly behaviour: TrackerBehaviour;
  readonly random: Random;
}

interface AcquireRequest {
  readonly park_db_id: string;
  readonly driver_id: string;
  readonly order_id: string;
  readonly area_id: string;
}

const parseAcquire = (raw: Buffer | null): AcquireRequest | null => {
  if (raw === null) return null;
  try {
    const u = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    return typeof u.park_db_id === 'string' &&
      typeof u.driver_id === 'string' &&
      typeof u.order_id === 'string' &&
      typeof u.area_id === 'string'
      ? (u as unknown as AcquireRequest)
      : null;
  } catch {
    return null;
  }
};

/** Roughly the airport's pickup, with the driver's own small offset. */
const positionOf = (random: Random) => ({
  lat: 55.97 + random.between(-0.002, 0.002),
  lon: 37.41 + random.between(-0.002, 0.002),
});

export class TrackerStandIn {
  private behaviour: TrackerBehaviour;
  private readonly hanging = new Window();
  private readonly failing = new Window();
  /** park/driver → the order he is reserved for. */
  private readonly reserved = new Map<string, string>();
  private readonly counts = {
    acquires: 0,
    acquired: 0,
    notFound: 0,
    busy: 0,
    busyReserved: 0,
    outOfArea: 0,
    unavailable: 0,
    hung: 0,
    malformed: 0,
  };

  private constructor(
    private readonly listening: Listening,
    options: TrackerStandInOptions,
    private readonly random: Random,
  ) {
    this.behaviour = options.behaviour;
  }

  static async start(options: TrackerStandInOptions): Promise<TrackerStandIn> {
    let self: TrackerStandIn | null = null;
    const listening = await listen((req, res) => void self?.handle(req, res), options.host, options.port);
    self = new TrackerStandIn(listening, options, options.random);
    return self;
  }

  /** The base URL to configure as `tracker.url`. */
  get url(): string {
    return this.listening.url;
  }

  get port(): number {
    return this.listening.port;
  }

  /** Changes the behaviour from now on. */
  set(behaviour: Partial<TrackerBehaviour>): void {
    this.behaviour = { ...this.behaviour, ...behaviour };
  }

  /** For `ms`, acquires get no answer (held until the window ends, then the connection is dropped). */
  hangFor(ms: number): void {
    this.hanging.open(ms);
  }

  /** For `ms`, every acquire is answered 503. */
  failFor(ms: number): void {
    this.failing.open(ms);
  }

  /** The driver's ride is over: he may be acquired for another order. */
  release(parkDbId: string, driverId: string): void {
    this.reserved.delete(`${parkDbId}/${driverId}`);
  }

  stats(): TrackerStats {
    return { ...this.counts };
  }

  close(): Promise<void> {
    return this.listening.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/ping') return sendJson(res, 200, { ok: true });
    if (req.method !== 'POST' || path !== '/v1/acquire') {
      req.resume();
      return sendJson(res, 404, { error: 'not found' });
    }
    const request = parseAcquire(await readBody(req));
    this.counts.acquires++;
    if (request === null) {
      this.counts.malformed++;
      return sendJson(res, 400, { error: 'expected {park_db_id, driver_id, order_id, area_id}' });
    }
    if (this.hanging.active) {
      this.counts.hung++;
      await hold(res, this.hanging.left);
      res.destroy();
      return;
    }
    if (!(await hold(res, this.random.around(this.behaviour.latencyMs)))) return;
    if (this.failing.active) {
      this.counts.unavailable++;
      return sendJson(res, 503, { error: 'unavailable' });
    }
    const key = `${request.park_db_id}/${request.driver_id}`;
    const holder = this.reserved.get(key);
    if (holder !== undefined && holder !== request.order_id) {
      this.counts.busy++;
      this.counts.busyReserved++;
      return sendJson(res, 409, { code: 'driver_busy' });
    }
    // The same (driver, order) again is acquired again: acquire is idempotent.
    if (holder === undefined) {
      const u = this.random.next();
      if (u < this.behaviour.unavailableRate) {
        this.counts.unavailable++;
        return sendJson(res, 503, { error: 'unavailable' });
      }
      if (u < this.behaviour.unavailableRate + this.behaviour.refusalRate) return this.refuse(res);
    }
    this.reserved.set(key, request.order_id);
    this.counts.acquired++;
    sendJson(res, 200, {
      driver: { park_db_id: request.park_db_id, driver_id: request.driver_id, position: positionOf(this.random) },
    });
  }

  private refuse(res: ServerResponse): void {
    switch (this.random.int(3)) {
      case 0:
        this.counts.notFound++;
        return sendJson(res, 404, { code: 'driver_not_found' });
      case 1:
        this.counts.busy++;
        return sendJson(res, 409, { code: 'driver_busy' });
      default:
        this.counts.outOfArea++;
        return sendJson(res, 422, { code: 'driver_out_of_area' });
    }
  }
}
