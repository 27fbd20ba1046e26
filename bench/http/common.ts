/*
 * Shared pieces of the HTTP benchmarks (bench/http/*.ts): scratch databases
 * and their seed data,
 * child processes (the service, the bare servers, the webhook sink), load
 * runs with autocannon, and the statistics printed at the end.
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
import { candidatesFromIndex, isTrivial } from '@codedispatch/core';
import {
  migrateToLatest,
  openDatabase,
  readCommandLine,
  type CommandLine,
  type CommandOption,
  type CommandSpec,
  type DatabaseHandle,
} from '@codedispatch/postgres';
import { AREA, benchConfigDocument, GENERATOR, ORDER_EXPIRE_S, PARK } from './config';

export const ROOT = resolve(__dirname, '..', '..');
export const HOST = '127.0.0.1';

export * from './config';

// -------------------------------------------------------------------- seeds

/** Distinct issuable codes, `count` of them from index `start` of the area's space (trivial ones skipped). */
export const codesFrom = (start: number, count: number): string[] =>
  candidatesFromIndex(GENERATOR, start, count + 64)
    .filter((c) => !isTrivial(GENERATOR, c))
    .slice(0, count);

/** What one scratch database holds before a run: orders by prefix, all in the bench area. */
export interface SeedSpec {
  /** `pending` orders `${prefix}-${i}` with codes[i] (to be assigned). */
  readonly pending?: { readonly prefix: string; readonly codes: readonly string[] };
  /** `processing` orders `${prefix}-${i}` held by driver `${prefix}${i}` (lookups, status reads, long-polls). */
  readonly processing?: readonly { readonly prefix: string; readonly count: number; readonly codeStart: number }[];
}

export type Exec = (text: string, params?: readonly unknown[]) => Promise<void>;

const execOf =
  (handle: DatabaseHandle): Exec =>
  async (text, params = []) => {
    await handle.db.executeQuery(CompiledQuery.raw(text, [...params]));
  };

const CHUNK = 10_000;

/** The change-log entries a record in this state would have (the service's own JSON shape). */
const createdEntry = (at: string) => ({ at, from: null, to: 'pending', actor: { kind: 'service', name: 'bench' } });
const enteredEntry = (at: string, driverId: string) => ({
  at,
  from: 'pending',
  to: 'processing',
  actor: { kind: 'driver', park_db_id: PARK, driver_id: driverId },
});

/** Inserts the seed rows in chunks of 10,000 (one statement each, arrays as parameters). */
export const seed = async (exec: Exec, spec: SeedSpec): Promise<number> => {
  const now = new Date();
  const at = now.toISOString();
  const expires = new Date(now.getTime() + ORDER_EXPIRE_S * 1000);
  let rows = 0;
  if (spec.pending !== undefined) {
    const { prefix, codes } = spec.pending;
    const changes = JSON.stringify([createdEntry(at)]);
    for (let from = 0; from < codes.length; from += CHUNK) {
      const part = codes.slice(from, from + CHUNK);
      await exec(
        `insert into code_dispatch.assignments
           (order_id, area_id, code, status, created_at, updated_at, expires_at, attempt, version, changes)
         select $1::text || '-' || (k.ord - 1 + $2::integer), $3::text, k.code, 'pending', $4::timestamptz, $4::timestamptz,
                $5::timestamptz, 0, 1, $6::jsonb
         from unnest($7::text[]) with ordinality as k(code, ord)`,
        [prefix, from, AREA, now, expires, changes, part],
      );
      rows += part.length;
    }
  }
  for (const group of spec.processing ?? []) {
    const codes = codesFrom(group.codeStart, group.count);
    for (let from = 0; from < codes.length; from += CHUNK) {
      const part = codes.slice(from, from + CHUNK);
      await exec(
        `insert into code_dispatch.assignments
           (order_id, area_id, code, status, driver_id, park_db_id, created_at, updated_at, expires_at, attempt, version, changes)
         select $1::text || '-' || n, $2::text, k.code, 'processing', $1::text || n, $3::text, $4::timestamptz, $4::timestamptz,
                $5::timestamptz, 1, 2,
                jsonb_build_array($6::jsonb, jsonb_set($7::jsonb, '{actor,driver_id}', to_jsonb($1::text || n)))
         from unnest($8::text[]) with ordinality as k(code, ord), lateral (select (k.ord - 1 + $9::integer)::text as n) as i`,
        [
          group.prefix,
          AREA,
          PARK,
          now,
          expires,
          JSON.stringify(createdEntry(at)),
          JSON.stringify(enteredEntry(at, '')),
          part,
          from,
        ],
      );
      rows += part.length;
    }
  }
  await exec('analyze code_dispatch.assignments');
  return rows;
};

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

/** A fresh `cd_bench_<random>` database, migrated to the service's schema. */
export const createScratchDatabase = async (label: string): Promise<ScratchDatabase> => {
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
  const handle = await openDatabase({ databaseUrl: db.url, poolSize: 2 });
  try {
    await migrateToLatest(handle.db);
  } finally {
    await handle.close();
  }
  return db;
};

/** Seeds a database (PostgreSQL URL, or a PGlite data directory, which the service then opens). */
export const seedDatabase = async (where: { databaseUrl: string } | { pgliteDataDir: string }, spec: SeedSpec) => {
  const handle = await openDatabase({ ...where, poolSize: 2 });
  try {
    await migrateToLatest(handle.db);
    return await seed(execOf(handle), spec);
  } finally {
    await handle.close();
  }
};

