import { setTimeout as sleep } from 'node:timers/promises';
import { areaId, driver, orderId, type AcquireResult } from '@codedispatch/core';
import { HttpDriverTracker, type HttpDriverTrackerOptions, type TrackerOutcome } from './http-driver-tracker';
import { FakeTrackerServer, type TrackerAnswer } from './testing';

const d = driver('park-1', 'driver-1');
const other = driver('park-1', 'driver-2');

let server: FakeTrackerServer;
let url: string;

beforeEach(async () => {
  server = new FakeTrackerServer();
  url = await server.start();
});
afterEach(() => server.close());

// A generous try timeout where timing is not the point, so a loaded CI machine does not turn answers into timeouts.
const trackerWith = (options: Partial<HttpDriverTrackerOptions> = {}): HttpDriverTracker =>
  new HttpDriverTracker({ url, timeoutMs: 1000, totalBudgetMs: 2000, random: () => 0.5, ...options });

const acquire = (tracker: HttpDriverTracker, who = d): Promise<AcquireResult> =>
  tracker.acquire(who, orderId('o-1'), areaId('svo_d'));

const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const result = await f();
  return [result, performance.now() - started];
};

describe('HttpDriverTracker: answers', () => {
  it.each<[string, TrackerAnswer, AcquireResult]>([
    [
      'acquired',
      { kind: 'acquired', position: { lat: 59.8, lon: 30.26 } },
      { kind: 'acquired', position: { lat: 59.8, lon: 30.26 } },
    ],
    ['404 driver_not_found', { kind: 'not_found' }, { kind: 'not_found' }],
    ['409 driver_busy', { kind: 'busy' }, { kind: 'busy' }],
    ['422 driver_out_of_area', { kind: 'out_of_area' }, { kind: 'out_of_area' }],
    ['500', { kind: 'status', status: 500 }, { kind: 'unavailable', retryAfterS: 1 }],
    ['400', { kind: 'status', status: 400, body: { code: 'invalid_request' } }, { kind: 'unavailable', retryAfterS: 1 }],
    [
      '404 without the protocol code',
      { kind: 'status', status: 404, body: 'Not Found' },
      { kind: 'unavailable', retryAfterS: 1 },
    ],
    ['malformed 200', { kind: 'malformed' }, { kind: 'unavailable', retryAfterS: 1 }],
    [
      '200 without a position',
      { kind: 'malformed', body: JSON.stringify({ driver: { park_db_id: 'park-1', driver_id: 'driver-1' } }) },
      { kind: 'unavailable', retryAfterS: 1 },
    ],
  ])('%s, asked once (not retried)', async (_name, answer, expected) => {
    server.script(d, answer);
    const outcomes: TrackerOutcome[] = [];
    const tracker = trackerWith({ onOutcome: (o) => outcomes.push(o) });

    await expect(acquire(tracker)).resolves.toStrictEqual(expected);
    expect(server.requests).toHaveLength(1);
    expect(outcomes).toStrictEqual([expected.kind]);
  });

  it('sends exactly the protocol request', async () => {
    await acquire(trackerWith());

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/acquire');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body).toStrictEqual({ park_db_id: 'park-1', driver_id: 'driver-1', order_id: 'o-1', area_id: 'svo_d' });
  });

  it('accepts a base URL with a trailing slash', async () => {
    const tracker = new HttpDriverTracker({ url: `${url}/`, timeoutMs: 1000 });
    await expect(acquire(tracker)).resolves.toMatchObject({ kind: 'acquired' });
    expect(server.requests[0]?.path).toBe('/v1/acquire');
  });

  it('answers per driver', async () => {
    server.script(other, { kind: 'busy' });
    const tracker = trackerWith();
    await expect(acquire(tracker, d)).resolves.toMatchObject({ kind: 'acquired' });
    await expect(acquire(tracker, other)).resolves.toStrictEqual({ kind: 'busy' });
  });
});

