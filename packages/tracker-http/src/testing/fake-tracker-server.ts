import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACQUIRE_PATH, REFUSALS } from '../protocol';

/** What the fake tracker answers one acquire with. */
export type TrackerAnswer =
  | { readonly kind: 'acquired'; readonly position?: { readonly lat: number; readonly lon: number } }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'busy' }
  | { readonly kind: 'out_of_area' }
  /** Any other status, e.g. 500 or 503; `body` defaults to `{code: "tracker_error"}`. */
  | { readonly kind: 'status'; readonly status: number; readonly body?: unknown }
  /** Never answers; the connection is dropped by `close()`. */
  | { readonly kind: 'hang' }
  /** 200 with a body that is not a valid acquire answer (truncated JSON unless given). */
  | { readonly kind: 'malformed'; readonly body?: string };

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The raw body as received. */
  readonly text: string;
  /** The body parsed as JSON, `undefined` if it is not JSON. */
  readonly body: unknown;
}

export interface FakeTrackerOptions {
  /** The answer for a driver without a script: acquired at this position. */
  readonly position?: { readonly lat: number; readonly lon: number };
}

interface DriverKey {
  readonly parkDbId: string;
  readonly driverId: string;
}

const keyOf = (parkDbId: string, driverId: string): string => JSON.stringify([parkDbId, driverId]);

const isAcquireBody = (u: unknown): u is Record<'park_db_id' | 'driver_id' | 'order_id' | 'area_id', string> =>
  typeof u === 'object' &&
  u !== null &&
  ['park_db_id', 'driver_id', 'order_id', 'area_id'].every((k) => typeof (u as Record<string, unknown>)[k] === 'string');

const STATUS_OF = { not_found: 404, busy: 409, out_of_area: 422 } as const;

/**
 * A tracker on 127.0.0.1 (a free port) that speaks the acquire protocol and
 * answers as scripted per driver. Unscripted drivers are acquired, and so is
 * the same driver for the same order again (the protocol's idempotency).
 */
export class FakeTrackerServer {
  private readonly server: Server;
  private readonly scripts = new Map<string, TrackerAnswer[]>();
  private readonly received: RecordedRequest[] = [];
  private readonly position: { readonly lat: number; readonly lon: number };
  private address: string | null = null;

  constructor(options: FakeTrackerOptions = {}) {
    this.position = options.position ?? { lat: 55.9726, lon: 37.4146 };
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.handle(req.method ?? '', req.url ?? '', req.headers, Buffer.concat(chunks).toString('utf8'), res));
    });
  }

  /**
   * The answers for this driver's next acquires, in order; the last one
   * repeats. Replaces any earlier script for the driver.
   */
  script(driver: DriverKey, ...answers: readonly [TrackerAnswer, ...TrackerAnswer[]]): this {
    this.scripts.set(keyOf(driver.parkDbId, driver.driverId), [...answers]);
    return this;
  }

  /** Every request received so far, in order. */
  get requests(): readonly RecordedRequest[] {
    return this.received;
  }

  clearRequests(): void {
    this.received.length = 0;
  }

  get url(): string {
    if (this.address === null) throw new Error('FakeTrackerServer is not started');
    return this.address;
  }

  start(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject);
        const { port } = this.server.address() as AddressInfo;
        this.address = `http://127.0.0.1:${port}`;
        resolve(this.address);
      });
    });
  }

  /** Stops listening and drops every connection, hanging requests included. */
  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.server.close((err) => (err ? reject(err) : resolve()));
      this.server.closeAllConnections();
    });
  }

  private handle(method: string, path: string, headers: IncomingHttpHeaders, text: string, res: ServerResponse): void {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    this.received.push({ method, path, headers, text, body });

    if (path !== ACQUIRE_PATH) return send(res, 404, { code: 'not_found' });
    if (method !== 'POST') return send(res, 405, { code: 'method_not_allowed' });
    if (!isAcquireBody(body)) return send(res, 400, { code: 'invalid_request' });

    const answer = this.next(body.park_db_id, body.driver_id);
    switch (answer.kind) {
      case 'acquired':
        return send(res, 200, {
          driver: { park_db_id: body.park_db_id, driver_id: body.driver_id, position: answer.position ?? this.position },
        });
      case 'not_found':
      case 'busy':
      case 'out_of_area':
        return send(res, STATUS_OF[answer.kind], { code: REFUSALS[STATUS_OF[answer.kind]].code });
      case 'status':
        return send(res, answer.status, answer.body ?? { code: 'tracker_error' });
      case 'hang':
        return; // closeAllConnections() ends it
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' }).end(answer.body ?? '{"driver": {"park_db_id": ');
        return;
      default: {
        const never: never = answer;
        throw new Error(`unknown answer ${JSON.stringify(never)}`);
      }
    }
  }

  private next(parkDbId: string, driverId: string): TrackerAnswer {
    const queue = this.scripts.get(keyOf(parkDbId, driverId));
    if (queue === undefined) return { kind: 'acquired' };
    return (queue.length > 1 ? queue.shift() : queue[0]) ?? { kind: 'acquired' };
  }
}

const send = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};