/** Undelivered outbox events (the relay's backlog) in a PostgreSQL database. */
export const outboxBacklog = async (databaseUrl: string): Promise<number> => {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'select count(*) as n from code_dispatch.outbox where delivered_at is null and dead_at is null',
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
};

// ---------------------------------------------------------------- processes

export const freePort = (): Promise<number> =>
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
  stop(): Promise<void>;
}

const liveChildren = new Set<Child>();

let scratchDir: string | null = null;
/** One temporary directory per benchmark process (logs, configs, PGlite data), removed at the end. */
export const scratch = (): string => (scratchDir ??= mkdtempSync(join(tmpdir(), 'cd-bench-')));

const waitReady = async (url: string, child: ChildProcess, logPath: string, timeoutMs = 60_000): Promise<void> => {
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
    await sleep(100);
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
): Promise<Child> => {
  const logPath = join(scratch(), `${name}.log`);
  const out = openSync(logPath, 'a');
  const child = spawn(process.execPath, [...args], { cwd: ROOT, env, stdio: ['ignore', out, out] });
  const url = `http://${HOST}:${port}`;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const handle: Child = {
    name,
    url,
    pid: child.pid ?? -1,
    logPath,
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
    await waitReady(url + readyPath, child, logPath);
  } catch (e) {
    await handle.stop();
    throw e;
  }
  return handle;
};

export interface ServiceOptions {
  readonly name: string;
  readonly configPath: string;
  readonly databaseUrl?: string;
  readonly pgliteDataDir?: string;
  /** Extra node flags (e.g. --cpu-prof). */
  readonly nodeFlags?: readonly string[];
}

/** `node apps/http/dist/main.js`, on its own port, logging (as in production) to a file. */
export const startService = async (o: ServiceOptions): Promise<Child> => {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST, CODEDISPATCH_CONFIG: o.configPath };
  delete env.DATABASE_URL;
  delete env.PGLITE_DATA_DIR;
  delete env.CODEDISPATCH_SERVICE_TOKENS;
  delete env.CODEDISPATCH_DRIVER_JWT_SECRET;
  if (o.databaseUrl !== undefined) env.DATABASE_URL = o.databaseUrl;
  if (o.pgliteDataDir !== undefined) env.PGLITE_DATA_DIR = o.pgliteDataDir;
  return startChild(o.name, [...(o.nodeFlags ?? []), join(ROOT, 'apps/http/dist/main.js')], env, port, '/ready');
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

/**
 * A meter of a target's CPU (the service or bare server process, and its
 * PostgreSQL backends as listed in pg_stat_activity) and of its database's
 * transactions (pg_stat_database; backends flush them within about a second
 * of going idle, so read them after a pause).
 */
export const usageMeter = async (pid: number, database: string | null) => {
  const client = database === null ? null : new Client({ connectionString: ADMIN_URL });
  await client?.connect();
  let app = 0;
  let backends = new Map<number, number>();
  return {
    start: async (): Promise<void> => {
      app = cpuMsOf(pid);
      const rows =
        client === null
          ? []
          : (
              await client.query<{ pid: number }>(
                'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
                [database],
              )
            ).rows;
      backends = new Map(rows.map((r) => [r.pid, cpuMsOf(r.pid)]));
    },
    /** CPU used since start(), in ms (a backend gone meanwhile counts for nothing). */
    stop: (): { appCpuMs: number; dbCpuMs: number } => {
      let db = 0;
      for (const [p, before] of backends) db += Math.max(0, cpuMsOf(p) - before);
      return { appCpuMs: cpuMsOf(pid) - app, dbCpuMs: client === null ? NaN : db };
    },
    transactions: async (): Promise<number> =>
      client === null
        ? NaN
        : Number(
            (
              await client.query<{ n: string }>(
                'select xact_commit + xact_rollback as n from pg_stat_database where datname = $1',
                [database],
              )
            ).rows[0]?.n ?? NaN,
          ),
    close: async (): Promise<void> => {
      await client?.end();
    },
  };
};

/** Busy and total CPU time of the whole machine so far (all cores, /proc/stat), in ms. */
export const machineCpuMs = (): { busy: number; total: number } => {
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
export const cleanUp = async (): Promise<void> => {
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
  let interrupted = false;
  const interrupt = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
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
  /** Fixed overall rate (autocannon `overallRate`). */
  readonly overallRate?: number;
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

/** Nearest-rank percentile of sorted values. */
export const percentile = (sorted: ArrayLike<number>, q: number): number =>
  sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number);

export const sortedOf = (values: readonly number[]): Float64Array => Float64Array.from(values).sort();

/**
 * One autocannon run. Latencies are taken from autocannon's `response` event
 * (hrtime, sub-millisecond) over every response, not from its integer-ms
 * histogram; with a fixed rate autocannon's own coordinated-omission
 * correction is turned off (in 9.0.0 it uses an expected interval of
 * ceil(1/rate) = 1 ms instead of 1000/rate ms).
 */
export const load = async (o: LoadOptions): Promise<LoadStats> => {
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  const options: autocannon.Options = {
    url: o.url,
    connections: o.connections ?? 16,
    duration: o.seconds,
    timeout: 30,
    ...(o.overallRate !== undefined ? { overallRate: o.overallRate, ignoreCoordinatedOmission: true } : {}),
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

// ------------------------------------------------------------------- output

export const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** A plain-text table, columns padded, numbers right-aligned. */
export const table = (head: readonly string[], rows: readonly (readonly string[])[]): string => {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (/^[-\d.,%×]+/.test(c) && i > 0 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
};

export const stamp = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export const log = (message: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};
