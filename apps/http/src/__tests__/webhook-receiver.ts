import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '@codedispatch/processing-queue';

/** An event the receiver accepted, and whether its signature checked out with the receiver's secret. */
export interface ReceivedEvent {
  readonly body: Record<string, unknown>;
  readonly signed: boolean;
}

/**
 * A processing webhook for tests of the service as a process: it answers
 * `refuseWith` while `accepting` is false, else 204, keeping what it took.
 */
export class WebhookReceiver {
  accepting: boolean;
  readonly events: ReceivedEvent[] = [];
  url = '';
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!this.accepting) return void res.writeHead(this.options.refuseWith).end('refused by the test');
      const raw = Buffer.concat(chunks);
      const signature = req.headers['x-codedispatch-signature'];
      this.events.push({
        body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>,
        signed: verifyWebhookSignature(raw, typeof signature === 'string' ? signature : undefined, this.options.secret),
      });
      res.writeHead(204).end();
    });
  });

  constructor(private readonly options: { readonly secret: string; readonly refuseWith: number; readonly accepting: boolean }) {
    this.accepting = options.accepting;
  }

  start(): Promise<void> {
    return new Promise((ok) =>
      this.server.listen(0, '127.0.0.1', () => {
        this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/events`;
        ok();
      }),
    );
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((ok) => this.server.close(() => ok()));
  }
}
