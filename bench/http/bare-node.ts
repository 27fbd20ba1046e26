/*
 * The hot paths on node:http + pg (bare.ts): the lower bound of what this
 * stack can do. `PORT`, `HOST`, `DATABASE_URL` (a database holding BARE_SCHEMA).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { bareHandlers, type Answer } from './bare';

const handlers = bareHandlers(process.env.DATABASE_URL ?? '');

const send = (res: ServerResponse, answer: Answer): void => {
  const body = JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

const MAX_BODY = 64 * 1024;
const MALFORMED = Symbol('malformed');

/** The JSON body, or MALFORMED (not JSON, or over 64 KiB). */
const readJson = (req: IncomingMessage): Promise<unknown> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(size > MAX_BODY ? MALFORMED : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown));
      } catch {
        resolve(MALFORMED);
      }
    });
  });

const BAD_BODY: Answer = { status: 400, body: { status: 400, code: 'invalid_request' } };

const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const auth = req.headers.authorization;
  if (req.method === 'POST') {
    const handler =
      path === '/v1/order/create'
        ? handlers.create
        : path === '/v1/order/assign'
          ? handlers.assign
          : path === '/v1/drivers-lookup'
            ? handlers.lookup
            : null;
    if (handler !== null) {
      const body = await readJson(req);
      return send(res, body === MALFORMED ? BAD_BODY : await handler(auth, body));
    }
  }
  if (req.method === 'GET' && path === '/v1/assignment/status') {
    const orderId = new URLSearchParams(q < 0 ? '' : url.slice(q + 1)).get('order_id');
    return send(res, await handlers.status(auth, orderId));
  }
  if (req.method === 'GET' && path === '/ping') return send(res, { status: 200, body: { status: 'ok' } });
  req.resume();
  send(res, { status: 404, body: { status: 404, code: 'not_found' } });
};

const server = createServer((req, res) => {
  route(req, res).catch((e: unknown) =>
    send(res, { status: 500, body: { status: 500, code: 'internal_error', detail: String(e) } }),
  );
});
server.listen(Number(process.env.PORT ?? 8082), process.env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void handlers.close().finally(() => process.exit(0));
});
