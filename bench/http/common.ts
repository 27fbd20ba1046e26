/*
 * Shared pieces of the HTTP benchmarks (bench/http/*.ts): scratch databases
 * (the service's schema or the bare servers' table) and their seed data
 * (seed.ts), child processes (the service, the bare servers, the webhook
 * sink), CPU meters, closed-loop load runs with autocannon; re-exports the
 * configuration (config.ts) and the output helpers (output.ts).
 *
 * Everything listens on and talks to 127.0.0.1 only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import * as E from 'fp-ts/Either';
import { CompiledQuery } from 'kysely';
import { Client } from 'pg';
import { migrateToLatest, openDatabase } from '@codedispatch/postgres';
import { readCommandLine, type CommandLine, type CommandOption, type CommandSpec } from '@codedispatch/postgres/command-line';
import { BARE_SCHEMA } from './bare';
import { percentile, sortedOf } from './output';
import { benchConfigDocument } from './config';
import { seedBare, seedService, type SeedSpec } from './seed';

export const ROOT = resolve(__dirname, '..', '..');
export const HOST = '127.0.0.1';

export * from './config';
export * from './output';
export * from './seed';

// ---------------------------------------------------------------- databases

export interface ScratchDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const withAdmin = async <T>(run: (c: Client) => Promise<T>): Promise<T> => {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
};

const urlWithDatabase = (url: string, database: string): string => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

const liveDatabases = new Set<ScratchDatabase>();

/** What a scratch database starts with: the service's migrations, the bare servers' table, or nothing. */
export type Schema = 'service' | 'bare' | 'empty';

/** Runs `work` on a client of one database. */
export const withDatabase = async <T>(url: string, work: (c: Client) => Promise<T>): Promise<T> => {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
};

/** A fresh `cd_bench_<random>_<label>` database with the given schema; dropped by `drop()` or at exit. */
export const createScratchDatabase = async (label: string, schema: Schema = 'service'): Promise<ScratchDatabase> => {
  const name = `cd_bench_${randomBytes(4).toString('hex')}_${label.replace(/[^a-z0-9]/g, '_')}`;
  await withAdmin((c) => c.query(`create database ${name}`));
  const db: ScratchDatabase = {
    name,
    url: urlWithDatabase(ADMIN_URL, name),
    drop: async () => {
      liveDatabases.delete(db);
      await withAdmin((c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
  liveDatabases.add(db);
  if (schema === 'bare') await withDatabase(db.url, (c) => c.query(BARE_SCHEMA));
  if (schema === 'service') {
    const handle = await openDatabase({ databaseUrl: db.url, poolSize: 2 });
    try {
      await migrateToLatest(handle.db);
    } finally {
      await handle.close();
    }
  }
  return db;
};

/**
 * Seeds a database of the service (PostgreSQL URL, or a PGlite data
 * directory, which the service then opens), or of the bare servers.
 */
export const seedDatabase = async (
  where: { databaseUrl: string } | { pgliteDataDir: string } | { bareUrl: string },
  spec: SeedSpec,
): Promise<number> => {
  if ('bareUrl' in where)
    return withDatabase(where.bareUrl, (c) =>
      seedBare(async (text, params = []) => void (await c.query(text, [...params])), spec),
    );
  const handle = await openDatabase({ ...where, poolSize: 2 });
  try {
    await migrateToLatest(handle.db);
    return await seedService(
      async (text, params = []) => void (await handle.db.executeQuery(CompiledQuery.raw(text, [...params]))),
      spec,
    );
  } finally {
    await handle.close();
  }
};

// ---------------------------------------------------------------- processes

const freePort = (): Promise<number> =>
  new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, HOST, () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => done(port));
    });
  });

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Child {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  readonly logPath: string;
  /** From spawning the process to its first 2xx on the ready path, in ms (polled every `pollMs`). */
  readonly readyMs: number;
  stop(): Promise<void>;
}

const liveChildren = new Set<Child>();

let scratchDir: string | null = null;
/** One temporary directory per benchmark process (logs, configs, PGlite data), removed at the end. */
export const scratch = (): string => (scratchDir ??= mkdtempSync(join(tmpdir(), 'cd-bench-')));

