import { setTimeout as sleep } from 'node:timers/promises';
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  IsolatedCircuitError,
  circuitBreaker,
  handleWhenResult,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import type { AcquireResult, AreaId, Driver, DriverTracker, OrderId } from '@codedispatch/core';
import { ACQUIRE_PATH, acquireRequestBody, readAnswer, type Answer } from './protocol';

/** How one `acquire` call ended, for metrics: `circuit_open` never reached the tracker. */
export type TrackerOutcome = AcquireResult['kind'] | 'circuit_open';

export interface BreakerOptions {
  /** Consecutive failed tries that open the circuit. */
  readonly threshold: number;
  /** How long the circuit stays open before one probe may go through. */
  readonly halfOpenAfterMs: number;
}

export interface HttpDriverTrackerOptions {
  /** The tracker's base URL (`tracker.url`); `/v1/acquire` is appended. */
  readonly url: string;
  /** Timeout of one HTTP try (`tracker.timeout_ms`). */
  readonly timeoutMs?: number;
  /** The whole call, retries and backoff included, ends within this (at most 2000: SPEC §6). */
  readonly totalBudgetMs?: number;
  /** Tries per call, the first included. */
  readonly maxAttempts?: number;
  readonly breaker?: BreakerOptions;
  /** Called once per `acquire`, e.g. to feed a Prometheus histogram; must not throw. */
  readonly onOutcome?: (outcome: TrackerOutcome, durationMs: number) => void;
  /** Jitter source in [0, 1); `Math.random` unless a test fixes it. */
  readonly random?: () => number;
}

export const TRACKER_DEFAULTS = {
  timeoutMs: 300,
  /** Leaves the lookup room for its database work within the SPEC's 2 s. */
  totalBudgetMs: 1500,
  maxAttempts: 3,
  breaker: { threshold: 5, halfOpenAfterMs: 5000 },
} as const;

const MAX_BUDGET_MS = 2000;
const BACKOFF_BASE_MS = 50;
const BACKOFF_MAX_MS = 500;
/** A retry is started only if it can run at least this long (or a whole try, if shorter). */
const MIN_TRY_MS = 50;

const requirePositive = (name: string, value: number, max = Number.MAX_SAFE_INTEGER): number => {
  if (!Number.isFinite(value) || value <= 0 || value > max) throw new RangeError(`${name} must be in (0, ${max}], got ${value}`);
  return value;
};

/**
 * `DriverTracker` over HTTP (SPEC §7, docs/tracker-protocol.md). Never
 * rejects: any transport trouble, timeout, unexpected status or malformed
 * answer becomes `unavailable`, which the lookup answers with 503.
 *
 * Each try runs through a circuit breaker, so every failed try counts towards
 * opening it; retries (network errors, timeouts, 502/503/504) use jittered
 * exponential backoff and stop at `maxAttempts`, at the deadline, or when
 * the circuit opens.
 */
export class HttpDriverTracker implements DriverTracker {
  private readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly totalBudgetMs: number;
  private readonly maxAttempts: number;
  private readonly halfOpenAfterMs: number;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly random: () => number;
  private readonly onOutcome: HttpDriverTrackerOptions['onOutcome'];
  private openedAt = 0;

  constructor(options: HttpDriverTrackerOptions) {
    // A bad URL fails at start rather than on every call.
    const base = URL.canParse(options.url) ? new URL(options.url) : null;
    if (base === null || (base.protocol !== 'http:' && base.protocol !== 'https:')) {
      throw new RangeError(`tracker url must be an http(s) URL, got ${JSON.stringify(options.url)}`);
    }
    this.endpoint = base.href.replace(/\/+$/, '') + ACQUIRE_PATH;
    this.timeoutMs = requirePositive('timeoutMs', options.timeoutMs ?? TRACKER_DEFAULTS.timeoutMs);
    this.totalBudgetMs = requirePositive('totalBudgetMs', options.totalBudgetMs ?? TRACKER_DEFAULTS.totalBudgetMs, MAX_BUDGET_MS);
    this.maxAttempts = Math.floor(requirePositive('maxAttempts', options.maxAttempts ?? TRACKER_DEFAULTS.maxAttempts, 10));
    const breaker = options.breaker ?? TRACKER_DEFAULTS.breaker;
    this.halfOpenAfterMs = requirePositive('breaker.halfOpenAfterMs', breaker.halfOpenAfterMs);
    this.breaker = circuitBreaker(
      handleWhenResult((a) => (a as Answer).kind === 'failure'),
      {
        halfOpenAfter: this.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(Math.floor(requirePositive('breaker.threshold', breaker.threshold))),
      },
    );
    this.breaker.onBreak(() => {
      this.openedAt = Date.now();
    });
    this.random = options.random ?? Math.random;
    this.onOutcome = options.onOutcome;
  }

