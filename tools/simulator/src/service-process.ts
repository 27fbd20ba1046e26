import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/*
 * A codedispatch instance started by the simulator: `node apps/http/dist/main.js`
 * with its own port, configuration file and storage (a PGlite directory or a
 * PostgreSQL URL), logging to a file, as bench/http starts it. Nothing of the
 * caller's CODEDISPATCH_*, DATABASE_URL or PGLITE_DATA_DIR reaches it.
 */

/** The repository's root (this file is tools/simulator/{src,dist}/service-process.*). */
export const ROOT = resolve(__dirname, '..', '..', '..');

/** The built service. */
export const SERVICE_MAIN = join(ROOT, 'apps', 'http', 'dist', 'main.js');

export type Storage = { readonly databaseUrl: string } | { readonly pgliteDataDir: string };

export interface ServiceProcessOptions {
  readonly configPath: string;
  readonly storage: Storage;
  /** stdout and stderr of the service. */
  readonly logPath: string;
  readonly host?: string;
  /** 0 or absent: a free port. */
  readonly port?: number;
  /** The node arguments that run the service; default the built main with the heap limit `npm start` uses. */
  readonly nodeArgs?: readonly string[];
  /** Extra environment (e.g. TSX_TSCONFIG_PATH for a service run from its sources). */
  readonly env?: Readonly<Record<string, string>>;
  readonly readyTimeoutMs?: number;
}

export interface ServiceProcess {
  readonly url: string;
  readonly pid: number;
  readonly logPath: string;
  /** Resolves with the exit code, or the signal's name. */
  readonly exited: Promise<number | string>;
  /** SIGTERM (graceful shutdown), SIGKILL after 20 s. */
  stop(): Promise<void>;
  /** Sends a signal (e.g. SIGKILL for a crash). */
  kill(signal: NodeJS.Signals): void;
}

export const freePort = (host = '127.0.0.1'): Promise<number> =>
  new Promise((resolveFn, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolveFn(port));
    });
  });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const logTail = (path: string): string => {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
};

/** Starts the service and resolves once `GET /ready` answers 200. */
export const startServiceProcess = async (o: ServiceProcessOptions): Promise<ServiceProcess> => {
  const host = o.host ?? '127.0.0.1';
  const port = o.port !== undefined && o.port > 0 ? o.port : await freePort(host);
  const nodeArgs = o.nodeArgs ?? ['--max-old-space-size=1024', SERVICE_MAIN];
  if (o.nodeArgs === undefined && !existsSync(SERVICE_MAIN))
    throw new Error(`${SERVICE_MAIN} does not exist: build first (npm run build)`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env))
    if (key.startsWith('CODEDISPATCH_') || ['DATABASE_URL', 'PGLITE_DATA_DIR', 'PORT', 'HOST'].includes(key)) delete env[key];
  Object.assign(env, {
    PORT: String(port),
    HOST: host,
    LOG_LEVEL: 'warn',
    CODEDISPATCH_CONFIG: o.configPath,
    ...('databaseUrl' in o.storage ? { DATABASE_URL: o.storage.databaseUrl } : { PGLITE_DATA_DIR: o.storage.pgliteDataDir }),
    ...o.env,
  });
  const out = openSync(o.logPath, 'a');
  const child = spawn(process.execPath, [...nodeArgs], { cwd: ROOT, env, stdio: ['ignore', out, out] });
  const exited = new Promise<number | string>((done) => child.once('exit', (code, signal) => done(code ?? signal ?? 'unknown')));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://${host}:${port}`;
  const service: ServiceProcess = {
    url,
    pid: child.pid ?? -1,
    logPath: o.logPath,
    exited,
    kill: (signal) => {
      if (!gone) child.kill(signal);
    },
    stop: async () => {
      if (gone) return;
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(kill);
    },
  };
  const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
  while (Date.now() < deadline && !gone) {
    try {
      const r = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(1_000) });
      await r.body?.cancel();
      if (r.ok) return service;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await service.stop();
  throw new Error(
    `the service at ${url} did not become ready (${gone ? 'it exited' : 'timed out'}); ${o.logPath} ends with:\n${logTail(o.logPath)}`,
  );
};
