/*
 * npm run bench:http — the HTTP benchmarks:
 *
 *   1. compare: the service against the same hot paths written bare
 *      (bare-express.ts, bare-node.ts), each on its own fresh database of the
 *      real PostgreSQL, plus the service on PGlite; autocannon, 16
 *      connections, a warm-up then a measured run per target and path, the
 *      targets taking turns per path so noise hits all alike.
 *   2. mixed (mixed.ts): p99 at a fixed 1,000 requests/s mixed load.
 *   3. long-poll (long-poll.ts): 10,000 concurrent status long-polls woken by lookups.
 *
 * Options (environment): BENCH_DATABASE_URL (admin URL; default
 * postgres://postgres@127.0.0.1:5432/test), BENCH_SECONDS (8), BENCH_WARMUP (2),
 * BENCH_CONNECTIONS (16), BENCH_SEED (orders per consuming path, 80000),
 * BENCH_SEED_PGLITE (30000), BENCH_ONLY (compare,mixed,long-poll),
 * BENCH_PGLITE (1; 0 leaves the PGlite service out), BENCH_JSON (write results there).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  ADMIN_URL,
  createScratchDatabase,
  fmt,
  load,
  log,
  machineCpuMs,
  runMain,
  scratch,
  seedDatabase,
  sleep,
  stamp,
  startScript,
  startService,
  startSink,
  table,
  usageMeter,
  writeConfig,
  type Child,
  type LoadStats,
} from './common';
import { runLongPoll, type LongPollResult } from './long-poll';
import { runMixed, type MixedReport } from './mixed';
import { PATHS, Workload, type PathName } from './workload';

const num = (name: string, fallback: number): number => {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Number(v);
};

const SECONDS = num('BENCH_SECONDS', 8);
const WARMUP = num('BENCH_WARMUP', 2);
const CONNECTIONS = num('BENCH_CONNECTIONS', 16);
const SEED = num('BENCH_SEED', 80_000);
const SEED_PGLITE = num('BENCH_SEED_PGLITE', 30_000);
const WITH_PGLITE = process.env.BENCH_PGLITE !== '0';
const ONLY = new Set((process.env.BENCH_ONLY ?? 'compare,mixed,long-poll').split(',').map((s) => s.trim()));
/** Service/bare-express requests/s needed on every path. */
const TARGET_RATIO = 0.75;

type TargetId = 'service' | 'express' | 'node' | 'pglite';
const LABELS: Record<TargetId, string> = {
  service: 'service (PG)',
  express: 'bare express+pg',
  node: 'bare node:http+pg',
  pglite: 'service (PGlite)',
};

interface Target {
  readonly id: TargetId;
  readonly child: Child;
  /** Its PostgreSQL database (null: PGlite, inside the service). */
  readonly database: string | null;
  readonly stream: ReturnType<Workload['stream']>;
  readonly seeded: number;
}

/** Per request of a measured run: CPU of the target, of its database backends, of the load generator; statements. */
interface Cost {
  readonly appCpuMs: number;
  readonly dbCpuMs: number;
  readonly loadGenCpuMs: number;
  readonly statements: number;
  /** Share of the machine's CPU (all cores) busy during the run, and the part of it used by none of the above (others). */
  readonly machineBusy: number;
  readonly othersBusy: number;
}

interface Measured {
  readonly path: PathName;
  readonly target: TargetId;
  readonly stats: LoadStats;
  readonly cost: Cost;
  /** Service only: outbox events still undelivered right after the run, and how long they took to drain. */
  readonly backlog?: { readonly events: number; readonly drainedInS: number | null };
}

/** `codedispatch_outbox_depth` from the service's /metrics. */
const outboxDepth = async (url: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^codedispatch_outbox_depth (\S+)$/m.exec(text)?.[1] ?? NaN);
};

/** Waits (up to 60 s) until the relay delivered the run's events, so its work does not spill into the next run. */
const drainOutbox = async (url: string): Promise<{ events: number; drainedInS: number | null }> => {
  const started = Date.now();
  const events = await outboxDepth(url);
  let depth = events;
  while (depth > 0 && Date.now() - started < 60_000) {
    await sleep(250);
    depth = await outboxDepth(url);
  }
  return { events, drainedInS: depth > 0 ? null : (Date.now() - started) / 1000 };
};

/**
 * Statements per request, from pg_stat_database (xact_commit + xact_rollback:
 * every statement of the service and of the bare servers is its own
 * transaction). Backends publish these counts within a second while busy but
 * only after 10 s once idle, so each target's count is read just before its
 * next run, when it has been idle for a while, and once more 11 s after its
 * last. The service's own background statements (sweeps, the relay's safety
 * poll), measured while it is idle at the end, are taken off.
 */
