import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/*
 * A PostgreSQL server of the test's own, for fault tests: never stop or
 * restart the machine's shared server (other suites run on it at the same
 * time). Its own port, its own folder, trust authentication; about 2 s to
 * start. As root, the server runs as the `postgres` user.
 */

const BIN = '/usr/lib/postgresql/15/bin';
const run = promisify(execFile);

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a server binary, as `postgres` when we are root (the server refuses to run as root). */
const server = async (binary: string, args: readonly string[]): Promise<void> => {
  const quoted = [join(BIN, binary), ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  if (asRoot) await run('su', ['postgres', '-c', quoted]);
  else await run(join(BIN, binary), [...args]);
};

export class ThrowawayPostgres {
  /** Whether the PostgreSQL 15 binaries are installed here. */
  static readonly available = existsSync(join(BIN, 'initdb')) && existsSync(join(BIN, 'pg_ctl'));

  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<ThrowawayPostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'codedispatch-pg-'));
    try {
      if (asRoot) await run('chown', ['postgres:postgres', dir]);
      await server('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
      const pg = new ThrowawayPostgres(dir, await freePort());
      await pg.start();
      return pg;
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** The `postgres` database as the superuser; `applicationName` tells the test's own connections apart. */
  url(applicationName?: string): string {
    const url = `postgres://postgres@127.0.0.1:${this.port}/postgres`;
    return applicationName === undefined ? url : `${url}?application_name=${encodeURIComponent(applicationName)}`;
  }

  /** `pg_ctl -m fast stop`: every connection is closed; resolves once the server is down. */
  stop(): Promise<void> {
    return this.ctl('stop');
  }

  /** Starts it again (after `stop`); resolves once it accepts connections. */
  start(): Promise<void> {
    return this.ctl('start');
  }

  /** Stops the server (if it runs) and removes its folder. */
  async destroy(): Promise<void> {
    await server('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private ctl(action: 'start' | 'stop'): Promise<void> {
    const data = join(this.dir, 'data');
    if (action === 'stop') return server('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    // fsync off: a fast stop is a clean shutdown, nothing committed is lost.
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    return server('pg_ctl', ['-D', data, '-l', join(this.dir, 'log'), '-w', 'start', '-o', options]);
  }
}
