import type { RequestRecord } from './records';
import type { SimulationResult } from './result';
import { ascending, percentile } from './stats';

/*
 * The run as a time series, one row per bucket (the sample interval): the
 * simulated traffic's requests per second by outcome, rides, code entry →
 * assigned p50/p99 over a trailing window, and the samples (queues, code
 * space, outbox depth). The monitor's /metrics scrapes and the reading of
 * the records after the run are not traffic and are left out.
 */

export const REQUEST_CLASSES = ['2xx', '4xx', '429', '5xx', 'timeout', 'network_error'] as const;
export type RequestClass = (typeof REQUEST_CLASSES)[number];

/** How a request ended, in the chart's classes; null for one the run itself stopped. */
export const requestClass = (r: RequestRecord): RequestClass | null => {
  if (r.outcome === 'aborted') return null;
  if (r.outcome !== 'answered' || r.status === null) return r.outcome === 'timeout' ? 'timeout' : 'network_error';
  if (r.status === 429) return '429';
  if (r.status >= 500) return '5xx';
  if (r.status >= 400) return '4xx';
  return '2xx';
};

export interface SeriesRow {
  /** Start of the bucket, s from the start of the run. */
  readonly t: number;
  /** Requests per second sent in the bucket, by how they ended. */
  readonly requests: Readonly<Record<RequestClass, number>>;
  /** Rides (assigned) in the bucket. */
  readonly rides: number;
  /** Code entry → assigned of the rides in the trailing window ending with the bucket; NaN without rides. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly outboxDepth: number | null;
  /** Per area. */
  readonly waiting: Readonly<Record<string, number>>;
  readonly driversQueued: Readonly<Record<string, number>>;
  /** Per area, 0..1; absent without a sample. */
  readonly codeSpace: Readonly<Record<string, number>>;
}

export interface SeriesOptions {
  readonly bucketMs?: number;
  /** Default: 10 s or 5 buckets, whichever is longer. */
  readonly latencyWindowMs?: number;
}

export const timeSeries = (r: SimulationResult, o: SeriesOptions = {}): SeriesRow[] => {
  const bucketMs = o.bucketMs ?? r.settings.sampleMs;
  const windowMs = o.latencyWindowMs ?? Math.max(10_000, 5 * bucketMs);
  const buckets = Math.max(1, Math.ceil(r.elapsedMs / bucketMs));
  const counts = Array.from(
    { length: buckets },
    () => Object.fromEntries(REQUEST_CLASSES.map((c) => [c, 0])) as Record<RequestClass, number>,
  );
  for (const q of r.requests) {
    if (q.actor === 'monitor' || q.actor === 'verifier') continue;
    const c = requestClass(q);
    const row = counts[Math.floor(q.at / bucketMs)];
    if (c !== null && row !== undefined) row[c]++;
  }
  const rides = r.passengers
    .flatMap((p) =>
      p.assignedAt === null || p.entryToAssignedMs === null ? [] : [{ at: p.assignedAt, ms: p.entryToAssignedMs }],
    )
    .sort((a, b) => a.at - b.at);
  /** The index of the first ride after `t` (rides are sorted by time). */
  const after = (t: number): number => {
    let lo = 0;
    let hi = rides.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((rides[mid] as { at: number }).at <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const samples = new Map(r.samples.map((s) => [Math.min(buckets - 1, Math.floor(s.at / bucketMs)), s]));
  const areas = r.settings.areas.map((a) => a.id);
  return counts.map((c, i) => {
    const end = (i + 1) * bucketMs;
    const window = ascending(rides.slice(after(end - windowMs), after(end)).map((x) => x.ms));
    const sample = samples.get(i);
    const perSecond = Object.fromEntries(REQUEST_CLASSES.map((k) => [k, (c[k] * 1_000) / bucketMs])) as Record<
      RequestClass,
      number
    >;
    const byArea = (pick: (area: string) => number | undefined) =>
      Object.fromEntries(areas.flatMap((a) => (pick(a) === undefined ? [] : [[a, pick(a) as number]])));
    return {
      t: (i * bucketMs) / 1_000,
      requests: perSecond,
      rides: after(end) - after(end - bucketMs),
      p50Ms: percentile(window, 0.5),
      p99Ms: percentile(window, 0.99),
      outboxDepth: sample?.outboxDepth ?? null,
      waiting: byArea((a) => sample?.waiting[a]),
      driversQueued: byArea((a) => sample?.driversQueued[a]),
      codeSpace: byArea((a) => sample?.codeSpace[a]),
    };
  });
};