const statementCounter = async () => {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  const read = async (database: string): Promise<number> =>
    Number(
      (
        await client.query<{ n: string }>('select xact_commit + xact_rollback as n from pg_stat_database where datname = $1', [
          database,
        ])
      ).rows[0]?.n ?? NaN,
    );
  const marks = new Map<TargetId, { path: PathName | null; at: number; count: number; served: number }>();
  const counted = new Map<string, { statements: number; seconds: number; served: number }>();
  const background = new Map<TargetId, number>();
  const close = (id: TargetId, at: number, count: number): void => {
    const last = marks.get(id);
    if (last?.path != null)
      counted.set(`${id}/${last.path}`, { statements: count - last.count, seconds: (at - last.at) / 1000, served: last.served });
  };
  return {
    mark: async (t: Target, path: PathName | null): Promise<void> => {
      if (t.database === null) return;
      const at = Date.now();
      const count = await read(t.database);
      close(t.id, at, count);
      marks.set(t.id, { path, at, count, served: 0 });
    },
    served: (t: Target, requests: number): void => {
      const m = marks.get(t.id);
      if (m !== undefined) m.served += requests;
    },
    finish: async (targets: readonly Target[]): Promise<void> => {
      log('compare: 11 s idle, for the last statement counts');
      await sleep(11_000);
      const at = Date.now();
      const counts = new Map<TargetId, number>();
      for (const t of targets) if (t.database !== null) counts.set(t.id, await read(t.database));
      for (const t of targets) if (t.database !== null) close(t.id, at, counts.get(t.id) ?? NaN);
      await sleep(5_000);
      for (const t of targets) {
        if (t.database === null) continue;
        background.set(t.id, ((await read(t.database)) - (counts.get(t.id) ?? NaN)) / ((Date.now() - at) / 1000));
      }
    },
    perRequest: (id: TargetId, path: PathName): number => {
      const c = counted.get(`${id}/${path}`);
      return c === undefined ? NaN : (c.statements - (background.get(id) ?? 0) * c.seconds) / c.served;
    },
    backgroundPerSecond: (id: TargetId): number => background.get(id) ?? NaN,
    close: () => client.end(),
  };
};

