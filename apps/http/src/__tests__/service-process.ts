import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';

/*
 * The service as a process (`apps/http/src/main.ts` run by tsx, no build
 * needed), for tests that need the real binary: signals, restarts, its own
 * environment.
 */

export const ROOT = resolve(__dirname, '../../../..');

export const freePort = (): Promise<number> =>
  new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });

/** Polls `probe` every 100 ms until it gives a value (a rejection counts as none). */
export const waitFor = async <A>(what: string, probe: () => Promise<A | undefined>, timeoutMs = 60_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/**
 * Starts the service itself, not a launcher (a signal must hit the process
 * that holds the work), with `env` over the test's own environment.
 */
export const spawnService = (env: Record<string, string>, stderr: 'inherit' | 'pipe' = 'inherit'): ChildProcess =>
  spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'apps/http/src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.jest.json'), ...env },
    stdio: ['ignore', 'ignore', stderr],
  });

/** Resolves once `/ready` answers 200. */
export const untilReady = (base: string, timeoutMs = 90_000): Promise<true> =>
  waitFor('the service to be ready', async () => ((await fetch(`${base}/ready`)).ok ? true : undefined), timeoutMs);

/**
 * Runs another entry point as a deployment names it (`apps/http/dist/cli/x.js`),
 * from its source through tsx, so no build is needed first.
 */
export const spawnEntryPoint = (
  distPath: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): ChildProcess => {
  const source = distPath.replace(/^apps\/http\/dist\//, 'apps/http/src/').replace(/\.js$/, '.ts');
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, source), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.jest.json') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
};

/** Resolves with the exit code (or the signal's name) once the process has ended. */
export const exited = (child: ChildProcess): Promise<number | string> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode ?? (child.signalCode as string))
    : new Promise((ok) => child.once('exit', (code, signal) => ok(code ?? (signal as string))));