const waitReady = async (
  url: string,
  child: ChildProcess,
  logPath: string,
  pollMs: number,
  timeoutMs = 60_000,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await r.body?.cancel();
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(pollMs);
  }
  const tail = readFileSync(logPath, 'utf8').split('\n').slice(-20).join('\n');
  throw new Error(`${url} did not become ready (exit code ${String(child.exitCode)}); log tail:\n${tail}`);
};

const startChild = async (
  name: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  port: number,
  readyPath: string,
  pollMs = 100,
): Promise<Child> => {
  const logPath = join(scratch(), `${name}.log`);
  const out = openSync(logPath, 'a');
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...args], { cwd: ROOT, env, stdio: ['ignore', out, out] });
  const url = `http://${HOST}:${port}`;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const handle: Child = {
    name,
    url,
    pid: child.pid ?? -1,
    logPath,
    readyMs: NaN,
    stop: async () => {
      liveChildren.delete(handle);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(20_000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  liveChildren.add(handle);
  try {
    await waitReady(url + readyPath, child, logPath, pollMs);
  } catch (e) {
    await handle.stop();
    throw e;
  }
  return { ...handle, readyMs: performance.now() - spawnedAt };
};

export interface ServiceOptions {
  readonly name: string;
  /** The configuration file; without one the service starts with its demo configuration (as `npm start` does). */
  readonly configPath?: string;
  readonly databaseUrl?: string;
  readonly pgliteDataDir?: string;
  /** Extra node flags (e.g. --cpu-prof). */
  readonly nodeFlags?: readonly string[];
  /** How often /ready is asked while it starts (100 ms). */
  readonly pollMs?: number;
}

/**
 * `node --max-old-space-size=1024 apps/http/dist/main.js` (the heap limit
 * the image and `npm start` run it with), on its own port, logging (as in
 * production) to a file. None of the caller's CODEDISPATCH_*, DATABASE_URL,
 * PGLITE_DATA_DIR or LOG_LEVEL reaches it: only what the options say.
 * BENCH_SERVICE_NODE_FLAGS adds node flags to every service started (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof`, to see where a part's CPU goes).
 */
/** As in the Dockerfile's NODE_OPTIONS and the `start` script. */
const SERVICE_HEAP_LIMIT = '--max-old-space-size=1024';

export const startService = async (o: ServiceOptions): Promise<Child> => {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST };
  for (const key of Object.keys(env)) {
    if (key.startsWith('CODEDISPATCH_') || ['DATABASE_URL', 'PGLITE_DATA_DIR', 'LOG_LEVEL'].includes(key)) delete env[key];
  }
  if (o.configPath !== undefined) env.CODEDISPATCH_CONFIG = o.configPath;
  if (o.databaseUrl !== undefined) env.DATABASE_URL = o.databaseUrl;
  if (o.pgliteDataDir !== undefined) env.PGLITE_DATA_DIR = o.pgliteDataDir;
  const flags = [
    SERVICE_HEAP_LIMIT,
    ...(o.nodeFlags ?? []),
    ...(process.env.BENCH_SERVICE_NODE_FLAGS ?? '').split(' ').filter((f) => f !== ''),
  ];
  return startChild(o.name, [...flags, join(ROOT, 'apps/http/dist/main.js')], env, port, '/ready', o.pollMs);
};

/** A TypeScript file of bench/http run by node through tsx, with PORT (and DATABASE_URL) set. */
export const startScript = async (
  name: string,
  file: string,
  env: Record<string, string> = {},
  nodeFlags: readonly string[] = [],
): Promise<Child> => {
  const port = await freePort();
  return startChild(
    name,
    [...nodeFlags, '--import', 'tsx', join(ROOT, 'bench/http', file)],
    { ...process.env, ...env, PORT: String(port), HOST },
    port,
    '/ping',
  );
};

/** The webhook receiver of the outbox relay. */
export const startSink = () => startScript('sink', 'sink.ts');

/** The service's configuration file, pointing its webhook at the sink. */
export const writeConfig = (sinkUrl: string): string => {
  const path = join(scratch(), `config-${randomBytes(3).toString('hex')}.json`);
  writeFileSync(path, JSON.stringify(benchConfigDocument(`${sinkUrl}/events`), null, 2));
  return path;
};

/** `codedispatch_outbox_depth` from the service's /metrics (NaN when it has none). */
const outboxDepth = async (url: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^codedispatch_outbox_depth (\S+)$/m.exec(text)?.[1] ?? NaN);
};

