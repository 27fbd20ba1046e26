import express, { type Express } from 'express';
import helmet from 'helmet';
import { driverRoutes } from './http/routes/driver';
import { assignmentRoutes } from './http/routes/assignments';
import { opsRoutes } from './http/routes/ops';
import { consoleApiRoutes } from './http/routes/console-api';
import { consolePageRoutes } from './http/routes/console-page';
import { orderRoutes } from './http/routes/orders';
import type { AppDeps } from './http/routes/deps';
import { errorHandler, methodNotAllowed, noStore, notFound, options, requestContext } from './http/middleware';

export type { AppDeps } from './http/routes/deps';

/** Every route and the methods it answers, for 405 answers with `Allow`. */
export const ROUTES: Readonly<Record<string, readonly string[]>> = {
  '/v1/order/create': ['POST'],
  '/v1/order/cancel': ['POST'],
  '/v1/order/assign': ['POST'],
  '/v1/assignment/status': ['GET'],
  '/v1/drivers-lookup': ['POST'],
  '/v1/assignments/:order_id': ['GET'],
  '/v1/ops/areas': ['GET'],
  '/v1/ops/orders': ['GET'],
  '/v1/ops/orders/:order_id': ['GET'],
  '/v1/ops/events': ['GET'],
  '/v1/ops/events/redrive': ['POST'],
  '/v1/ops/events/:event_id/redrive': ['POST'],
  '/v1/ops/config': ['GET'],
  '/ping': ['GET'],
  '/ready': ['GET'],
  '/metrics': ['GET'],
  '/openapi.json': ['GET'],
  '/console': ['GET'],
};

/**
 * The express app (exported apart from `listen()`, for supertest): the
 * routes of SPEC §6, and a problem document for everything else.
 */
export const createApp = (deps: AppDeps): Express => {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestContext(deps.logger, deps.metrics));
  // No upgrade-insecure-requests: /docs must load its assets on a plain-HTTP deployment too.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  app.use('/v1', noStore);
  // OPTIONS names the methods of a route (rather than each router's automatic text answer).
  app.use(options(ROUTES));
  app.use(orderRoutes(deps));
  app.use(driverRoutes(deps));
  app.use(assignmentRoutes(deps));
  app.use(opsRoutes(deps));
  app.use(consoleApiRoutes(deps));
  app.use(consolePageRoutes(deps.consoleDist));
  for (const [path, methods] of Object.entries(ROUTES)) app.all(path, methodNotAllowed(methods));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
};
