import type { Actor, RequestRecord } from './records';

/*
 * The simulation's HTTP client of the service: every request has a
 * client-side deadline, goes to the next instance of the list in turn (as a
 * round-robin load balancer would), and is recorded — answered, timed out,
 * failed to connect, or stopped with the run.
 */

export type Answer =
  | {
      readonly kind: 'answered';
      readonly status: number;
      /** The parsed JSON body; null when it was not JSON. */
      readonly body: Record<string, unknown> | null;
      /** `Retry-After` in seconds, when given. */
      readonly retryAfterS: number | null;
    }
  | { readonly kind: 'timeout' | 'network_error' | 'aborted' };

export interface RequestSpec {
  readonly actor: Actor;
  readonly method: 'GET' | 'POST';
  /** Path and query, e.g. `/v1/assignment/status?order_id=o1&wait_ms=5000`. */
  readonly path: string;
  /** The route to record, without parameters. */
  readonly route: string;
  readonly token?: string;
  readonly body?: unknown;
  readonly timeoutMs: number;
  readonly orderId?: string;
}

export interface ServiceClientOptions {
  readonly urls: readonly string[];
  /** Stops every request in flight (the end of the run). */
  readonly signal: AbortSignal;
  /** Ms since the start of the run. */
  readonly now: () => number;
  readonly record: (r: RequestRecord) => void;
}

/** The `code` member of a problem document, if the body is one. */
const problemCode = (body: Record<string, unknown> | null): string | null => (typeof body?.code === 'string' ? body.code : null);

/**
 * A signal that aborts at the deadline or when the run stops, whichever is
 * first: what AbortSignal.any([AbortSignal.timeout(ms), stop]) does, but
 * without leaving a listener per request on the run's long-lived signal.
 * `dispose()` when done.
 */
const deadlineSignal = (timeoutMs: number, stop: AbortSignal) => {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException('deadline passed', 'TimeoutError'));
  }, timeoutMs);
  const onStop = (): void => controller.abort(stop.reason);
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });
  return {
    signal: controller.signal,
    /** How the request ended without an answer. */
    failure: (): 'timeout' | 'aborted' | 'network_error' => (timedOut ? 'timeout' : stop.aborted ? 'aborted' : 'network_error'),
    dispose: (): void => {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    },
  };
};

const retryAfterOf = (header: string | null): number | null => {
  if (header === null || !/^\d+$/.test(header.trim())) return null;
  return Number(header);
};

export class ServiceClient {
  private turn = 0;
  private readonly urls: readonly string[];

  constructor(private readonly options: ServiceClientOptions) {
    if (options.urls.length === 0) throw new Error('no service URL');
    this.urls = options.urls.map((u) => u.replace(/\/+$/, ''));
  }

  /** The instances, as given (no trailing slash). */
  get instances(): readonly string[] {
    return this.urls;
  }

  async request(spec: RequestSpec): Promise<Answer> {
    const instance = this.urls[this.turn++ % this.urls.length] as string;
    const at = this.options.now();
    const deadline = deadlineSignal(spec.timeoutMs, this.options.signal);
    const headers: Record<string, string> = { Accept: 'application/json', 'Accept-Language': 'en' };
    if (spec.token !== undefined) headers.Authorization = `Bearer ${spec.token}`;
    if (spec.body !== undefined) headers['Content-Type'] = 'application/json';
    const finish = (answer: Answer, status: number | null, errorCode: string | null): Answer => {
      this.options.record({
        at,
        actor: spec.actor,
        method: spec.method,
        route: spec.route,
        instance,
        outcome: answer.kind,
        status,
        errorCode,
        latencyMs: this.options.now() - at,
        deadlineMs: spec.timeoutMs,
        orderId: spec.orderId ?? null,
      });
      return answer;
    };
    try {
      const response = await fetch(instance + spec.path, {
        method: spec.method,
        headers,
        ...(spec.body !== undefined ? { body: JSON.stringify(spec.body) } : {}),
        signal: deadline.signal,
      });
      const text = await response.text();
      let body: Record<string, unknown> | null = null;
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
      } catch {
        // not JSON (e.g. /metrics): no body to read
      }
      const answer: Answer = {
        kind: 'answered',
        status: response.status,
        body,
        retryAfterS: retryAfterOf(response.headers.get('retry-after')),
      };
      return finish(answer, response.status, response.ok ? null : problemCode(body));
    } catch {
      return finish({ kind: deadline.failure() }, null, null);
    } finally {
      deadline.dispose();
    }
  }

  /** GET a text document (e.g. /metrics) from one given instance, recorded like any request. */
  async text(instance: string, path: string, actor: Actor, timeoutMs: number): Promise<string | null> {
    const at = this.options.now();
    const deadline = deadlineSignal(timeoutMs, this.options.signal);
    let status: number | null = null;
    let kind: RequestRecord['outcome'] = 'answered';
    let text: string | null = null;
    try {
      const response = await fetch(instance + path, { signal: deadline.signal });
      status = response.status;
      const body = await response.text();
      if (response.ok) text = body;
    } catch {
      kind = deadline.failure();
    } finally {
      deadline.dispose();
    }
    this.options.record({
      at,
      actor,
      method: 'GET',
      route: path,
      instance,
      outcome: kind,
      status,
      errorCode: null,
      latencyMs: this.options.now() - at,
      deadlineMs: timeoutMs,
      orderId: null,
    });
    return text;
  }
}