/** Waits (up to 60 s) until the relay delivered the run's events, so its work does not spill into the next run. */
export const drainOutbox = async (url: string): Promise<{ events: number; drainedInS: number | null }> => {
  const started = Date.now();
  const events = await outboxDepth(url);
  let depth = events;
  while (depth > 0 && Date.now() - started < 60_000) {
    await sleep(250);
    depth = await outboxDepth(url);
  }
  return { events, drainedInS: depth > 0 ? null : (Date.now() - started) / 1000 };
};

/** Peak and current resident memory of a process, in MiB (Linux /proc). */
export const memoryOf = (pid: number): { peakMiB: number; rssMiB: number } => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { peakMiB: kb('VmHWM') / 1024, rssMiB: kb('VmRSS') / 1024 };
};

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU time (user + system) a process has used so far, in ms; 0 once it is gone. */
export const cpuMsOf = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
};

/** CPU per request of one measured run, and how busy the machine was. */
export interface Cost {
  /** The target's process(es). */
  readonly appCpuMs: number;
  /** The PostgreSQL backends of its database (NaN on PGlite, which runs inside the app). */
  readonly dbCpuMs: number;
  /** This process: the load generator. */
  readonly loadGenCpuMs: number;
  /** Share of the machine's CPU (all cores) busy during the run, and the part of it used by none of the above (others). */
  readonly machineBusy: number;
  readonly othersBusy: number;
}

/**
 * A meter of a target's CPU: its processes (a service or bare server), and
 * the PostgreSQL backends serving its database (pg_stat_activity's `datname`,
 * CPU from /proc/<pid>/stat, so the server's background processes and other
 * databases' backends are left out). A backend that connects during the
 * measurement counts from its start; one that exits during it counts for
 * nothing (the pools keep their connections while busy). Also the load
 * generator (this process) and the whole machine (/proc/stat), so that what
 * other tenants took shows.
 */
export const usageMeter = async (pids: readonly number[], database: string | null) => {
  const client = database === null ? null : new Client({ connectionString: ADMIN_URL });
  await client?.connect();
  const backendsNow = async (): Promise<{ pid: number; started: Date }[]> =>
    client === null
      ? []
      : (
          await client.query<{ pid: number; started: Date }>(
            'select pid, backend_start as started from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
            [database],
          )
        ).rows;
  const appNow = (): number => pids.reduce((n, p) => n + cpuMsOf(p), 0);
  let app = 0;
  let since = new Date();
  let backends = new Map<number, number>();
  let machine = machineCpuMs();
  let generator = process.cpuUsage();
  return {
    start: async (): Promise<void> => {
      since = new Date();
      backends = new Map((await backendsNow()).map((r) => [r.pid, cpuMsOf(r.pid)]));
      app = appNow();
      machine = machineCpuMs();
      generator = process.cpuUsage();
    },
    /** CPU used since start(), per request served. */
    stop: async (requests: number): Promise<Cost> => {
      const appMs = appNow() - app;
      const generated = process.cpuUsage(generator);
      const generatorMs = (generated.user + generated.system) / 1000;
      const machineNow = machineCpuMs();
      let dbMs = 0;
      for (const [p, before] of backends) dbMs += Math.max(0, cpuMsOf(p) - before);
      for (const b of await backendsNow()) if (!backends.has(b.pid) && b.started >= since) dbMs += cpuMsOf(b.pid);
      const busyMs = machineNow.busy - machine.busy;
      const totalMs = machineNow.total - machine.total;
      return {
        appCpuMs: appMs / requests,
        dbCpuMs: client === null ? NaN : dbMs / requests,
        loadGenCpuMs: generatorMs / requests,
        machineBusy: busyMs / totalMs,
        // The process counters and /proc/stat tick apart: a few ticks' difference would make an idle machine's share negative.
        othersBusy: Math.max(0, busyMs - appMs - dbMs - generatorMs) / totalMs,
      };
    },
    close: async (): Promise<void> => {
      await client?.end();
    },
  };
};