describe('HttpDriverTracker: timeouts and retries', () => {
  it('gives up on a hanging tracker within the budget', async () => {
    server.script(d, { kind: 'hang' });
    const tracker = new HttpDriverTracker({ url }); // defaults: 300 ms a try, 3 tries, 1500 ms in all

    const [result, ms] = await timed(() => acquire(tracker));

    expect(result).toStrictEqual({ kind: 'unavailable', retryAfterS: 1 });
    expect(ms).toBeLessThan(2000);
    expect(ms).toBeGreaterThanOrEqual(900); // three tries of 300 ms
    expect(server.requests).toHaveLength(3);
  });

  it('cuts the last try short at the total budget', async () => {
    server.script(d, { kind: 'hang' });
    const tracker = trackerWith({ timeoutMs: 400, totalBudgetMs: 600, maxAttempts: 5 });

    const [result, ms] = await timed(() => acquire(tracker));

    expect(result).toStrictEqual({ kind: 'unavailable', retryAfterS: 1 });
    expect(ms).toBeGreaterThanOrEqual(590);
    expect(ms).toBeLessThan(750);
    expect(server.requests).toHaveLength(2); // 400 ms, ~37 ms backoff, the remaining ~160 ms; no room for a third
  });

  it.each([502, 503, 504])('retries %i, then answers unavailable', async (status) => {
    server.script(d, { kind: 'status', status });
    await expect(acquire(trackerWith())).resolves.toStrictEqual({ kind: 'unavailable', retryAfterS: 1 });
    expect(server.requests).toHaveLength(3);
  });

  it('honours maxAttempts', async () => {
    server.script(d, { kind: 'status', status: 503 });
    await acquire(trackerWith({ maxAttempts: 2 }));
    expect(server.requests).toHaveLength(2);
  });

  it('acquires through a tracker that fails once', async () => {
    server.script(d, { kind: 'status', status: 503 }, { kind: 'acquired', position: { lat: 1, lon: 2 } });
    await expect(acquire(trackerWith())).resolves.toStrictEqual({ kind: 'acquired', position: { lat: 1, lon: 2 } });
    expect(server.requests).toHaveLength(2);
  });

  it('acquires after a try that timed out', async () => {
    server.script(d, { kind: 'hang' }, { kind: 'acquired' });
    await expect(acquire(trackerWith({ timeoutMs: 300 }))).resolves.toMatchObject({ kind: 'acquired' });
    expect(server.requests).toHaveLength(2);
    // the retry is the same request: acquire is idempotent per (driver, order)
    expect(server.requests[1]?.body).toStrictEqual(server.requests[0]?.body);
  });

  it('answers unavailable when the tracker is unreachable', async () => {
    await server.close();
    const [result, ms] = await timed(() => acquire(trackerWith()));
    expect(result).toStrictEqual({ kind: 'unavailable', retryAfterS: 1 });
    expect(ms).toBeLessThan(2000);
  });
});

