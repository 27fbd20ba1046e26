import { createHmac, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Agent, request } from 'undici';
import type { ClosableEventSink, OutboxEvent } from './event';

export const SIGNATURE_HEADER = 'X-Codedispatch-Signature';
export const EVENT_ID_HEADER = 'X-Codedispatch-Event-Id';

/** `sha256=<lowercase hex HMAC-SHA256 of the raw body>`, the value of `X-Codedispatch-Signature`. */
export const webhookSignature = (body: Buffer | string, secret: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** Constant-time check of a received signature header against the raw body. */
export const verifyWebhookSignature = (body: Buffer | string, header: string | undefined, secret: string): boolean => {
  if (header === undefined) return false;
  const expected = Buffer.from(webhookSignature(body, secret));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
};

export interface WebhookSinkOptions {
  readonly url: string;
  readonly secret: string;
  /** Per request, connection included. Default 5 s. */
  readonly timeoutMs?: number;
}

/** The receiver answered something other than 2xx. */
export class WebhookRejected extends Error {
  override readonly name = 'WebhookRejected';
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/**
 * One event per HTTP POST; the body is the event JSON, serialised once and
 * signed exactly as sent. Any 2xx acknowledges; anything else (redirects
 * included: they are not followed) or a timeout rejects, and the relay
 * retries.
 *
 * Through undici's `request` on a keep-alive agent of its own rather than
 * `fetch`: one delivery per event makes this a hot path, and fetch's WHATWG
 * layers (Request, Response, streams, an AbortSignal per call) cost about a
 * tenth of a code entry's CPU. The timeout covers the whole request,
 * connecting included: a timer aborts it through an emitter (undici takes one
 * as its signal; an AbortSignal per call is what cost fetch much of its time).
 */
export class WebhookSink implements ClosableEventSink {
  private readonly agent: Agent;
  private readonly timeoutMs: number;

  constructor(private readonly options: WebhookSinkOptions) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.agent = new Agent({ connect: { timeout: this.timeoutMs } });
  }

  async deliver(event: OutboxEvent): Promise<void> {
    const body = Buffer.from(JSON.stringify(event.payload), 'utf8');
    const abort = new EventEmitter();
    const timer = setTimeout(() => abort.emit('abort'), this.timeoutMs);
    try {
      await this.post(body, event.eventId, abort);
    } finally {
      clearTimeout(timer);
    }
  }

  private async post(body: Buffer, eventId: string, signal: EventEmitter): Promise<void> {
    const response = await request(this.options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'codedispatch',
        [SIGNATURE_HEADER.toLowerCase()]: webhookSignature(body, this.options.secret),
        [EVENT_ID_HEADER.toLowerCase()]: eventId,
      },
      body,
      dispatcher: this.agent,
      signal,
    });
    // Read the answer's body to the end (unused) so the connection is kept for the next event.
    await response.body.dump().catch(() => undefined);
    if (response.statusCode < 200 || response.statusCode > 299) throw new WebhookRejected(response.statusCode);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