/** Busy and total CPU time of the whole machine so far (all cores, /proc/stat), in ms. */
const machineCpuMs = (): { busy: number; total: number } => {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: ((total - idle) * 1000) / CLK_TCK, total: (total * 1000) / CLK_TCK };
};

/** The shell's open-file limit (what child processes inherit). */
export const openFileLimit = (): number => {
  const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const n = r.stdout.trim();
  return n === 'unlimited' ? Number.POSITIVE_INFINITY : Number(n);
};

/** Stops every child and drops every scratch database this process made (also on Ctrl-C or SIGTERM). */
const cleanUp = async (): Promise<void> => {
  await Promise.allSettled([...liveChildren].map((c) => c.stop()));
  await Promise.allSettled([...liveDatabases].map((d) => d.drop()));
  if (scratchDir !== null && process.env.BENCH_KEEP_SCRATCH === undefined) rmSync(scratchDir, { recursive: true, force: true });
  scratchDir = null;
};

/**
 * Runs a benchmark's main once its command line is read (`-h`/`--help`
 * answered, an unknown option or argument refused with exit 2, in both cases
 * before any work), cleaning up after it whatever happens.
 */
export const runMain = <O extends Readonly<Record<string, CommandOption>>>(
  command: CommandSpec<O>,
  main: (line: CommandLine<O>) => Promise<void>,
): void => {
  const line = readCommandLine(command, process.argv.slice(2), process);
  if (E.isLeft(line)) {
    process.exitCode = line.left;
    return;
  }
  // One Ctrl-C or kill often arrives twice: once directly, once passed on by tsx. Only a third signal
  // gives up on the clean-up (and leaves the children and scratch databases behind).
  let signals = 0;
  const interrupt = (): void => {
    signals++;
    if (signals >= 3) process.exit(130);
    if (signals === 2) {
      process.stderr.write('still cleaning up; a third signal quits without it\n');
      return;
    }
    process.stderr.write('\ninterrupted: stopping children and dropping scratch databases…\n');
    void cleanUp().finally(() => process.exit(130));
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  main(line.right)
    .catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    })
    .finally(() => cleanUp())
    .finally(() => process.exit());
};

// -------------------------------------------------------------------- load

export interface RequestShape {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export interface LoadOptions {
  readonly url: string;
  readonly seconds: number;
  readonly connections?: number;
  /** The next request; called once per request. */
  readonly next: () => RequestShape;
}

export interface LoadStats {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly statusCodes: Record<string, number>;
}

/**
 * One autocannon run, closed loop (each connection sends its next request
 * when the last is answered). Latencies are taken from autocannon's
 * `response` event (hrtime, sub-millisecond) over every response, not from
 * its integer-ms histogram. Fixed rates are not done with autocannon (its
 * `overallRate` is a budget per connection per second, sent in bursts): see
 * mixed.ts's open loop.
 */
export const load = async (o: LoadOptions): Promise<LoadStats> => {
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  const options: autocannon.Options = {
    url: o.url,
    connections: o.connections ?? 16,
    duration: o.seconds,
    timeout: 30,
    requests: [
      {
        setupRequest: (req) => {
          const r = o.next();
          const headers: Record<string, string> = { ...r.headers };
          if (r.body !== undefined) headers['content-type'] = 'application/json';
          return { ...req, method: r.method, path: r.path, headers, body: r.body ?? '' };
        },
      },
    ],
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (err: unknown, r: autocannon.Result) => (err ? reject(err) : resolve(r)));
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    });
  });
  const sorted = sortedOf(latencies);
  const seconds = result.duration;
  return {
    requests: latencies.length,
    seconds,
    rps: latencies.length / seconds,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : NaN,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
  };
};
