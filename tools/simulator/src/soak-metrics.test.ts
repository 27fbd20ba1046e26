import { NO_READING, parseProcessMetrics, vmRssBytes } from './soak-metrics';

describe('parseProcessMetrics', () => {
  it("reads the process figures of prom-client's default metrics and the outbox gauges", () => {
    const text = [
      '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
      '# TYPE process_cpu_seconds_total counter',
      'process_cpu_seconds_total 12.5',
      'process_resident_memory_bytes 141520896',
      'nodejs_eventloop_lag_min_seconds 0.009',
      'nodejs_eventloop_lag_max_seconds 0.0327',
      'nodejs_eventloop_lag_mean_seconds 0.0103',
      'nodejs_eventloop_lag_p50_seconds 0.0101',
      'nodejs_eventloop_lag_p99_seconds 0.0137',
      'nodejs_heap_size_total_bytes 52000000',
      'nodejs_heap_size_used_bytes 41000000',
      'nodejs_external_memory_bytes 3000000',
      'nodejs_heap_space_size_used_bytes{space="old"} 20000000',
      'codedispatch_outbox_depth 2',
      'codedispatch_outbox_oldest_age_seconds 0.4',
      'codedispatch_code_space_used_ratio{area="svo_d"} 0.01',
    ].join('\n');
    expect(parseProcessMetrics(text)).toEqual({
      rssBytes: 141520896,
      heapUsedBytes: 41000000,
      heapTotalBytes: 52000000,
      externalBytes: 3000000,
      cpuSeconds: 12.5,
      lagP50S: 0.0101,
      lagP99S: 0.0137,
      lagMeanS: 0.0103,
      lagMaxS: 0.0327,
      outboxDepth: 2,
      outboxOldestAgeS: 0.4,
    });
  });

  it('gives null for a figure the service does not report, or reports as NaN', () => {
    expect(parseProcessMetrics('process_resident_memory_bytes NaN\nnodejs_heap_size_used_bytes 5\n')).toEqual({
      ...NO_READING,
      heapUsedBytes: 5,
    });
  });
});

describe('vmRssBytes', () => {
  it('reads VmRSS of /proc/<pid>/status in bytes, and null when there is none', () => {
    expect(vmRssBytes('Name:\tnode\nVmHWM:\t  150000 kB\nVmRSS:\t  138204 kB\nRssAnon:\t 100 kB\n')).toBe(138204 * 1024);
    expect(vmRssBytes('Name:\tnode\n')).toBeNull();
  });
});
