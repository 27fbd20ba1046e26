/*
 * The hot paths compared (part `compare` of npm run bench:http): the service
 * on PostgreSQL, bare express+pg and bare node:http+pg (bare.ts), each a child
 * process with its own port and its own fresh database, plus the service on
 * PGlite. Per path (create, assign, status, lookup): autocannon with 16
 * connections, a warm-up, then a measured run. The targets take turns on each
 * path, and each path and round starts with another target, so the noise of
 * this shared machine hits them all alike; the whole thing is done
 * BENCH_ROUNDS times and medians are reported. Targets: the service's req/s
 * ≥ 0.75× bare express's, its p99 ≤ 1.5× bare express's, on every path.
 */
import { Client } from 'pg';
import {
  ADMIN_URL,
  createScratchDatabase,
  drainOutbox,
  fmt,
  load,
  log,
  median,
  num,
  producedBy,
  scratch,
  seedDatabase,
  sleep,
  startScript,
  startService,
  startSink,
  table,
  usageMeter,
  writeConfig,
  type Child,
  type Cost,
  type LoadStats,
} from './common';
import { join } from 'node:path';
import { PATHS, Workload, type PathName } from './workload';

const compareSettings = () => ({
  rounds: Math.max(1, num('BENCH_ROUNDS', 3)),
  seconds: num('BENCH_SECONDS', 6),
  warmup: num('BENCH_WARMUP', 2),
  connections: num('BENCH_CONNECTIONS', 16),
  seed: num('BENCH_SEED', 200_000),
  seedPglite: num('BENCH_SEED_PGLITE', 30_000),
  withPglite: process.env.BENCH_PGLITE !== '0',
  paths: pathsToRun(),
});

