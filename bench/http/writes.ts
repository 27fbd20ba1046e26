/*
 * Writes per second on one database (part `writes` of npm run bench:http):
 *
 *   - two service instances on one PostgreSQL database, autocannon with half
 *     the connections on each, every request a write: creates and code
 *     entries (assign) in turn; and one instance with all the connections,
 *     for comparison. Writes/s = 2xx answers per second, both instances;
 *   - the ceiling of the database alone, with pgbench on a scratch database:
 *     a one-row INSERT, and the same INSERT with a pg_notify in the same
 *     statement (as the service notifies), one LISTEN connection open.
 *     PostgreSQL serialises the commits of transactions that notified, so the
 *     second is the ceiling of a design that notifies on every write.
 *
 * The setups take turns, BENCH_ROUNDS times; medians are reported.
 *
 *   node --import tsx bench/http/writes.ts
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  createScratchDatabase,
  drainOutbox,
  fmt,
  load,
  log,
  median,
  num,
  producedBy,
  runMain,
  scratch,
  seedDatabase,
  startService,
  startSink,
  table,
  usageMeter,
  withDatabase,
  writeConfig,
  type Child,
  type LoadStats,
} from './common';
import { Workload } from './workload';

const writesSettings = () => ({
  rounds: Math.max(1, num('BENCH_ROUNDS', 3)),
  seconds: num('BENCH_WRITES_SECONDS', 8),
  warmup: num('BENCH_WARMUP', 2),
  connections: num('BENCH_CONNECTIONS', 16),
  seed: num('BENCH_SEED', 200_000),
  pgbench: process.env.BENCH_PGBENCH ?? '/usr/lib/postgresql/15/bin/pgbench',
});

type Setup = 'two instances' | 'one instance' | 'pgbench insert' | 'pgbench insert + pg_notify';

export interface WritesRun {
  readonly round: number;
  readonly setup: Setup;
  readonly writesPerS: number;
  readonly p99: number;
  /** CPU per write: the instances' processes, and the database's backends (service setups only). */
  readonly appCpuMs: number;
  readonly dbCpuMs: number;
  /** Share of the machine's CPU that other tenants used meanwhile (service setups only). */
  readonly othersBusy: number;
  readonly failed: number;
}

export interface WritesReport {
  readonly command: string;
  readonly settings: ReturnType<typeof writesSettings>;
  readonly runs: readonly WritesRun[];
  /** Notifications the LISTEN connection received during the pgbench runs with pg_notify. */
  readonly notificationsReceived: number;
  /** Why pgbench did not run, if it did not. */
  readonly pgbenchMissing?: string;
}

/** Creates and assigns in turn, over seeded pending orders. */
const writeStream = (workload: Workload) => {
  const stream = workload.stream();
  let n = 0;
  return () => (n++ % 2 === 0 ? stream.create() : stream.assign());
};

const serviceRun = async (
  setup: Setup,
  round: number,
  instances: readonly Child[],
  database: string,
  s: ReturnType<typeof writesSettings>,
  next: ReturnType<typeof writeStream>,
): Promise<WritesRun> => {
  const connections = Math.max(1, Math.floor(s.connections / instances.length));
  const all = (seconds: number) => Promise.all(instances.map((i) => load({ url: i.url, seconds, connections, next })));
  if (s.warmup > 0) await all(s.warmup);
  const meter = await usageMeter(
    instances.map((i) => i.pid),
    database,
  );
  try {
    await meter.start();
    const stats: LoadStats[] = await all(s.seconds);
    const ok = stats.reduce(
      (n, x) => n + Object.entries(x.statusCodes).reduce((m, [code, k]) => m + (code.startsWith('2') ? k : 0), 0),
      0,
    );
    const cost = await meter.stop(ok);
    const seconds = Math.max(...stats.map((x) => x.seconds));
    const run: WritesRun = {
      round,
      setup,
      writesPerS: ok / seconds,
      p99: Math.max(...stats.map((x) => x.p99)),
      appCpuMs: cost.appCpuMs,
      dbCpuMs: cost.dbCpuMs,
      othersBusy: cost.othersBusy,
      failed: stats.reduce((n, x) => n + x.non2xx + x.errors, 0),
    };
    log(`  ${setup}: ${fmt(run.writesPerS, 0)} writes/s, p99 ${fmt(run.p99, 2)} ms, failed ${run.failed}`);
    for (const i of instances) await drainOutbox(i.url);
    return run;
  } finally {
    await meter.close();
  }
};

