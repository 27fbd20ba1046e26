import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * The stand-ins' HTTP servers: listen, read a body, hold a request (a hang),
 * and close with every connection dropped.
 */

/** A request's whole body, up to `limit` bytes (more → null). */
export const readBody = (req: IncomingMessage, limit = 1 << 20): Promise<Buffer | null> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= limit ? Buffer.concat(chunks) : null));
    req.on('error', () => resolve(null));
  });

export const sendJson = (res: ServerResponse, status: number, body?: unknown): void => {
  if (res.destroyed || res.headersSent) return;
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
};

/** A window of time during which something holds (hang) or fails; `until` is a Date.now() value. */
export class Window {
  private until = 0;

  /** From now for `ms` (0 ends it). */
  open(ms: number): void {
    this.until = ms > 0 ? Date.now() + ms : 0;
  }

  get active(): boolean {
    return Date.now() < this.until;
  }

  /** Ms left, 0 when closed. */
  get left(): number {
    return Math.max(0, this.until - Date.now());
  }
}

export interface Listening {
  readonly server: Server;
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  /** Resolves once every held request is released. */
  close(): Promise<void>;
}

/** Listens on host:port (0: any free port); held requests are dropped at close. */
export const listen = (
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host: string,
  port: number,
): Promise<Listening> =>
  new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.keepAliveTimeout = 30_000;
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const { port: bound } = server.address() as AddressInfo;
      const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      resolve({
        server,
        url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${bound}`,
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });

/** Holds a request until `ms` pass or the client goes away; true if the client is still there. */
export const hold = (res: ServerResponse, ms: number): Promise<boolean> =>
  new Promise((resolve) => {
    if (res.destroyed) return resolve(false);
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    }, ms);
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    res.once('close', onClose);
  });
