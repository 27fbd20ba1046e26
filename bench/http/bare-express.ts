/*
 * The hot paths on plain express 5 + pg (bare.ts): the baseline of the
 * service's targets. `PORT`, `HOST`, `DATABASE_URL` (a database holding BARE_SCHEMA).
 */
import express, { type Request, type Response } from 'express';
import { bareHandlers, type Answer } from './bare';

const handlers = bareHandlers(process.env.DATABASE_URL ?? '');
const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.use(express.json({ limit: '64kb' }));

const send = (res: Response, answer: Answer): void => {
  res.status(answer.status).json(answer.body);
};

app.get('/ping', (_req, res) => {
  res.json({ status: 'ok' });
});
app.post('/v1/order/create', async (req, res) => send(res, await handlers.create(req.get('authorization'), req.body)));
app.post('/v1/order/assign', async (req, res) => send(res, await handlers.assign(req.get('authorization'), req.body)));
app.get('/v1/assignment/status', async (req, res) => {
  const orderId = typeof req.query.order_id === 'string' ? req.query.order_id : null;
  send(res, await handlers.status(req.get('authorization'), orderId));
});
app.post('/v1/drivers-lookup', async (req, res) => send(res, await handlers.lookup(req.get('authorization'), req.body)));
app.use((err: { status?: number }, _req: Request, res: Response, _next: express.NextFunction) => {
  // express.json's refusals (malformed, too large) carry their status; anything else is a 500.
  const status = typeof err.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
  res.status(status).json({ status, code: status === 500 ? 'internal_error' : 'invalid_request' });
});

const server = app.listen(Number(process.env.PORT ?? 8081), process.env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void handlers.close().finally(() => process.exit(0));
});
