import { DEFAULT_GENERATOR } from '@codedispatch/core';
import { DEFAULT_BEHAVIOUR, DEFAULT_TRACKER } from './options';
import type { EntryRecord, PassengerRecord, RequestRecord } from './records';
import { formatReport, summarise } from './report';
import { timeSeries } from './series';
import type { SimulationResult } from './result';
import { percentile } from './stats';

const request = (r: Partial<RequestRecord>): RequestRecord => ({
  at: 0,
  actor: 'driver',
  method: 'POST',
  route: '/v1/order/assign',
  instance: 'http://a',
  outcome: 'answered',
  status: 200,
  errorCode: null,
  latencyMs: 10,
  deadlineMs: 5_000,
  orderId: null,
  ...r,
});

const passenger = (p: Partial<PassengerRecord>): PassengerRecord => ({
  orderId: 'o',
  areaId: 'svo_d',
  arrivedAt: 0,
  code: '482918',
  cancelAt: null,
  clientOutcome: 'assigned',
  finalOutcome: 'assigned',
  finalStatus: 'assigned',
  driverId: 'd1',
  entryToAssignedMs: null,
  assignedAt: null,
  entries: 1,
  ...p,
});

const ride = (areaId: string, assignedAt: number, ms: number): PassengerRecord =>
  passenger({ orderId: `${areaId}-${assignedAt}`, areaId, assignedAt, entryToAssignedMs: ms });

const entry = (e: EntryRecord['entry'], answer: string): EntryRecord => ({
  at: 0,
  areaId: 'svo_d',
  orderId: 'o',
  driverId: 'd1',
  entry: e,
  answer,
});

const result = (over: Partial<SimulationResult>): SimulationResult => ({
  startedAt: '2026-12-01T10:00:00.000Z',
  settings: {
    seed: 1,
    areas: [
      { id: 'svo_d', ratePerHour: 1_800, drivers: 10 },
      { id: 'zenit', ratePerHour: 600, drivers: 5 },
    ],
    durationMs: 60_000,
    behaviour: DEFAULT_BEHAVIOUR,
    tracker: DEFAULT_TRACKER,
    sink: 'webhook',
    instances: ['http://a'],
    startedHere: true,
    storage: 'pglite',
    generator: DEFAULT_GENERATOR,
    requestTimeoutMs: 5_000,
    sampleMs: 1_000,
    orderExpireS: 120,
  },
  trafficMs: 60_000,
  elapsedMs: 65_000,
  stoppedBy: 'duration',
  drained: true,
  requests: [],
  entries: [],
  events: [],
  passengers: [],
  samples: [],
  tracker: {
    acquires: 0,
    acquired: 0,
    notFound: 0,
    busy: 0,
    busyReserved: 0,
    outOfArea: 0,
    unavailable: 0,
    hung: 0,
    malformed: 0,
  },
  webhook: null,
  processing: { events: 0, deliveries: 0, duplicates: 0, stale: 0, lookups: 0, lookupRequests: 0 },
  ...over,
});

