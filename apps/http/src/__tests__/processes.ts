import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';

/* Test support for suites that run the project's commands as processes. */

export const ROOT = resolve(__dirname, '../../../..');

export const freePort = (): Promise<number> =>
  new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });

/** Polls `probe` until it gives a value (a throw counts as not yet). */
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
 * Runs a built entry point (`apps/http/dist/cli/x.js`, as a deployment names
 * it) from its source through tsx, so the suite needs no build first. The
 * process itself, not a launcher: a signal reaches the code under test.
 */
export const spawnEntryPoint = (
  distPath: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  stdout: 'ignore' | 'pipe' = 'ignore',
): ChildProcess => {
  const source = distPath.replace(/^apps\/http\/dist\//, 'apps/http/src/').replace(/\.js$/, '.ts');
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, source), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.jest.json') },
    stdio: ['ignore', stdout, 'inherit'],
  });
};

/** Resolves with the exit code (or the signal's name) once the process has ended. */
export const exited = (child: ChildProcess): Promise<number | string> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode ?? (child.signalCode as string))
    : new Promise((ok) => child.once('exit', (code, signal) => ok(code ?? (signal as string))));