const compare = async (): Promise<CompareReport> => {
  const pgWorkload = new Workload(SEED);
  const pgliteWorkload = WITH_PGLITE ? new Workload(SEED_PGLITE) : null;
  log(
    `compare: seeding ${SEED.toLocaleString('en')} pending + ${SEED.toLocaleString('en')} processing orders per PostgreSQL target…`,
  );
  const [serviceDb, expressDb, nodeDb] = await Promise.all(
    (['service', 'express', 'node'] as const).map(async (id) => {
      const db = await createScratchDatabase(id);
      await seedDatabase({ databaseUrl: db.url }, pgWorkload.seedSpec());
      return db;
    }),
  );
  const sink = await startSink();
  const configPath = writeConfig(sink.url);
  const targets: Target[] = [
    {
      id: 'service',
      child: await startService({ name: 'service-pg', configPath, databaseUrl: serviceDb?.url ?? '' }),
      database: serviceDb?.name ?? null,
      stream: pgWorkload.stream(),
      seeded: SEED,
    },
    {
      id: 'express',
      child: await startScript('bare-express', 'bare-express.ts', { DATABASE_URL: expressDb?.url ?? '' }),
      database: expressDb?.name ?? null,
      stream: pgWorkload.stream(),
      seeded: SEED,
    },
    {
      id: 'node',
      child: await startScript('bare-node', 'bare-node.ts', { DATABASE_URL: nodeDb?.url ?? '' }),
      database: nodeDb?.name ?? null,
      stream: pgWorkload.stream(),
      seeded: SEED,
    },
  ];
  // Seeding PGlite takes a while; the PostgreSQL targets idle meanwhile. That also lets the service's
  // LISTEN backend publish its statistics once (it does so 10 s after its last command, and never
  // again while it only listens); measured right after start, its NOTIFY transactions would count.
  const pgliteDir = join(scratch(), 'pglite');
  const settled = sleep(11_000);
  if (pgliteWorkload !== null) {
    log(`compare: seeding PGlite (${SEED_PGLITE.toLocaleString('en')} per consuming path)…`);
    await seedDatabase({ pgliteDataDir: pgliteDir }, pgliteWorkload.seedSpec());
  }
  await settled;
  if (pgliteWorkload !== null) {
    targets.push({
      id: 'pglite',
      child: await startService({ name: 'service-pglite', configPath, pgliteDataDir: pgliteDir }),
      database: null,
      stream: pgliteWorkload.stream(),
      seeded: SEED_PGLITE,
    });
  }

  const results: Measured[] = [];
  const statements = await statementCounter();
  try {
    for (const [p, path] of PATHS.entries()) {
      // Take turns: each path starts with another target.
      const order = targets.map((_, i) => targets[(i + p) % targets.length] as Target);
      for (const t of order) {
        const next = t.stream[path];
        log(`compare: ${path} → ${LABELS[t.id]}: warm-up ${WARMUP} s, then ${SECONDS} s`);
        const meter = await usageMeter(t.child.pid, t.database);
        try {
          await statements.mark(t, path);
          const warm = await load({ url: t.child.url, seconds: WARMUP, connections: CONNECTIONS, next });
          await meter.start();
          const machineBefore = machineCpuMs();
          const generatorBefore = process.cpuUsage();
          const stats = await load({ url: t.child.url, seconds: SECONDS, connections: CONNECTIONS, next });
          const generator = process.cpuUsage(generatorBefore);
          const machine = machineCpuMs();
          const cpu = meter.stop();
          const consumed = path === 'assign' || path === 'lookup' ? t.stream.used[path] : 0;
          if (consumed > t.seeded) log(`  warning: ${consumed} ${path} requests but only ${t.seeded} seeded orders`);
          const backlog = t.id === 'service' || t.id === 'pglite' ? await drainOutbox(t.child.url) : undefined;
          statements.served(t, warm.requests + stats.requests);
          const generatorMs = (generator.user + generator.system) / 1000;
          const busyMs = machine.busy - machineBefore.busy;
          const cost: Cost = {
            appCpuMs: cpu.appCpuMs / stats.requests,
            dbCpuMs: cpu.dbCpuMs / stats.requests,
            loadGenCpuMs: generatorMs / stats.requests,
            statements: NaN, // filled in once the database has counted them (statements.perRequest)
            machineBusy: busyMs / (machine.total - machineBefore.total),
            othersBusy:
              (busyMs - cpu.appCpuMs - (Number.isNaN(cpu.dbCpuMs) ? 0 : cpu.dbCpuMs) - generatorMs) /
              (machine.total - machineBefore.total),
          };
          results.push({ path, target: t.id, stats, cost, ...(backlog !== undefined && backlog.events > 0 ? { backlog } : {}) });
          log(
            `  ${fmt(stats.rps, 0)} req/s, p50 ${fmt(stats.p50, 2)} ms, p99 ${fmt(stats.p99, 2)} ms, non-2xx ${stats.non2xx}; ` +
              `CPU/req: app ${fmt(cost.appCpuMs, 2)} ms, db ${fmt(cost.dbCpuMs, 2)} ms, load generator ${fmt(cost.loadGenCpuMs, 2)} ms; ` +
              `machine ${fmt(cost.machineBusy * 100, 0)} % busy, ` +
              `${fmt(cost.othersBusy * 100, 0)} % by others` +
              (backlog !== undefined && backlog.events > 0
                ? `; relay backlog ${backlog.events} events, drained in ${backlog.drainedInS === null ? '>60' : fmt(backlog.drainedInS)} s`
                : ''),
          );
        } finally {
          await meter.close();
        }
      }
    }
    await statements.finish(targets);
  } finally {
    await statements.close();
    for (const t of targets) await t.child.stop();
    await sink.stop();
    for (const db of [serviceDb, expressDb, nodeDb]) await db?.drop();
  }
  return {
    results: results.map((r) => ({ ...r, cost: { ...r.cost, statements: statements.perRequest(r.target, r.path) } })),
    backgroundStatementsPerSecond: statements.backgroundPerSecond('service'),
  };
};

interface CompareReport {
  readonly results: readonly Measured[];
  /** The service's statements per second while idle (sweeps, relay poll). */
  readonly backgroundStatementsPerSecond: number;
}

