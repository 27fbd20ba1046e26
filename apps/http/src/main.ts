import { createServer, type Server } from 'node:http';
import * as E from 'fp-ts/Either';
import { formatConfigIssues } from '@codedispatch/core';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '@codedispatch/postgres';
import { createApp } from './app';
import { buildContainer } from './container';
import { databaseSettingsFromEnv, type DatabaseSettings } from './config/database-env';
import { DEMO_OPERATOR_TOKEN, DEMO_SERVICE_TOKEN } from './config/demo-config';
import { loadConfig } from './config/load-config';
import { ReloadableConfigSource } from './config/reloadable-config-source';
import type { AppDeps } from './http/routes/deps';
import { createLogger, errorFields, type Logger } from './observability/logger';
import { Metrics } from './observability/metrics';
import type { Background } from './runtime/background';
import { TOKENS } from './tokens';

/*
 * The service: configuration → database (migrated) → container → HTTP, then
 * the background work (notifier, outbox relay, sweeps). SIGHUP reloads the
 * configuration; SIGTERM/SIGINT shut down gracefully.
 */

/** Long-polls last up to 10 s: requests may take a little longer, headers may not dawdle. */
const SERVER_TIMEOUTS = { requestTimeout: 30_000, headersTimeout: 15_000, keepAliveTimeout: 5_000 } as const;
/**
 * Connections waiting to be accepted. Thousands of long-poll clients may
 * connect at once (a restart, a network blip); past the backlog the kernel
 * drops their handshakes, and each retries only after a second or more.
 * The kernel caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 4096;
/** In-flight requests get this long to finish at shutdown. */
const DRAIN_TIMEOUT_MS = 15_000;

const openConfiguredDatabase = async (settings: DatabaseSettings, logger: Logger): Promise<DatabaseHandle> => {
  const onError = (e: unknown) => logger.warn('database connection error', errorFields(e));
  const handle = await openDatabase({ ...settings, onError });
  logger.info(
    'database open',
    handle.kind === 'pglite' ? { kind: 'pglite', data_dir: settings.pgliteDataDir } : { kind: 'postgres' },
  );
  const report = await migrateToLatest(handle.db);
  logger.info('database migrated', { report });
  return handle;
};

const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });

const printWelcome = (url: string, demo: boolean): void => {
  const lines = [`codedispatch listening on ${url}`, `  OpenAPI: ${url}/docs`];
  if (demo) {
    lines.push(
      '  Demo configuration (CODEDISPATCH_CONFIG unset): areas svo_d and zenit, memory tracker, embedded sink.',
      `  Service token: ${DEMO_SERVICE_TOKEN}`,
      `  Operator token: ${DEMO_OPERATOR_TOKEN} (the console at ${url}/console, npm run admin)`,
      '  Driver token:  npm run token -- --park P --driver D',
      '  Whole flow:    npm run demo',
      `  Try: curl -s -X POST ${url}/v1/order/create -H 'Authorization: Bearer ${DEMO_SERVICE_TOKEN}' -H 'Content-Type: application/json' -d '{"order_id":"o1","area_id":"svo_d"}'`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
};

export const main = async (): Promise<void> => {
  const logger = createLogger();
  const loaded = loadConfig();
  if (E.isLeft(loaded)) {
    process.stderr.write(`codedispatch: the configuration is invalid:\n${formatConfigIssues(loaded.left)}\n`);
    for (const issue of loaded.left) logger.error('configuration issue', { path: issue.path, reason: issue.message });
    process.exit(1);
  }
  const databaseSettings = databaseSettingsFromEnv(process.env);
  if (E.isLeft(databaseSettings)) {
    process.stderr.write(`codedispatch: the environment is invalid:\n${formatConfigIssues(databaseSettings.left)}\n`);
    for (const issue of databaseSettings.left) logger.error('environment issue', { path: issue.path, reason: issue.message });
    process.exit(1);
  }
  const config = new ReloadableConfigSource(loaded.right, () => loadConfig(), logger);
  const origin = loaded.right.origin;
  if (loaded.right.config.tracker.kind === 'memory') {
    logger.warn('tracker.kind is memory: every driver is acquired, no real tracker is asked (demos and tests only)', {
      config: origin.kind,
    });
  }
  if (origin.kind === 'file') config.watchFile(origin.path);
  process.on('SIGHUP', () => config.reload('SIGHUP'));

  const database = await openConfiguredDatabase(databaseSettings.right, logger);
  const container = buildContainer({ config, logger, database, metrics: new Metrics({ defaultMetrics: true }) });
  const deps = container.get<AppDeps>(TOKENS.AppDeps);
  const background = container.get<Background>(TOKENS.Background);

  const server = createServer(SERVER_TIMEOUTS, createApp(deps));
  const port = Number(process.env.PORT ?? 8080);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: process.env.HOST ?? '0.0.0.0', backlog: LISTEN_BACKLOG }, () => resolve());
  });
  await background.start();
  const url = `http://127.0.0.1:${port}`;
  logger.info('listening', { url });
  printWelcome(url, origin.kind === 'demo');

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    config.stopWatching();
    try {
      // Stop accepting; answer waiting long-polls now; let in-flight requests finish.
      const closed = closeServer(server);
      await background.answerWaiters();
      await closed;
      await background.stop(); // sweeps stopped, relay flushed, notifier and sink closed
      await database.close();
      logger.info('stopped');
    } catch (e) {
      logger.error('shutdown failed', errorFields(e));
      process.exitCode = 1;
    }
    // Everything is closed, so the process ends by itself; a stray handle (a keep-alive socket) must not hold it.
    setTimeout(() => process.exit(), 500).unref();
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
};

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`codedispatch: failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