  async acquire(driver: Driver, orderId: OrderId, areaId: AreaId): Promise<AcquireResult> {
    const started = performance.now();
    let ended: readonly [AcquireResult, TrackerOutcome];
    try {
      ended = await this.tries(JSON.stringify(acquireRequestBody(driver, orderId, areaId)), driver, started + this.totalBudgetMs);
    } catch {
      ended = [{ kind: 'unavailable', retryAfterS: 1 }, 'unavailable']; // defensive: a tracker outage must never reject
    }
    try {
      this.onOutcome?.(ended[1], performance.now() - started);
    } catch {
      // metrics must not change the answer
    }
    return ended[0];
  }

  private async tries(body: string, driver: Driver, deadline: number): Promise<readonly [AcquireResult, TrackerOutcome]> {
    for (let attempt = 1; ; attempt++) {
      // Half-open: one probe is in flight; the others do not queue behind it.
      if (this.breaker.state === CircuitState.HalfOpen) return this.shortCircuit(attempt, 1);
      let answer: Answer;
      try {
        answer = await this.breaker.execute(() => this.tryOnce(body, driver, deadline));
      } catch (e) {
        if (e instanceof BrokenCircuitError || e instanceof IsolatedCircuitError) {
          return this.shortCircuit(attempt, this.openRemainingS());
        }
        throw e;
      }
      if (answer.kind !== 'failure') return [answer, answer.kind];
      if (this.breaker.state === CircuitState.Open) {
        // this failure opened it: no more tries, and say how long it stays open
        return [{ kind: 'unavailable', retryAfterS: this.openRemainingS() }, 'unavailable'];
      }

      const delay = this.backoffMs(attempt);
      const leftAfterDelay = deadline - performance.now() - delay;
      if (!answer.retryable || attempt >= this.maxAttempts || leftAfterDelay < Math.min(MIN_TRY_MS, this.timeoutMs)) {
        return [{ kind: 'unavailable', retryAfterS: 1 }, 'unavailable'];
      }
      await sleep(delay);
    }
  }

  /** One HTTP try, bounded by the try timeout and the call's deadline. Never throws. */
  private async tryOnce(body: string, driver: Driver, deadline: number): Promise<Answer> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), Math.max(1, Math.min(this.timeoutMs, deadline - performance.now())));
    try {
      const response = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body,
        signal: controller.signal,
      });
      return readAnswer(response.status, await response.text(), driver);
    } catch {
      return { kind: 'failure', retryable: true }; // refused, reset, DNS, or aborted by the timeout
    } finally {
      clearTimeout(timer);
    }
  }

  /** Equal jitter: half the exponential step, plus up to as much again at random. */
  private backoffMs(attempt: number): number {
    const step = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
    return step / 2 + this.random() * (step / 2);
  }

  private openRemainingS(): number {
    return Math.max(1, Math.ceil((this.openedAt + this.halfOpenAfterMs - Date.now()) / 1000));
  }

  /** The circuit refused the try: `circuit_open` if this call never reached the tracker. */
  private shortCircuit(attempt: number, retryAfterS: number): readonly [AcquireResult, TrackerOutcome] {
    return [{ kind: 'unavailable', retryAfterS }, attempt === 1 ? 'circuit_open' : 'unavailable'];
  }
}