/** One pgbench run: transactions per second (without the initial connection time). */
const pgbench = (binary: string, url: string, script: string, clients: number, seconds: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const args = ['-n', '-c', String(clients), '-j', '2', '-T', String(seconds), '-f', script, url];
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out);
      if (code === 0 && tps !== null) resolve(Number(tps[1]));
      else reject(new Error(`pgbench exited with ${String(code)}:\n${out}`));
    });
  });

export const runWrites = async (): Promise<WritesReport> => {
  const s = writesSettings();
  const runs: WritesRun[] = [];
  const workload = new Workload(s.seed);
  log(`writes: seeding ${s.seed.toLocaleString('en')} pending orders…`);
  const db = await createScratchDatabase('writes', 'service');
  const sink = await startSink();
  const instances: Child[] = [];
  try {
    await seedDatabase({ databaseUrl: db.url }, { pending: workload.seedSpec().pending });
    const configPath = writeConfig(sink.url);
    instances.push(await startService({ name: 'service-writes-1', configPath, databaseUrl: db.url }));
    instances.push(await startService({ name: 'service-writes-2', configPath, databaseUrl: db.url }));
    const next = writeStream(workload);
    for (let round = 1; round <= s.rounds; round++) {
      const setups =
        round % 2 === 1 ? (['two instances', 'one instance'] as const) : (['one instance', 'two instances'] as const);
      for (const setup of setups) {
        log(`writes: round ${round}/${s.rounds}, ${setup}: warm-up ${s.warmup} s, then ${s.seconds} s`);
        runs.push(
          await serviceRun(setup, round, setup === 'two instances' ? instances : instances.slice(0, 1), db.name, s, next),
        );
      }
    }
  } finally {
    for (const i of instances) await i.stop();
    await sink.stop();
    await db.drop();
  }

  let notificationsReceived = 0;
  let pgbenchMissing: string | undefined;
  if (!existsSync(s.pgbench)) {
    pgbenchMissing = `${s.pgbench} not found (BENCH_PGBENCH names it)`;
    log(`writes: ${pgbenchMissing}; no database baseline`);
  } else {
    const bench = await createScratchDatabase('pgbench', 'empty');
    const listener = new Client({ connectionString: bench.url });
    listener.on('error', () => undefined);
    try {
      await withDatabase(bench.url, (c) =>
        c.query('create table rows (id bigint generated always as identity primary key, v text not null)'),
      );
      const plain = join(scratch(), 'insert.sql');
      const notify = join(scratch(), 'insert-notify.sql');
      writeFileSync(plain, "insert into rows (v) values ('x');\n");
      writeFileSync(
        notify,
        "with i as (insert into rows (v) values ('x') returning id) select pg_notify('bench', id::text) from i;\n",
      );
      await listener.connect();
      listener.on('notification', () => notificationsReceived++);
      await listener.query('listen bench');
      for (let round = 1; round <= s.rounds; round++) {
        const setups =
          round % 2 === 1
            ? (['pgbench insert', 'pgbench insert + pg_notify'] as const)
            : (['pgbench insert + pg_notify', 'pgbench insert'] as const);
        for (const setup of setups) {
          log(`writes: round ${round}/${s.rounds}, ${setup}: ${s.connections} clients, ${s.seconds} s`);
          const tps = await pgbench(s.pgbench, bench.url, setup === 'pgbench insert' ? plain : notify, s.connections, s.seconds);
          log(`  ${fmt(tps, 0)} tps`);
          runs.push({ round, setup, writesPerS: tps, p99: NaN, appCpuMs: NaN, dbCpuMs: NaN, othersBusy: NaN, failed: 0 });
        }
      }
    } finally {
      await listener.end().catch(() => undefined);
      await bench.drop();
    }
  }
  const report: WritesReport = {
    command: producedBy('writes'),
    settings: s,
    runs,
    notificationsReceived,
    ...(pgbenchMissing !== undefined ? { pgbenchMissing } : {}),
  };
  printWrites(report);
  return report;
};

