import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { errorFields } from '../../observability/logger';
import { sendProblem } from '../middleware';
import { openApiDocument } from '../openapi';
import type { Health } from '../responses';
import type { AppDeps } from './deps';

/** Liveness, readiness, metrics and the API's own description (SPEC §6). */
export const opsRoutes = (deps: AppDeps): Router => {
  const router = Router();
  const document = openApiDocument();

  router.get('/ping', (_req, res) => {
    res.json({ status: 'ok' } satisfies Health);
  });

  router.get('/ready', async (_req, res) => {
    const ready = await deps.readiness().catch((e: unknown) => {
      deps.logger.warn('readiness check failed', errorFields(e));
      return false;
    });
    if (ready && !deps.longPoll.closing) return void res.json({ status: 'ready' } satisfies Health);
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

  // `/docs` itself answers the page (SPEC §6: 200, not a redirect to `/docs/`); its assets are relative to
  // `/docs/`, which the base element says, and are served from there.
  const page = swaggerUi
    .generateHTML(document, { customSiteTitle: 'codedispatch API' })
    .replace('<head>', '<head>\n  <base href="/docs/">');
  router.get(['/docs', '/docs/'], (_req, res) => {
    res.type('html').send(page);
  });
  router.use('/docs', swaggerUi.serve);

  return router;
};
