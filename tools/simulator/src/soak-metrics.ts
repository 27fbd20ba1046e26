/*
 * What a soak reads from each instance: the process figures of its public
 * `GET /metrics` (prom-client's default metrics, which the service turns on,
 * and the outbox gauges) and, as a cross-check of the RSS, the kernel's
 * `/proc/<pid>/status`.
 */

export interface ProcessReading {
  /** `process_resident_memory_bytes`. */
  readonly rssBytes: number | null;
  /** `nodejs_heap_size_used_bytes`, `nodejs_heap_size_total_bytes`, `nodejs_external_memory_bytes`. */
  readonly heapUsedBytes: number | null;
  readonly heapTotalBytes: number | null;
  readonly externalBytes: number | null;
  /** `process_cpu_seconds_total`. */
  readonly cpuSeconds: number | null;
  /**
   * `nodejs_eventloop_lag_{p50,p99,mean,max}_seconds`: prom-client resets
   * its event-loop delay histogram at every scrape, so these cover the time
   * since the previous one.
   */
  readonly lagP50S: number | null;
  readonly lagP99S: number | null;
  readonly lagMeanS: number | null;
  readonly lagMaxS: number | null;
  /** `codedispatch_outbox_depth`, `codedispatch_outbox_oldest_age_seconds`. */
  readonly outboxDepth: number | null;
  readonly outboxOldestAgeS: number | null;
}

const NAMES: Readonly<Record<keyof ProcessReading, string>> = {
  rssBytes: 'process_resident_memory_bytes',
  heapUsedBytes: 'nodejs_heap_size_used_bytes',
  heapTotalBytes: 'nodejs_heap_size_total_bytes',
  externalBytes: 'nodejs_external_memory_bytes',
  cpuSeconds: 'process_cpu_seconds_total',
  lagP50S: 'nodejs_eventloop_lag_p50_seconds',
  lagP99S: 'nodejs_eventloop_lag_p99_seconds',
  lagMeanS: 'nodejs_eventloop_lag_mean_seconds',
  lagMaxS: 'nodejs_eventloop_lag_max_seconds',
  outboxDepth: 'codedispatch_outbox_depth',
  outboxOldestAgeS: 'codedispatch_outbox_oldest_age_seconds',
};

export const NO_READING: ProcessReading = Object.fromEntries(
  Object.keys(NAMES).map((k) => [k, null]),
) as unknown as ProcessReading;

/** A sample line without labels: name, value (and an optional timestamp). */
const UNLABELLED = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\s+(\S+)/;

/** The figures of a Prometheus text exposition; a figure absent (or not a finite number) is null. */
export const parseProcessMetrics = (text: string): ProcessReading => {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = UNLABELLED.exec(line);
    if (m === null) continue;
    const value = Number(m[2]);
    if (Number.isFinite(value)) values.set(m[1] as string, value);
  }
  return Object.fromEntries(
    Object.entries(NAMES).map(([key, name]) => [key, values.get(name) ?? null]),
  ) as unknown as ProcessReading;
};

/** `VmRSS` of a `/proc/<pid>/status` text, in bytes; null when absent. */
export const vmRssBytes = (status: string): number | null => {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m === null ? null : Number(m[1]) * 1024;
};
