import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express, { Router, type RequestHandler } from 'express';
import { sendProblem } from '../middleware';

/**
 * The console page's own policy: everything from this origin, nothing else
 * (no inline script or style, no CDN, no external font), never framed.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // data: for the page's empty favicon, which spares the browser a /favicon.ico request.
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Hashed asset names never change content: a year, immutable. */
const ASSET_MAX_AGE_S = 365 * 86_400;

/**
 * `@codedispatch/console`'s built page (its `dist/`), or null when the
 * package or its build is absent. Resolved at the first request, not at
 * start: the service runs without the console.
 */
export const installedConsoleDist = (): string | null => {
  try {
    const dist = join(dirname(require.resolve('@codedispatch/console/package.json')), 'dist');
    return existsSync(join(dist, 'index.html')) ? dist : null;
  } catch {
    return null;
  }
};

/** The operations console page at /console (index.html) and its assets at /console/assets/… (issue 13). */
export const consolePageRoutes = (resolveDist: () => string | null = installedConsoleDist): Router => {
  const router = Router();
  let dist: string | null = null;
  const distOrNull = (): string | null => (dist ??= resolveDist());

  const csp: RequestHandler = (_req, res, next) => {
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    next();
  };

  const installed: RequestHandler = (_req, res, next) => {
    if (distOrNull() !== null) return next();
    sendProblem(res, {
      code: 'not_found',
      detail: 'The operations console is not installed: build @codedispatch/console (npm run build) so that its dist/ is there.',
    });
  };

  router.get(['/console', '/console/'], csp, installed, (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(join(distOrNull() as string, 'index.html'), (e) => {
      // Gone meanwhile: a rebuild of the console empties its dist/ for a moment.
      if (e !== undefined && !res.headersSent)
        sendProblem(res, { code: 'not_found', detail: 'The operations console page is not there right now (being rebuilt?).' });
    });
  });

  let assets: RequestHandler | null = null;
  router.use('/console/assets', csp, installed, (req, res, next) => {
    assets ??= express.static(join(distOrNull() as string, 'assets'), {
      index: false,
      redirect: false,
      immutable: true,
      maxAge: ASSET_MAX_AGE_S * 1000,
    });
    assets(req, res, next);
  });

  return router;
};
