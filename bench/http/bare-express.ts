/*
 * The service's hot paths on plain express 5 + pg (see bare-sql.ts): the
 * baseline the service is compared with. `PORT`, `HOST`, `DATABASE_URL`.
 */
import express, { type Request, type Response } from 'express';
import { bareHandlers, type Answer } from './bare-sql';

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
app.post('/v1/order/create', async (req: Request, res: Response) => send(res, await handlers.create(req.body)));
app.post('/v1/order/assign', async (req, res) => send(res, await handlers.assign(req.body, req.get('authorization'))));
app.get('/v1/assignment/status', async (req, res) => {
  const orderId = typeof req.query.order_id === 'string' ? req.query.order_id : null;
  send(res, await handlers.status(orderId, req.get('authorization')));
});
app.post('/v1/drivers-lookup', async (req, res) => send(res, await handlers.lookup(req.body)));
app.use((err: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
  res.status(500).json({ status: 500, code: 'internal_error', detail: String(err) });
});

const server = app.listen(Number(process.env.PORT ?? 8081), process.env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void handlers.close().finally(() => process.exit(0));
});
