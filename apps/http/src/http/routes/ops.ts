import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { errorFields } from '../../observability/logger';
import { sendProblem } from '../middleware';
import { openApiDocument } from '../openapi';
import type { AppDeps } from './deps';

/** Liveness, readiness, metrics and the API's own description (SPEC §6). */
export const opsRoutes = (deps: AppDeps): Router => {
  const router = Router();
  const document = openApiDocument();

  router.get('/ping', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/ready', async (_req, res) => {
    const ready = await deps.readiness().catch((e: unknown) => {
      deps.logger.warn('readiness check failed', errorFields(e));
      return false;
    });
    if (ready && !deps.longPoll.closing) return void res.json({ status: 'ready' });
    sendProblem(res, {
      code: 'storage_unavailable',
      detail: deps.longPoll.closing ? 'The instance is shutting down.' : 'The database does not answer.',
      retryAfterS: 1,
    });
  });

  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });

  router.use('/docs', swaggerUi.serve);
  router.get('/docs', swaggerUi.setup(document, { customSiteTitle: 'codedispatch API' }));

  return router;
};
