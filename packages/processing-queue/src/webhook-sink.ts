import { createHmac, timingSafeEqual } from 'node:crypto';
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
 * included) or a timeout rejects, and the relay retries.
 */
export class WebhookSink implements ClosableEventSink {
  private readonly timeoutMs: number;

  constructor(private readonly options: WebhookSinkOptions) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  async deliver(event: OutboxEvent): Promise<void> {
    const body = Buffer.from(JSON.stringify(event.payload), 'utf8');
    const response = await fetch(this.options.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'codedispatch',
        [SIGNATURE_HEADER]: webhookSignature(body, this.options.secret),
        [EVENT_ID_HEADER]: event.eventId,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    // Release the connection; the answer's body is not used.
    await response.body?.cancel().catch(() => undefined);
    if (response.status < 200 || response.status > 299) throw new WebhookRejected(response.status);
  }

  async close(): Promise<void> {}
}
