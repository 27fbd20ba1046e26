import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseCodeEntered, verifyWebhookSignature } from '@codedispatch/processing-queue';
import type { ProcessingEventPayload } from '@codedispatch/postgres';
import { hold, listen, readBody, sendJson, Window, type Listening } from './http-server';

/*
 * The webhook sink's receiver (docs/processing-events.md): `POST /events`,
 * the signature checked over the raw body, each event handed to processing
 * and acknowledged with 204. It can fail (503) or hang for a while
 * (`failFor`, `hangFor`) so that the service's relay has to retry.
 */

export interface WebhookReceiverOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** `processing_queue.webhook_secret`; null: signatures are not checked (counted as unchecked). */
  readonly secret: string | null;
  readonly onEvent: (event: ProcessingEventPayload) => void;
}

export interface WebhookStats {
  /** POSTs received. */
  readonly requests: number;
  /** Acknowledged with 204. */
  readonly accepted: number;
  /** Answered 503 by `failFor`. */
  readonly failed: number;
  /** Held by `hangFor`. */
  readonly hung: number;
  readonly badSignature: number;
  readonly unchecked: number;
  readonly malformed: number;
}

export const EVENTS_PATH = '/events';

export class WebhookReceiver {
  private readonly failing = new Window();
  private readonly hanging = new Window();
  private readonly counts = { requests: 0, accepted: 0, failed: 0, hung: 0, badSignature: 0, unchecked: 0, malformed: 0 };

  private constructor(
    private readonly listening: Listening,
    private readonly options: WebhookReceiverOptions,
  ) {}

  static async start(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
    let self: WebhookReceiver | null = null;
    const listening = await listen((req, res) => void self?.handle(req, res), options.host, options.port);
    self = new WebhookReceiver(listening, options);
    return self;
  }

  /** The URL to configure as `processing_queue.webhook_url`. */
  get url(): string {
    return this.listening.url + EVENTS_PATH;
  }

  get port(): number {
    return this.listening.port;
  }

  /** For `ms`, every delivery is answered 503 (and retried by the relay). */
  failFor(ms: number): void {
    this.failing.open(ms);
  }

  /** For `ms`, deliveries get no answer (the relay's 5 s timeout ends them). */
  hangFor(ms: number): void {
    this.hanging.open(ms);
  }

  stats(): WebhookStats {
    return { ...this.counts };
  }

  close(): Promise<void> {
    return this.listening.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/ping') return sendJson(res, 200, { ok: true });
    if (req.method !== 'POST' || path !== EVENTS_PATH) {
      req.resume();
      return sendJson(res, 404, { error: 'not found' });
    }
    const raw = await readBody(req);
    this.counts.requests++;
    if (this.hanging.active) {
      this.counts.hung++;
      await hold(res, this.hanging.left);
      res.destroy();
      return;
    }
    if (this.failing.active) {
      this.counts.failed++;
      return sendJson(res, 503, { error: 'failing on purpose' });
    }
    if (raw === null) {
      this.counts.malformed++;
      return sendJson(res, 413);
    }
    const { secret } = this.options;
    if (secret === null) this.counts.unchecked++;
    else {
      const header = req.headers['x-codedispatch-signature'];
      if (!verifyWebhookSignature(raw, typeof header === 'string' ? header : undefined, secret)) {
        this.counts.badSignature++;
        return sendJson(res, 401, { error: 'bad signature' });
      }
    }
    const event = parseCodeEntered(raw);
    if (event === null) {
      this.counts.malformed++;
      return sendJson(res, 400, { error: 'not a code_dispatch.code_entered event' });
    }
    this.options.onEvent(event);
    this.counts.accepted++;
    sendJson(res, 204);
  }
}