/** BENCH_PATHS: the paths to load (default all), for a quicker look at one. */
const pathsToRun = (): readonly PathName[] => {
  const asked = (process.env.BENCH_PATHS ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (asked.length === 0) return PATHS;
  const unknown = asked.filter((p) => !(PATHS as readonly string[]).includes(p));
  if (unknown.length > 0)
    throw new Error(`BENCH_PATHS: unknown path(s) ${unknown.join(', ')}; the paths are ${PATHS.join(', ')}`);
  return PATHS.filter((p) => asked.includes(p));
};

/** The service's req/s ÷ bare express's must reach this, on every path. */
const TARGET_RPS_RATIO = 0.75;
/** The service's p99 ÷ bare express's must stay within this, on every path. */
const TARGET_P99_RATIO = 1.5;

export type TargetId = 'service' | 'express' | 'node' | 'pglite';
export const LABELS: Record<TargetId, string> = {
  service: 'service (PG)',
  express: 'bare express+pg',
  node: 'bare node:http+pg',
  pglite: 'service (PGlite)',
};
const TARGET_IDS: readonly TargetId[] = ['service', 'express', 'node', 'pglite'];

interface Target {
  readonly id: TargetId;
  readonly child: Child;
  /** Its PostgreSQL database (null: PGlite, inside the service). */
  readonly database: string | null;
  readonly stream: ReturnType<Workload['stream']>;
  readonly seeded: number;
}

/** One measured run: one target on one path in one round. */
export interface Run {
  readonly round: number;
  readonly path: PathName;
  readonly target: TargetId;
  readonly stats: LoadStats;
  readonly cost: Cost;
  /** Service only: outbox events still undelivered right after the run, and how long they took to drain. */
  readonly backlog?: { readonly events: number; readonly drainedInS: number | null };
}

/** One target on one path, over the rounds: medians, and the rounds' req/s. */
export interface TargetSummary {
  readonly rpsByRound: readonly number[];
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly appCpuMs: number;
  readonly dbCpuMs: number;
  /** Transactions in its database per request (every statement of the bare servers is one). */
  readonly statements: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly statusCodes: Record<string, number>;
  readonly othersBusy: number;
}

/** The service ÷ a bare target: medians of the per-round ratios (a round's runs are minutes apart at most). */
export interface Ratios {
  readonly rps: number;
  readonly p99: number;
  /** (app + db CPU per request) of the service ÷ that of the bare target. */
  readonly cpu: number;
}

export interface PathReport {
  readonly path: PathName;
  readonly targets: Partial<Record<TargetId, TargetSummary>>;
  readonly vsExpress: Ratios;
  readonly vsNode: Ratios;
  readonly rpsMet: boolean;
  readonly p99Met: boolean;
}

export interface CompareReport {
  readonly command: string;
  readonly settings: ReturnType<typeof compareSettings>;
  readonly paths: readonly PathReport[];
  readonly runs: readonly Run[];
  /** The service's statements per second while idle (sweeps, relay poll), taken off its counts. */
  readonly backgroundStatementsPerSecond: number;
  readonly met: boolean;
}

/**
 * Statements per request, from pg_stat_database (xact_commit + xact_rollback:
 * every statement outside an explicit transaction is one; a multi-statement
 * transaction counts once). Backends publish these counts within a second
 * while busy but only after 10 s once idle, so each target's count is read
 * just before its next run, once it has been idle for 11 s (the other
 * targets' runs usually take longer than that; if not, the count waits), and
 * once more 11 s after its last. The service's own background
 * statements (sweeps, the relay's safety poll), measured while it is idle at
 * the end, are taken off.
 */
const statementCounter = async () => {
  const FLUSHED_AFTER_MS = 11_000;
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
  const marks = new Map<TargetId, { path: PathName | null; at: number; count: number; served: number; idleSince: number }>();
  const counted = new Map<string, { statements: number; seconds: number; served: number }>();
  const background = new Map<TargetId, number>();
  const close = (id: TargetId, at: number, count: number): void => {
    const last = marks.get(id);
    if (last?.path == null) return;
    const key = `${id}/${last.path}`;
    const sum = counted.get(key) ?? { statements: 0, seconds: 0, served: 0 };
    counted.set(key, {
      statements: sum.statements + count - last.count,
      seconds: sum.seconds + (at - last.at) / 1000,
      served: sum.served + last.served,
    });
  };
  return {
    mark: async (t: Target, path: PathName | null): Promise<void> => {
      if (t.database === null) return;
      const idle = Date.now() - (marks.get(t.id)?.idleSince ?? 0);
      if (idle < FLUSHED_AFTER_MS) await sleep(FLUSHED_AFTER_MS - idle);
      const at = Date.now();
      const count = await read(t.database);
      close(t.id, at, count);
      marks.set(t.id, { path, at, count, served: 0, idleSince: Number.POSITIVE_INFINITY });
    },
    /** The target's run is over: it served this many requests since its mark. */
    served: (t: Target, requests: number): void => {
      const m = marks.get(t.id);
      if (m === undefined) return;
      m.served += requests;
      m.idleSince = Date.now();
    },
    finish: async (targets: readonly Target[]): Promise<void> => {
      log('compare: 11 s idle, for the last statement counts');
      await sleep(FLUSHED_AFTER_MS);
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

/** Starts the targets on freshly seeded databases. */
const startTargets = async (s: ReturnType<typeof compareSettings>, configPath: string) => {
  const pgWorkload = new Workload(s.seed);
  log(
    `compare: seeding ${s.seed.toLocaleString('en')} pending + ${s.seed.toLocaleString('en')} processing orders per PostgreSQL target…`,
  );
  const databases = await Promise.all([
    createScratchDatabase('service', 'service'),
    createScratchDatabase('express', 'bare'),
    createScratchDatabase('node', 'bare'),
  ]);
  const [serviceDb, expressDb, nodeDb] = databases;
  await Promise.all([
    seedDatabase({ databaseUrl: serviceDb.url }, pgWorkload.seedSpec()),
    seedDatabase({ bareUrl: expressDb.url }, pgWorkload.seedSpec()),
    seedDatabase({ bareUrl: nodeDb.url }, pgWorkload.seedSpec()),
  ]);
  const targets: Target[] = [];
  const add = (id: TargetId, child: Child, database: string | null, workload: Workload) =>
    targets.push({ id, child, database, stream: workload.stream(), seeded: workload.size });
  add('service', await startService({ name: 'service-pg', configPath, databaseUrl: serviceDb.url }), serviceDb.name, pgWorkload);
  add(
    'express',
    await startScript('bare-express', 'bare-express.ts', { DATABASE_URL: expressDb.url }),
    expressDb.name,
    pgWorkload,
  );
  add('node', await startScript('bare-node', 'bare-node.ts', { DATABASE_URL: nodeDb.url }), nodeDb.name, pgWorkload);
  // Seeding PGlite takes a while; the PostgreSQL targets idle meanwhile. That also lets the service's
  // LISTEN backend publish its statistics once (it does so 10 s after its last command, and never
  // again while it only listens); measured right after start, its NOTIFY transactions would count.
  const settled = sleep(11_000);
  if (s.withPglite) {
    const pgliteWorkload = new Workload(s.seedPglite);
    const dir = join(scratch(), 'pglite');
    log(`compare: seeding PGlite (${s.seedPglite.toLocaleString('en')} per consuming path)…`);
    await seedDatabase({ pgliteDataDir: dir }, pgliteWorkload.seedSpec());
    add('pglite', await startService({ name: 'service-pglite', configPath, pgliteDataDir: dir }), null, pgliteWorkload);
  }
  await settled;
  return { targets, databases };
};

const cpuOf = (t: TargetSummary | undefined): number => (t === undefined ? NaN : t.appCpuMs + t.dbCpuMs);

const summarise = (runs: readonly Run[], statements: (id: TargetId, path: PathName) => number): PathReport[] =>
  PATHS.filter((path) => runs.some((r) => r.path === path)).map((path) => {
    const targets: Partial<Record<TargetId, TargetSummary>> = {};
    for (const id of TARGET_IDS) {
      const mine = runs.filter((r) => r.path === path && r.target === id);
      if (mine.length === 0) continue;
      const statusCodes: Record<string, number> = {};
      for (const r of mine)
        for (const [code, n] of Object.entries(r.stats.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
      targets[id] = {
        rpsByRound: mine.map((r) => r.stats.rps),
        rps: median(mine.map((r) => r.stats.rps)),
        p50: median(mine.map((r) => r.stats.p50)),
        p99: median(mine.map((r) => r.stats.p99)),
        appCpuMs: median(mine.map((r) => r.cost.appCpuMs)),
        dbCpuMs: median(mine.map((r) => r.cost.dbCpuMs)),
        statements: statements(id, path),
        non2xx: mine.reduce((n, r) => n + r.stats.non2xx, 0),
        errors: mine.reduce((n, r) => n + r.stats.errors, 0),
        statusCodes,
        othersBusy: median(mine.map((r) => r.cost.othersBusy)),
      };
    }
    const ratios = (bare: TargetId): Ratios => {
      const rounds = [...new Set(runs.map((r) => r.round))];
      const pick = (round: number, id: TargetId) => runs.find((r) => r.round === round && r.path === path && r.target === id);
      const per = (f: (service: Run, base: Run) => number) =>
        median(
          rounds.flatMap((round) => {
            const a = pick(round, 'service');
            const b = pick(round, bare);
            return a !== undefined && b !== undefined ? [f(a, b)] : [];
          }),
        );
      return {
        rps: per((a, b) => a.stats.rps / b.stats.rps),
        p99: per((a, b) => a.stats.p99 / b.stats.p99),
        cpu: cpuOf(targets.service) / cpuOf(targets[bare]),
      };
    };
    const vsExpress = ratios('express');
    const service = targets.service;
    return {
      path,
      targets,
      vsExpress,
      vsNode: ratios('node'),
      rpsMet: vsExpress.rps >= TARGET_RPS_RATIO && service !== undefined && service.non2xx === 0 && service.errors === 0,
      p99Met: vsExpress.p99 <= TARGET_P99_RATIO,
    };
  });

export const runCompare = async (): Promise<CompareReport> => {
  const s = compareSettings();
  const sink = await startSink();
  const { targets, databases } = await startTargets(s, writeConfig(sink.url));
  const runs: Run[] = [];
  const statements = await statementCounter();
  let report: CompareReport;
  try {
    for (let round = 1; round <= s.rounds; round++) {
      for (const [p, path] of s.paths.entries()) {
        // Take turns: each path, and each round, starts with another target.
        const order = targets.map((_, i) => targets[(i + p + round - 1) % targets.length] as Target);
        for (const t of order) {
          log(`compare: round ${round}/${s.rounds}, ${path} → ${LABELS[t.id]}: warm-up ${s.warmup} s, then ${s.seconds} s`);
          runs.push(await measure(s, t, path, round, statements));
        }
      }
    }
    await statements.finish(targets);
    const paths = summarise(runs, statements.perRequest);
    report = {
      command: producedBy('compare'),
      settings: s,
      paths,
      runs,
      backgroundStatementsPerSecond: statements.backgroundPerSecond('service'),
      met: paths.every((p) => p.rpsMet && p.p99Met),
    };
  } finally {
    await statements.close();
    for (const t of targets) await t.child.stop();
    await sink.stop();
    for (const db of databases) await db.drop();
  }
  printCompare(report);
  return report;
};

const measure = async (
  s: ReturnType<typeof compareSettings>,
  t: Target,
  path: PathName,
  round: number,
  statements: Awaited<ReturnType<typeof statementCounter>>,
): Promise<Run> => {
  const next = t.stream[path];
  const meter = await usageMeter([t.child.pid], t.database);
  try {
    await statements.mark(t, path);
    const warm = s.warmup > 0 ? await load({ url: t.child.url, seconds: s.warmup, connections: s.connections, next }) : null;
    await meter.start();
    const stats = await load({ url: t.child.url, seconds: s.seconds, connections: s.connections, next });
    const cost = await meter.stop(stats.requests);
    const consumed = path === 'assign' || path === 'lookup' ? t.stream.used[path] : 0;
    if (consumed > t.seeded) log(`  warning: ${consumed} ${path} requests but only ${t.seeded} seeded orders (raise BENCH_SEED)`);
    const backlog = t.id === 'service' || t.id === 'pglite' ? await drainOutbox(t.child.url) : undefined;
    statements.served(t, (warm?.requests ?? 0) + stats.requests);
    log(
      `  ${fmt(stats.rps, 0)} req/s, p50 ${fmt(stats.p50, 2)} ms, p99 ${fmt(stats.p99, 2)} ms, non-2xx ${stats.non2xx}; ` +
        `CPU/req: app ${fmt(cost.appCpuMs, 2)} ms, db ${fmt(cost.dbCpuMs, 2)} ms, load generator ${fmt(cost.loadGenCpuMs, 2)} ms; ` +
        `machine ${fmt(cost.machineBusy * 100, 0)} % busy, ${fmt(cost.othersBusy * 100, 0)} % by others` +
        (backlog !== undefined && backlog.events > 0
          ? `; relay backlog ${backlog.events} events, drained in ${backlog.drainedInS === null ? '>60' : fmt(backlog.drainedInS)} s`
          : ''),
    );
    return { round, path, target: t.id, stats, cost, ...(backlog !== undefined && backlog.events > 0 ? { backlog } : {}) };
  } finally {
    await meter.close();
  }
};

const pct = (ratio: number): string => `${fmt(ratio * 100, 0)} %`;
const times = (ratio: number): string => `${fmt(ratio, 2)}×`;
const verdict = (met: boolean): string => (met ? 'PASS' : 'FAIL');

const printCompare = (r: CompareReport): void => {
  const s = r.settings;
  let out =
    `\nHot paths: the service against the same paths done bare. ${s.rounds} rounds, each target ${s.seconds} s per path ` +
    `after ${s.warmup} s of warm-up, autocannon ${s.connections} connections, targets alternating; medians of the rounds.\n` +
    `${r.command}\n`;
  for (const p of r.paths) {
    const rows = TARGET_IDS.flatMap((id) => {
      const t = p.targets[id];
      if (t === undefined) return [];
      const bad = Object.entries(t.statusCodes)
        .filter(([code]) => !code.startsWith('2'))
        .map(([code, n]) => `${code}×${n}`)
        .join(' ');
      return [
        [
          LABELS[id],
          fmt(t.rps, 0),
          t.rpsByRound.map((v) => fmt(v, 0)).join(' / '),
          fmt(t.p50, 2),
          fmt(t.p99, 2),
          fmt(t.appCpuMs, 2),
          fmt(t.dbCpuMs, 2),
          fmt(t.statements, 2),
          `${t.non2xx + t.errors}${bad === '' ? '' : ` (${bad})`}`,
          pct(t.othersBusy),
        ],
      ];
    });
    out +=
      `\n${p.path}\n\n` +
      `${table(
        [
          'target',
          'req/s',
          'req/s by round',
          'p50 ms',
          'p99 ms',
          'app CPU ms/req',
          'db CPU ms/req',
          'stmts/req',
          'failed',
          "others' CPU",
        ],
        rows,
      )}\n` +
      `service ÷ bare express: req/s ${times(p.vsExpress.rps)} (target ≥ ${TARGET_RPS_RATIO}×: ${verdict(p.rpsMet)}), ` +
      `p99 ${times(p.vsExpress.p99)} (target ≤ ${TARGET_P99_RATIO}×: ${verdict(p.p99Met)}), CPU/req ${times(p.vsExpress.cpu)}\n` +
      `service ÷ bare node:    req/s ${times(p.vsNode.rps)}, p99 ${times(p.vsNode.p99)}, CPU/req ${times(p.vsNode.cpu)}\n`;
  }
  out +=
    `\nSummary (service on PostgreSQL ÷ bare; medians of the per-round ratios):\n\n` +
    `${table(
      [
        'path',
        'req/s ÷ express',
        'req/s ÷ node',
        'p99 ÷ express',
        'p99 ÷ node',
        'CPU/req ÷ express',
        `req/s ≥ ${TARGET_RPS_RATIO}×`,
        `p99 ≤ ${TARGET_P99_RATIO}×`,
      ],
      r.paths.map((p) => [
        p.path,
        times(p.vsExpress.rps),
        times(p.vsNode.rps),
        times(p.vsExpress.p99),
        times(p.vsNode.p99),
        times(p.vsExpress.cpu),
        verdict(p.rpsMet),
        verdict(p.p99Met),
      ]),
    )}\n` +
    `CPU per request: the target's process, and the PostgreSQL backends of its database (/proc/<pid>/stat); PGlite's is inside the app's. ` +
    `stmts/req: transactions in its database per request, warm-up included, the service's idle background ` +
    `(${fmt(r.backgroundStatementsPerSecond, 1)}/s) taken off. others' CPU: the machine's busy share used by none of the target, its backends and the load generator.\n` +
    `${r.command}\n`;
  for (const run of r.runs.filter((x) => x.backlog !== undefined)) {
    out +=
      `relay: after ${LABELS[run.target]} ${run.path} (round ${run.round}), ${run.backlog?.events} processing events were still undelivered; ` +
      `drained in ${run.backlog?.drainedInS === null ? 'more than 60' : fmt(run.backlog?.drainedInS ?? NaN)} s\n`;
  }
  process.stdout.write(out);
};