describe('HttpDriverTracker: circuit breaker', () => {
  it('opens after the threshold, short-circuits, and closes again once the tracker is healthy', async () => {
    server.script(d, { kind: 'status', status: 500 });
    const outcomes: TrackerOutcome[] = [];
    const tracker = trackerWith({
      maxAttempts: 1,
      breaker: { threshold: 3, halfOpenAfterMs: 300 },
      onOutcome: (o) => outcomes.push(o),
    });

    for (let i = 0; i < 3; i++) await acquire(tracker);
    expect(server.requests).toHaveLength(3);

    // open: answered at once, without reaching the tracker
    const [open, ms] = await timed(() => acquire(tracker));
    expect(open).toStrictEqual({ kind: 'unavailable', retryAfterS: 1 });
    expect(ms).toBeLessThan(50);
    await acquire(tracker, other);
    expect(server.requests).toHaveLength(3);

    server.script(d, { kind: 'acquired' });
    await sleep(350);
    await expect(acquire(tracker)).resolves.toMatchObject({ kind: 'acquired' }); // the half-open probe
    await expect(acquire(tracker)).resolves.toMatchObject({ kind: 'acquired' }); // closed again
    expect(server.requests).toHaveLength(5);
    expect(outcomes).toStrictEqual([
      'unavailable',
      'unavailable',
      'unavailable',
      'circuit_open',
      'circuit_open',
      'acquired',
      'acquired',
    ]);
  });

  it('counts every failed try, stops retrying when it opens, and says how long it stays open', async () => {
    server.script(d, { kind: 'status', status: 503 });
    const outcomes: TrackerOutcome[] = [];
    const tracker = trackerWith({ breaker: { threshold: 5, halfOpenAfterMs: 5000 }, onOutcome: (o) => outcomes.push(o) });

    await expect(acquire(tracker)).resolves.toStrictEqual({ kind: 'unavailable', retryAfterS: 1 });
    expect(server.requests).toHaveLength(3);
    // the fifth failed try opens the circuit: no third try, and a Retry-After of the open time
    await expect(acquire(tracker)).resolves.toStrictEqual({ kind: 'unavailable', retryAfterS: 5 });
    expect(server.requests).toHaveLength(5);
    await expect(acquire(tracker)).resolves.toStrictEqual({ kind: 'unavailable', retryAfterS: 5 });
    expect(server.requests).toHaveLength(5);
    expect(outcomes).toStrictEqual(['unavailable', 'unavailable', 'circuit_open']);
  });

  it('rounds the remaining open time up', async () => {
    server.script(d, { kind: 'status', status: 500 });
    const tracker = trackerWith({ breaker: { threshold: 1, halfOpenAfterMs: 2500 } });
    await acquire(tracker);
    await sleep(600); // 1.9 s left
    await expect(acquire(tracker)).resolves.toStrictEqual({ kind: 'unavailable', retryAfterS: 2 });
  });

  it('opens again when the half-open probe fails', async () => {
    server.script(d, { kind: 'status', status: 500 });
    const tracker = trackerWith({ breaker: { threshold: 1, halfOpenAfterMs: 200 } });
    await acquire(tracker);
    await sleep(250);

    await expect(acquire(tracker)).resolves.toMatchObject({ kind: 'unavailable' }); // the probe reaches the tracker
    expect(server.requests).toHaveLength(2);
    await expect(acquire(tracker)).resolves.toMatchObject({ kind: 'unavailable' });
    expect(server.requests).toHaveLength(2);
  });

  it('lets one probe through while half-open and answers the others at once', async () => {
    server.script(d, { kind: 'status', status: 500 }, { kind: 'hang' });
    const outcomes: TrackerOutcome[] = [];
    const tracker = trackerWith({
      timeoutMs: 200,
      breaker: { threshold: 1, halfOpenAfterMs: 100 },
      onOutcome: (o) => outcomes.push(o),
    });
    await acquire(tracker);
    await sleep(150);

    const probe = acquire(tracker);
    await sleep(20);
    const [second, ms] = await timed(() => acquire(tracker, other));
    expect(second).toStrictEqual({ kind: 'unavailable', retryAfterS: 1 });
    expect(ms).toBeLessThan(50);
    await expect(probe).resolves.toMatchObject({ kind: 'unavailable' });
    expect(server.requests).toHaveLength(2);
    expect(outcomes).toStrictEqual(['unavailable', 'circuit_open', 'unavailable']);
  });

  it('is not tripped by refusals', async () => {
    server.script(d, { kind: 'not_found' });
    const tracker = trackerWith({ breaker: { threshold: 2, halfOpenAfterMs: 5000 } });
    for (let i = 0; i < 5; i++) await expect(acquire(tracker)).resolves.toStrictEqual({ kind: 'not_found' });
    expect(server.requests).toHaveLength(5);
  });
});

describe('HttpDriverTracker: options', () => {
  it('reports every call with its duration', async () => {
    const seen: [TrackerOutcome, number][] = [];
    await acquire(trackerWith({ onOutcome: (o, ms) => seen.push([o, ms]) }));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.[0]).toBe('acquired');
    expect(seen[0]?.[1]).toBeGreaterThanOrEqual(0);
  });

  it('is not disturbed by a throwing onOutcome', async () => {
    const tracker = trackerWith({
      onOutcome: () => {
        throw new Error('metrics down');
      },
    });
    await expect(acquire(tracker)).resolves.toMatchObject({ kind: 'acquired' });
  });

  it.each<[string, Partial<HttpDriverTrackerOptions>]>([
    ['a budget over 2 s', { totalBudgetMs: 2001 }],
    ['a zero timeout', { timeoutMs: 0 }],
    ['no attempts', { maxAttempts: 0 }],
    ['a zero breaker threshold', { breaker: { threshold: 0, halfOpenAfterMs: 1000 } }],
    ['a non-HTTP url', { url: 'ftp://127.0.0.1/' }],
    ['a malformed url', { url: 'not a url' }],
  ])('refuses %s', (_name, options) => {
    expect(() => trackerWith(options)).toThrow(RangeError);
  });
});
