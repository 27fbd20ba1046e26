import type { ProcessingEventPayload } from '@codedispatch/postgres';
import type { EventOutcome } from '@codedispatch/processing-queue';

/*
 * A stand-in for processing (SPEC §2, §7): on each "code entered" event it
 * runs the lookup — `POST /v1/drivers-lookup` — as processing would. It makes
 * the amqp (or webhook) deployment complete the flow where the real
 * processing is not there: docker-compose, a trial, a test.
 */

export interface LookupWorkerOptions {
  /** The service's base URL, e.g. `http://codedispatch:8080`. */
  readonly serviceUrl: string;
  /** A service token (`auth.service_tokens`) of the caller processing. */
  readonly token: string;
  /** Per lookup call; the service answers within 2 s by contract. Default 5 s. */
  readonly timeoutMs?: number;
  /** One line per event handled, for the log. */
  readonly onLookup?: (event: ProcessingEventPayload, result: string) => void;
}

/** How many orders' latest attempts are remembered for deduplication. */
const REMEMBERED_ORDERS = 100_000;

/**
 * The event handler: deduplicates by `event_id` and ignores an attempt older
 * than one already handled for the order (SPEC §7), then calls the lookup.
 * A lookup answered (200, or 404/409 for an order that has moved on) is done;
 * a 503 is retried after its `Retry-After`; anything else after a pause.
 */
export const lookupWorker = (options: LookupWorkerOptions): ((event: ProcessingEventPayload) => Promise<EventOutcome>) => {
  const latestAttempt = new Map<string, { readonly attempt: number; readonly eventId: string }>();
  const remember = (event: ProcessingEventPayload): void => {
    latestAttempt.delete(event.order_id); // re-inserted last: the map's order is the age
    latestAttempt.set(event.order_id, { attempt: event.attempt, eventId: event.event_id });
    if (latestAttempt.size > REMEMBERED_ORDERS) latestAttempt.delete(latestAttempt.keys().next().value as string);
  };
  const url = new URL('/v1/drivers-lookup', options.serviceUrl).toString();
  const say = options.onLookup ?? (() => undefined);

  return async (event) => {
    const seen = latestAttempt.get(event.order_id);
    if (seen !== undefined && (seen.eventId === event.event_id || seen.attempt > event.attempt)) {
      say(event, 'duplicate or stale: skipped');
      return { kind: 'done' };
    }
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${options.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ order_id: event.order_id }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
    } catch (e) {
      say(event, `service unreachable (${e instanceof Error ? e.message : String(e)}): retried`);
      return { kind: 'retry', delayMs: 1_000 };
    }
    const body = (await response.json().catch(() => ({}))) as { status?: unknown; code?: unknown; error_code?: unknown };
    if (
      response.status === 200 ||
      response.status === 404 ||
      (response.status === 409 && body.code === 'assignment_not_processing')
    ) {
      remember(event);
      const what =
        response.status === 200
          ? `${String(body.status)}${body.error_code ? ` ${String(body.error_code)}` : ''}`
          : String(body.code);
      say(event, `${response.status} ${what}`);
      return { kind: 'done' };
    }
    const retryAfterS = Number(response.headers.get('retry-after'));
    const delayMs = Number.isFinite(retryAfterS) && retryAfterS > 0 ? retryAfterS * 1_000 : 5_000;
    say(event, `${response.status} ${String(body.code)}: retried in ${delayMs} ms`);
    return { kind: 'retry', delayMs };
  };
};