describe('percentile', () => {
  it('is the nearest rank', () => {
    const sorted = [100, 200, 300, 400];
    expect(percentile(sorted, 0.5)).toBe(200);
    expect(percentile(sorted, 0.99)).toBe(400);
    expect(percentile(sorted, 0)).toBe(100);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.99,
      ),
    ).toBe(99);
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('summarise', () => {
  const r = result({
    passengers: [
      ride('svo_d', 1_000, 400),
      ride('svo_d', 2_000, 100),
      ride('svo_d', 3_000, 300),
      ride('svo_d', 4_000, 200),
      ride('zenit', 5_000, 1_000),
      passenger({ orderId: 'c', areaId: 'zenit', clientOutcome: 'cancelled', finalOutcome: 'cancelled' }),
      passenger({ orderId: 'e', areaId: 'zenit', clientOutcome: 'expired', finalOutcome: 'expired' }),
      // The service's word counts over the simulation's own view…
      passenger({ orderId: 'x', areaId: 'zenit', clientOutcome: 'unfinished', finalOutcome: 'expired' }),
      // …unless it could not be read.
      passenger({ orderId: 'y', areaId: 'zenit', clientOutcome: 'cancelled', finalOutcome: 'unknown' }),
    ],
    entries: [
      entry('typo', 'invalid_code_checksum'),
      entry('swap', 'invalid_code_checksum'),
      entry('swap', 'processing'),
      entry('wrong_code', 'code_not_found'),
      entry('correct', 'processing'),
      entry('correct', 'too_many_attempts'),
    ],
    requests: [
      request({ latencyMs: 5 }),
      request({ status: 400, errorCode: 'invalid_code_checksum', latencyMs: 15 }),
      request({ status: 429, errorCode: 'too_many_attempts', latencyMs: 25 }),
      request({ route: '/v1/drivers-lookup', status: 503, errorCode: 'tracker_unavailable' }),
      request({ route: '/v1/drivers-lookup', status: 500, errorCode: 'internal_error' }),
      request({ route: '/v1/order/create', outcome: 'timeout', status: null, latencyMs: 5_002 }),
      request({ route: '/v1/order/create', outcome: 'network_error', status: null, latencyMs: 7_000 }),
      request({ route: '/v1/order/create', outcome: 'aborted', status: null }),
    ],
    samples: [
      { at: 500, waiting: {}, driversQueued: {}, codeSpace: { svo_d: 0.001, zenit: 0 }, outboxDepth: 2 },
      { at: 1_500, waiting: {}, driversQueued: {}, codeSpace: { svo_d: 0.004, zenit: 0.002 }, outboxDepth: 7 },
      { at: 2_500, waiting: {}, driversQueued: {}, codeSpace: { svo_d: 0.003, zenit: 0.002 }, outboxDepth: 0 },
    ],
  });
  const s = summarise(r);

  it('counts outcomes per area by the service’s word, rides per hour of arrivals and their latency', () => {
    const [svo, zenit] = s.areas;
    expect(svo).toMatchObject({
      arrivals: 4,
      ridesPerHour: 240,
      entryToAssigned: { count: 4, p50Ms: 200, p99Ms: 400, maxMs: 400 },
    });
    expect(zenit?.outcomes).toEqual({ assigned: 1, cancelled: 2, expired: 2, unfinished: 0, not_created: 0, unknown: 0 });
    expect(s.all.outcomes.assigned).toBe(5);
    expect(s.all.ridesPerHour).toBe(300);
    expect(s.all.entryToAssigned).toEqual({ count: 5, p50Ms: 300, p99Ms: 1_000, maxMs: 1_000 });
    expect(s.disagreements).toBe(1);
  });

  it('tells typos answered 503 during an outage apart from those the check let past', () => {
    const outage = summarise(result({ entries: [entry('typo', 'storage_unavailable'), entry('swap', 'invalid_code_checksum')] }));
    expect(outage.entries).toMatchObject({ caughtByCheck: 1, missedByCheck: 0, notChecked: 1 });
    expect(
      formatReport(result({ entries: [entry('typo', 'storage_unavailable'), entry('swap', 'invalid_code_checksum')] })),
    ).toContain('typos caught by the check character: 1 of 1 (100.0 %) (and 1 answered 503 during an outage, before any check)');
  });

  it('counts typos and swaps caught by the check character, and those that got past it', () => {
    expect(s.entries).toEqual({
      entries: 6,
      correct: 2,
      typos: 1,
      swaps: 2,
      wrongCodes: 1,
      caughtByCheck: 2,
      missedByCheck: 1,
      notChecked: 0,
      wrongCodesNotFound: 1,
      tooManyAttempts: 1,
    });
  });

  it('counts errors by code, tells documented 503s from other 5xx, and finds requests past their deadline', () => {
    expect(s.errorsByCode).toEqual([
      { code: 'internal_error', count: 1 },
      { code: 'invalid_code_checksum', count: 1 },
      { code: 'network_error', count: 1 },
      { code: 'timeout', count: 1 },
      { code: 'too_many_attempts', count: 1 },
      { code: 'tracker_unavailable', count: 1 },
    ]);
    expect(s.undocumented5xx).toBe(1);
    expect(s.pastDeadline).toBe(1);
    const assign = s.routes.find((q) => q.route === '/v1/order/assign');
    expect(assign).toMatchObject({ count: 3, ok: 1, clientErrors: 1, tooManyAttempts: 1, p50Ms: 15, maxMs: 25 });
    const create = s.routes.find((q) => q.route === '/v1/order/create');
    expect(create).toMatchObject({ count: 3, timeouts: 1, networkErrors: 1, aborted: 1 });
  });

  it('follows code-space use and the outbox depth over the samples', () => {
    expect(s.areas[0]?.codeSpace).toEqual({ first: 0.001, last: 0.003, max: 0.004 });
    expect(s.outboxDepth).toEqual({ max: 7, last: 0 });
  });

  it('prints every section', () => {
    const text = formatReport(r, s);
    for (const heading of [
      'Passengers',
      'Code entries',
      'Requests',
      'Errors by code',
      'Processing stand-in',
      'Tracker stand-in',
      'Code space',
    ])
      expect(text).toContain(heading);
    expect(text).toContain('typos caught by the check character: 2 of 3 (66.7 %); 1 got past it');
  });
});

describe('timeSeries', () => {
  it('gives requests per second by outcome per bucket, leaving out the monitor and the verifier', () => {
    const rows = timeSeries(
      result({
        elapsedMs: 3_000,
        requests: [
          request({ at: 100 }),
          request({ at: 900, status: 400 }),
          request({ at: 1_500, outcome: 'timeout', status: null }),
          request({ at: 1_600, status: 503 }),
          request({ at: 1_700, actor: 'monitor' }),
          request({ at: 2_100, actor: 'verifier' }),
        ],
      }),
    );
    expect(rows.map((row) => row.t)).toEqual([0, 1, 2]);
    expect(rows[0]?.requests).toMatchObject({ '2xx': 1, '4xx': 1, timeout: 0 });
    expect(rows[1]?.requests).toMatchObject({ '2xx': 0, '5xx': 1, timeout: 1 });
    expect(rows[2]?.requests['2xx']).toBe(0);
  });

  it('takes latency percentiles over the trailing window and counts rides per bucket', () => {
    const rows = timeSeries(
      result({ elapsedMs: 4_000, passengers: [ride('svo_d', 500, 100), ride('svo_d', 1_500, 300), ride('svo_d', 3_500, 200)] }),
      { latencyWindowMs: 2_000 },
    );
    expect(rows.map((row) => row.rides)).toEqual([1, 1, 0, 1]);
    expect(rows.map((row) => row.p50Ms)).toEqual([100, 100, 300, 200]);
    expect(rows.map((row) => row.p99Ms)).toEqual([100, 300, 300, 200]);
  });
});
