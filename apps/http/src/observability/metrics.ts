import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TransitionMeter } from '../adapters/metered-assignment-repository';

/** Code-space use of one area: taken / size. */
export interface CodeSpaceUse {
  readonly area: string;
  readonly ratio: number;
}

/** The outbox as the relay reports it. */
export interface OutboxLag {
  readonly depth: number;
  readonly oldestAgeSeconds: number;
  readonly dead: number;
}

/** The long-polls of this instance as `LongPoll` counts them. */
export interface LongPollUse {
  readonly waiting: number;
  readonly watchedOrders: number;
  readonly recordsRead: number;
}

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop lag); off in tests that build many apps. */
  readonly defaultMetrics?: boolean;
}

/**
 * The service's Prometheus metrics (SPEC §10), in a registry of its own (two
 * apps in one process do not share counters). Gauges that need a query are
 * computed when scraped, from providers set once the adapters exist.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly transitions: Counter<'to' | 'error_code'>;
  readonly trackerCalls: Histogram<'outcome'>;
  private codeSpace: (() => Promise<readonly CodeSpaceUse[]>) | null = null;
  private outbox: (() => Promise<OutboxLag>) | null = null;
  private longPolls: (() => LongPollUse) | null = null;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
      registers,
    });
    this.transitions = new Counter({
      name: 'codedispatch_transitions_total',
      help: 'Applied assignment transitions (creation included) by the status reached and the error code',
      labelNames: ['to', 'error_code'],
      registers,
    });
    this.trackerCalls = new Histogram({
      name: 'codedispatch_tracker_acquire_duration_seconds',
      help: 'Tracker acquire calls (retries included) by outcome',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
      registers,
    });
    // Arrows: inside `collect`, `this` is the gauge.
    const codeSpace = () => this.codeSpace?.().catch(() => []) ?? Promise.resolve([]);
    const outbox = () => this.outbox?.().catch(() => null) ?? Promise.resolve(null);
    new Gauge({
      name: 'codedispatch_code_space_used_ratio',
      help: 'Share of the code space of each configured area that is active or cooling down',
      labelNames: ['area'],
      registers,
      async collect() {
        this.reset();
        for (const { area, ratio } of await codeSpace()) this.set({ area }, ratio);
      },
    });
    const outboxGauge = (name: string, help: string, pick: (lag: OutboxLag) => number): Gauge =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const lag = await outbox();
          if (lag != null) this.set(pick(lag));
        },
      });
    outboxGauge('codedispatch_outbox_depth', 'Processing events waiting to be delivered', (l) => l.depth);
    outboxGauge(
      'codedispatch_outbox_oldest_age_seconds',
      'Age of the oldest undelivered processing event',
      (l) => l.oldestAgeSeconds,
    );
    outboxGauge('codedispatch_outbox_dead', 'Processing events given up on after the last delivery attempt', (l) => l.dead);
    const longPolls = () => this.longPolls?.() ?? null;
    new Gauge({
      name: 'codedispatch_long_polls_waiting',
      help: 'Long-polls (wait_ms) waiting for a change right now',
      registers,
      collect() {
        this.set(longPolls()?.waiting ?? 0);
      },
    });
    new Gauge({
      name: 'codedispatch_long_poll_watched_orders',
      help: 'Orders whose record this instance keeps for long-polls (waited on, or lingering after the last poll)',
      registers,
      collect() {
        this.set(longPolls()?.watchedOrders ?? 0);
      },
    });
    new Counter({
      name: 'codedispatch_long_poll_reads_total',
      help: 'Records read for long-polls: one per order and change, shared by the polls waiting on it',
      registers,
      collect() {
        this.reset();
        this.inc(longPolls()?.recordsRead ?? 0);
      },
    });
    if (options.defaultMetrics ?? false) collectDefaultMetrics({ register: this.registry });
  }

  readonly meterTransition: TransitionMeter = (to, errorCode) => {
    this.transitions.inc({ to, error_code: errorCode ?? 'none' });
  };

  /** For `HttpDriverTracker`'s `onOutcome`. */
  readonly meterTracker = (outcome: string, durationMs: number): void => {
    this.trackerCalls.observe({ outcome }, durationMs / 1000);
  };

  watchCodeSpace(provider: () => Promise<readonly CodeSpaceUse[]>): void {
    this.codeSpace = provider;
  }

  watchOutbox(provider: () => Promise<OutboxLag>): void {
    this.outbox = provider;
  }

  watchLongPolls(provider: () => LongPollUse): void {
    this.longPolls = provider;
  }
}
