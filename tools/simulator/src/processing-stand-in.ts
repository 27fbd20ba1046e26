import type { ProcessingEventPayload } from '@codedispatch/postgres';
import type { ServiceClient } from './client';
import type { ReceivedEvent } from './records';
import { sleep } from './time';

/*
 * A stand-in for order processing (SPEC §2, §7; docs/processing-events.md's
 * consumer recipe): it keeps every "code entered" event it is given
 * (deduplicated by event_id, with a count of deliveries), ignores an attempt
 * older than one already seen for the order, and runs the lookup —
 * `POST /v1/drivers-lookup` — for the others. Events are stored and
 * acknowledged at once; the lookup runs after, retried on 503 (after its
 * Retry-After), on timeouts and on lost connections.
 */

export interface ProcessingStandInOptions {
  readonly client: ServiceClient;
  /** A service token (`auth.service_tokens`). */
  readonly token: string;
  /** Ms since the start of the run. */
  readonly now: () => number;
  /** Deadline of one lookup request. */
  readonly timeoutMs: number;
  /** A lookup still failing after this long is given up. */
  readonly giveUpMs: number;
  /** Stops the lookups' retries. */
  readonly signal: AbortSignal;
}

interface Kept {
  readonly event: ProcessingEventPayload;
  deliveries: number;
  readonly firstAt: number;
  lastAt: number;
  lookup: string;
}

export interface ProcessingStats {
  readonly events: number;
  readonly deliveries: number;
  readonly duplicates: number;
  readonly stale: number;
  readonly lookups: number;
  /** Lookup requests sent, retries included. */
  readonly lookupRequests: number;
}

export class ProcessingStandIn {
  private readonly kept = new Map<string, Kept>();
  private readonly latestAttempt = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();
  private duplicates = 0;
  private stale = 0;
  private lookups = 0;
  private lookupRequests = 0;

  constructor(private readonly options: ProcessingStandInOptions) {}

  /** An event as delivered (by the webhook or RabbitMQ): stored at once, its lookup started unless it is a duplicate or stale. */
  receive(event: ProcessingEventPayload): void {
    const at = this.options.now();
    const seen = this.kept.get(event.event_id);
    if (seen !== undefined) {
      seen.deliveries++;
      seen.lastAt = at;
      this.duplicates++;
      return;
    }
    const kept: Kept = { event, deliveries: 1, firstAt: at, lastAt: at, lookup: 'pending' };
    this.kept.set(event.event_id, kept);
    const latest = this.latestAttempt.get(event.order_id) ?? 0;
    if (event.attempt < latest) {
      kept.lookup = 'skipped:stale';
      this.stale++;
      return;
    }
    this.latestAttempt.set(event.order_id, event.attempt);
    const run = this.lookup(kept).finally(() => this.running.delete(run));
    this.running.add(run);
  }

  /** The events received so far. */
  events(): ReceivedEvent[] {
    return [...this.kept.values()].map((k) => ({
      eventId: k.event.event_id,
      orderId: k.event.order_id,
      areaId: k.event.area_id,
      attempt: k.event.attempt,
      parkDbId: k.event.park_db_id,
      driverId: k.event.driver_id,
      deliveries: k.deliveries,
      firstAt: k.firstAt,
      lastAt: k.lastAt,
      lookup: k.lookup,
    }));
  }

  stats(): ProcessingStats {
    let deliveries = 0;
    for (const k of this.kept.values()) deliveries += k.deliveries;
    return {
      events: this.kept.size,
      deliveries,
      duplicates: this.duplicates,
      stale: this.stale,
      lookups: this.lookups,
      lookupRequests: this.lookupRequests,
    };
  }

  /** Resolves once no lookup is running (or after `timeoutMs`); true if none is. */
  async idle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.running.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.running]), new Promise((r) => setTimeout(r, deadline - Date.now()))]);
    }
    return this.running.size === 0;
  }

  private async lookup(kept: Kept): Promise<void> {
    const { client, token, timeoutMs, giveUpMs, signal } = this.options;
    const orderId = kept.event.order_id;
    const started = Date.now();
    this.lookups++;
    for (let failures = 0; ; failures++) {
      if (signal.aborted) {
        kept.lookup = 'pending';
        return;
      }
      if (Date.now() - started > giveUpMs) {
        kept.lookup = 'gave_up';
        return;
      }
      this.lookupRequests++;
      const answer = await client.request({
        actor: 'processing',
        method: 'POST',
        path: '/v1/drivers-lookup',
        route: '/v1/drivers-lookup',
        token,
        body: { order_id: orderId },
        timeoutMs,
        orderId,
      });
      if (answer.kind === 'answered') {
        const { status, body } = answer;
        if (status === 200) {
          kept.lookup = body?.status === 'assigned' ? 'assigned' : `error:${String(body?.error_code ?? body?.status)}`;
          return;
        }
        // The order has moved on (another attempt, cancelled, expired) or is unknown: nothing to do.
        if (status === 404 || status === 409) {
          kept.lookup = `${status}:${String(body?.code)}${body?.assignment_status ? `(${String(body.assignment_status)})` : ''}`;
          return;
        }
        // 503 (tracker or storage unavailable) and anything unexpected: retried.
        await sleep((answer.retryAfterS ?? Math.min(5, 2 ** failures * 0.25)) * 1_000, signal);
        continue;
      }
      // Timed out or the connection failed: the lookup is idempotent, so it is sent again.
      await sleep(Math.min(5_000, 250 * 2 ** failures), signal);
    }
  }
}