const SETUPS: readonly Setup[] = ['two instances', 'one instance', 'pgbench insert', 'pgbench insert + pg_notify'];
const LABELS: Record<Setup, string> = {
  'two instances': 'two service instances, creates + assigns',
  'one instance': 'one service instance, creates + assigns',
  'pgbench insert': 'pgbench: one-row INSERT',
  'pgbench insert + pg_notify': 'pgbench: one-row INSERT + pg_notify',
};

const printWrites = (r: WritesReport): void => {
  const s = r.settings;
  const rows = SETUPS.flatMap((setup) => {
    const mine = r.runs.filter((x) => x.setup === setup);
    if (mine.length === 0) return [];
    return [
      [
        LABELS[setup],
        fmt(median(mine.map((x) => x.writesPerS)), 0),
        mine.map((x) => fmt(x.writesPerS, 0)).join(' / '),
        fmt(median(mine.map((x) => x.p99)), 2),
        fmt(median(mine.map((x) => x.appCpuMs)), 2),
        fmt(median(mine.map((x) => x.dbCpuMs)), 2),
        setup.startsWith('pgbench') ? '' : String(mine.reduce((n, x) => n + x.failed, 0)),
        setup.startsWith('pgbench') ? '' : `${fmt(median(mine.map((x) => x.othersBusy)) * 100, 0)} %`,
      ],
    ];
  });
  process.stdout.write(
    `\nWrites per second on one PostgreSQL database: ${s.connections} connections (split over the instances) or pgbench clients, ` +
      `${s.seconds} s per setup, setups alternating, medians of ${s.rounds} rounds.\n${r.command}\n\n` +
      `${table(['setup', 'writes/s', 'by round', 'p99 ms', 'app CPU ms/write', 'db CPU ms/write', 'failed', "others' CPU"], rows)}\n` +
      (r.pgbenchMissing !== undefined
        ? `pgbench baseline not measured: ${r.pgbenchMissing}\n`
        : `pgbench: ${s.connections} clients, 2 threads, one statement per transaction; ${r.notificationsReceived} notifications reached the LISTEN connection.\n`),
  );
};

const COMMAND = {
  name: 'writes',
  usage: `Usage: node --import tsx bench/http/writes.ts [-h | --help]

Writes per second on one database: two service instances (and one) under
creates + assigns, and pgbench's one-row insert with and without pg_notify.
The same as BENCH_ONLY=writes npm run bench:http. Takes no options; the
environment sets the run:

  BENCH_WRITES_SECONDS=8   seconds measured per setup
  BENCH_ROUNDS=3           rounds (setups alternate; medians)
  BENCH_WARMUP=2           seconds of warm-up before each service run
  BENCH_CONNECTIONS=16     connections in all (and pgbench clients)
  BENCH_SEED=200000        pending orders seeded for the assigns
  BENCH_PGBENCH            pgbench binary (default /usr/lib/postgresql/15/bin/pgbench)
  BENCH_DATABASE_URL       admin URL of the server (default postgres://postgres@127.0.0.1:5432/test)
`,
  options: {},
} as const;

if (require.main === module) runMain(COMMAND, async () => void (await runWrites()));