const printCompare = ({ results, backgroundStatementsPerSecond }: CompareReport): { allMet: boolean } => {
  const get = (path: PathName, target: TargetId) => results.find((r) => r.path === path && r.target === target);
  const rows: string[][] = [];
  for (const path of PATHS) {
    for (const id of ['service', 'express', 'node', 'pglite'] as const) {
      const r = get(path, id);
      if (r === undefined) continue;
      const s = r.stats;
      const bad = Object.entries(s.statusCodes)
        .filter(([code]) => !code.startsWith('2'))
        .map(([code, n]) => `${code}×${n}`)
        .join(' ');
      rows.push([
        path,
        LABELS[id],
        fmt(s.rps, 0),
        fmt(s.p50, 2),
        fmt(s.p90, 2),
        fmt(s.p99, 2),
        String(s.non2xx),
        String(s.errors),
        fmt(r.cost.appCpuMs, 2),
        fmt(r.cost.dbCpuMs, 2),
        fmt(r.cost.statements, 2),
        bad,
      ]);
    }
  }
  process.stdout.write(
    `\nHTTP hot paths, ${CONNECTIONS} connections, ${SECONDS} s each after ${WARMUP} s warm-up (${stamp()}):\n\n` +
      `${table(
        [
          'path',
          'target',
          'req/s',
          'p50 ms',
          'p90 ms',
          'p99 ms',
          'non-2xx',
          'errors',
          'app CPU ms/req',
          'db CPU ms/req',
          'stmts/req',
          'non-2xx codes',
        ],
        rows,
      )}\n` +
      `(CPU per request: the target's process, and its PostgreSQL backends. stmts/req: statements (transactions) in its database per request, warm-up included; ` +
      `the service's idle background, ${fmt(backgroundStatementsPerSecond, 1)} statements/s, taken off)\n`,
  );

  let allMet = true;
  const ratioRows: string[][] = [];
  for (const path of PATHS) {
    const service = get(path, 'service')?.stats;
    const express = get(path, 'express')?.stats;
    const node = get(path, 'node')?.stats;
    if (service === undefined || express === undefined || node === undefined) continue;
    const vsExpress = service.rps / express.rps;
    const vsNode = service.rps / node.rps;
    const met = vsExpress >= TARGET_RATIO && service.non2xx === 0;
    allMet &&= met;
    ratioRows.push([
      path,
      `${fmt(vsExpress * 100, 0)} %`,
      `${fmt(vsNode * 100, 0)} %`,
      `${fmt(service.p99 / express.p99, 2)}×`,
      met ? 'PASS' : 'FAIL',
    ]);
  }
  process.stdout.write(
    `\nRatios (requests/s of the service on PostgreSQL ÷ the bare target; target: service ≥ ${TARGET_RATIO * 100} % of bare express+pg on every path):\n\n` +
      `${table(['path', 'service/express', 'service/node', 'p99 service/express', 'target'], ratioRows)}\n`,
  );
  const backlogs = results.filter((r) => r.backlog !== undefined);
  for (const r of backlogs) {
    process.stdout.write(
      `relay: after ${LABELS[r.target]} ${r.path}, ${r.backlog?.events} processing events were still undelivered; ` +
        `drained in ${r.backlog?.drainedInS === null ? 'more than 60' : fmt(r.backlog?.drainedInS ?? NaN)} s\n`,
    );
  }
  return { allMet };
};

const COMMAND = {
  name: 'bench:http',
  usage: `Usage: npm run bench:http [-- -h | --help]

The HTTP benchmarks (about 5 minutes): compare (the service against the same
hot paths written bare, and on PGlite), mixed (p99 at a fixed mixed rate)
and long-poll (concurrent status long-polls woken by lookups). Takes no
options; the environment sets the run:

  BENCH_DATABASE_URL     admin URL of the server (default postgres://postgres@127.0.0.1:5432/test)
  BENCH_SECONDS=8        seconds measured per target and path
  BENCH_WARMUP=2         seconds of warm-up
  BENCH_CONNECTIONS=16   autocannon connections
  BENCH_SEED=80000       orders seeded per consuming path (BENCH_SEED_PGLITE=30000 on PGlite)
  BENCH_ONLY=compare,mixed,long-poll   the parts to run
  BENCH_PGLITE=1         0 leaves the service on PGlite out
  BENCH_JSON=<file>      also write the results there, as JSON
  (and those of the mixed and long-poll parts: see npx tsx bench/http/mixed.ts --help, long-poll.ts --help)
`,
  options: {},
} as const;

runMain(COMMAND, async () => {
  const report: { at: string; compare?: CompareReport; mixed?: MixedReport; longPoll?: LongPollResult } = { at: stamp() };
  const started = Date.now();
  let failed = false;
  if (ONLY.has('compare')) {
    report.compare = await compare();
    failed ||= !printCompare(report.compare).allMet;
  }
  if (ONLY.has('mixed')) {
    report.mixed = await runMixed();
    failed ||= !report.mixed.met;
  }
  if (ONLY.has('long-poll')) {
    const longPoll = await runLongPoll();
    report.longPoll = longPoll;
    failed ||= !longPoll.met;
  }
  if (process.env.BENCH_JSON !== undefined) writeFileSync(process.env.BENCH_JSON, JSON.stringify(report, null, 2));
  process.stdout.write(
    `\nbench:http finished in ${fmt((Date.now() - started) / 1000, 0)} s; targets ${failed ? 'MISSED (see above)' : 'all met'}\n`,
  );
});
