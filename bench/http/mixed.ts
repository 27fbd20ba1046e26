/*
 * p99 under what an airport sends, at fixed rates (part `mixed` of npm run
 * bench:http). The mix repeats: one create, one code entry (assign), one
 * drivers-lookup, and ten status polls (plain reads, no wait_ms) per entry:
 * 13 requests. Each rate of BENCH_MIXED_RATES (250, 500, 1000 per second)
 * runs in an open loop: a request leaves on its schedule whatever the answers
 * (keep-alive agent, up to 128 sockets), and its latency counts from its
 * scheduled time, so a stall cannot hide (no coordinated omission). A request
 * still unanswered BENCH_MIXED_DRAIN_S after the last was sent counts as
 * failed, with the time it had waited. Bare express+pg (bare.ts) takes the
 * same load at every rate, alternating with the service, as the reference
 * for what this machine can do. Target: p99 < 20 ms at 1,000 req/s.
 *
 *   node --import tsx bench/http/mixed.ts
 */
import { Agent, request } from 'node:http';
import {
  createScratchDatabase,
  fmt,
  HOST,
  log,
  num,
  percentile,
  producedBy,
  runMain,
  seedDatabase,
  sleep,
  sortedOf,
  startScript,
  startService,
  startSink,
  table,
  writeConfig,
  usageMeter,
  type Child,
  type Cost,
  type RequestShape,
} from './common';
import { Workload } from './workload';

const mixedSettings = () => ({
  rates: (process.env.BENCH_MIXED_RATES ?? '250,500,1000')
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0),
  seconds: num('BENCH_MIXED_SECONDS', 10),
  warmup: num('BENCH_MIXED_WARMUP', 2),
  drainS: num('BENCH_MIXED_DRAIN_S', 10),
  withBare: process.env.BENCH_MIXED_BARE !== '0',
});

/** The rate the target applies to, and the p99 it must stay under there. */
const TARGET_RATE = 1000;
const TARGET_P99_MS = 20;

type Kind = 'create' | 'assign' | 'lookup' | 'status';
const KINDS: readonly Kind[] = ['create', 'assign', 'lookup', 'status'];
/** One cycle of the mix: an order created, its code entered, the driver looked up, ten status polls. */
const CYCLE: readonly Kind[] = ['create', 'assign', 'lookup', ...Array<Kind>(10).fill('status')];

export interface Summary {
  /** Requests scheduled. */
  readonly requests: number;
  /** Answered (any status) per second of the run. */
  readonly rps: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  /** Non-2xx answers, connection errors, and requests never answered. */
  readonly failed: number;
  readonly unanswered: number;
}

export interface RateRun {
  readonly target: 'service' | 'express';
  readonly rate: number;
  readonly all: Summary;
  readonly byKind: Record<Kind, Summary>;
  /** CPU per answered request, and what other tenants took meanwhile. */
  readonly cost: Cost;
  /** Only at TARGET_RATE, for the service. */
  readonly met?: boolean;
}

export interface MixedReport {
  readonly command: string;
  readonly settings: ReturnType<typeof mixedSettings>;
  readonly runs: readonly RateRun[];
  readonly met: boolean;
}

const summary = (latencies: readonly number[], seconds: number, failed: number, unanswered: number): Summary => {
  const sorted = sortedOf(latencies);
  return {
    requests: latencies.length,
    rps: (latencies.length - unanswered) / seconds,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : NaN,
    failed,
    unanswered,
  };
};

/** The mix as a request stream over one target's seeded data. */
const mixedStream = (workload: Workload) => {
  const stream = workload.stream();
  let n = 0;
  return (): { kind: Kind; request: RequestShape } => {
    const kind = CYCLE[n++ % CYCLE.length] as Kind;
    return { kind, request: stream[kind]() };
  };
};

/**
 * Requests on a fixed schedule (open loop): `rate` per second for `seconds`,
 * each latency from its scheduled time. Waits up to `drainS` for the last
 * answers; those still missing count as failed, with the time they waited.
 */
const openLoop = async (
  url: string,
  rate: number,
  seconds: number,
  drainS: number,
  next: () => { kind: Kind; request: RequestShape },
): Promise<Pick<RateRun, 'all' | 'byKind'>> => {
  const { port } = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const all: number[] = [];
  const byKind: Record<Kind, number[]> = { create: [], assign: [], lookup: [], status: [] };
  const failed: Record<Kind, number> = { create: 0, assign: 0, lookup: 0, status: 0 };
  const inFlight = new Map<number, { kind: Kind; scheduled: number }>();
  let allSent = false;
  let finished: () => void = () => undefined;
  const done = new Promise<void>((r) => (finished = r));
  const settle = (id: number, ok: boolean): void => {
    const f = inFlight.get(id);
    if (f === undefined) return;
    inFlight.delete(id);
    const ms = performance.now() - f.scheduled;
    all.push(ms);
    byKind[f.kind].push(ms);
    if (!ok) failed[f.kind]++;
    if (inFlight.size === 0 && allSent) finished();
  };
  const fire = (id: number, scheduled: number): void => {
    const { kind, request: r } = next();
    inFlight.set(id, { kind, scheduled });
    const headers = { ...r.headers, ...(r.body !== undefined ? { 'content-type': 'application/json' } : {}) };
    const req = request({ host: HOST, port, method: r.method, path: r.path, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => settle(id, (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) <= 299));
    });
    req.on('error', () => settle(id, false));
    req.end(r.body);
  };
  const total = Math.round(rate * seconds);
  const start = performance.now();
  for (let sent = 0; sent < total;) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    for (; sent < due; sent++) fire(sent, start + (sent * 1000) / rate);
    await sleep(1);
  }
  allSent = true;
  if (inFlight.size > 0) await Promise.race([done, sleep(drainS * 1000)]);
  const unansweredByKind: Record<Kind, number> = { create: 0, assign: 0, lookup: 0, status: 0 };
  for (const id of [...inFlight.keys()]) {
    const kind = inFlight.get(id)?.kind as Kind;
    unansweredByKind[kind]++;
    settle(id, false);
  }
  agent.destroy();
  const elapsed = (performance.now() - start) / 1000;
  const unanswered = KINDS.reduce((n, k) => n + unansweredByKind[k], 0);
  return {
    all: summary(
      all,
      elapsed,
      KINDS.reduce((n, k) => n + failed[k], 0),
      unanswered,
    ),
    byKind: Object.fromEntries(KINDS.map((k) => [k, summary(byKind[k], elapsed, failed[k], unansweredByKind[k])])) as Record<
      Kind,
      Summary
    >,
  };
};

export const runMixed = async (): Promise<MixedReport> => {
  const s = mixedSettings();
  const cycles = (s.rates.reduce((a, b) => a + b, 0) * (s.seconds + s.warmup)) / CYCLE.length;
  // Each cycle takes one pending order (assign) and one processing order (lookup); room for twice that.
  const workload = new Workload(Math.ceil(cycles * 2) + 1_000);
  log(`mixed: seeding ${workload.size.toLocaleString('en')} orders per consuming path…`);
  const serviceDb = await createScratchDatabase('mixed', 'service');
  const bareDb = s.withBare ? await createScratchDatabase('mixed_bare', 'bare') : null;
  const sink = await startSink();
  const children: Child[] = [];
  const runs: RateRun[] = [];
  try {
    await seedDatabase({ databaseUrl: serviceDb.url }, workload.seedSpec());
    if (bareDb !== null) await seedDatabase({ bareUrl: bareDb.url }, workload.seedSpec());
    const service = await startService({ name: 'service-mixed', configPath: writeConfig(sink.url), databaseUrl: serviceDb.url });
    children.push(service);
    const targets: { id: RateRun['target']; child: Child; database: string; next: ReturnType<typeof mixedStream> }[] = [
      { id: 'service', child: service, database: serviceDb.name, next: mixedStream(workload) },
    ];
    if (bareDb !== null) {
      const bare = await startScript('bare-express-mixed', 'bare-express.ts', { DATABASE_URL: bareDb.url });
      children.push(bare);
      targets.push({ id: 'express', child: bare, database: bareDb.name, next: mixedStream(workload) });
    }
    for (const [i, rate] of s.rates.entries()) {
      // Alternate which target goes first at each rate.
      for (const t of i % 2 === 0 ? targets : [...targets].reverse()) {
        log(`mixed: ${t.id} at ${rate} req/s: warm-up ${s.warmup} s, then ${s.seconds} s`);
        if (s.warmup > 0) await openLoop(t.child.url, rate, s.warmup, s.drainS, t.next);
        const meter = await usageMeter([t.child.pid], t.database);
        await meter.start();
        const measured = await openLoop(t.child.url, rate, s.seconds, s.drainS, t.next);
        const cost = await meter.stop(measured.all.requests - measured.all.unanswered);
        await meter.close();
        const met =
          t.id === 'service' && rate === TARGET_RATE ? measured.all.p99 < TARGET_P99_MS && measured.all.failed === 0 : undefined;
        runs.push({ target: t.id, rate, ...measured, cost, ...(met !== undefined ? { met } : {}) });
        log(
          `  answered ${fmt(measured.all.rps, 0)}/s, p50 ${fmt(measured.all.p50, 2)} ms, p99 ${fmt(measured.all.p99, 2)} ms, ` +
            `failed ${measured.all.failed} (${measured.all.unanswered} unanswered)`,
        );
      }
    }
  } finally {
    for (const c of children) await c.stop();
    await sink.stop();
    await serviceDb.drop();
    await bareDb?.drop();
  }
  const atTarget = runs.find((r) => r.target === 'service' && r.rate === TARGET_RATE);
  const report: MixedReport = { command: producedBy('mixed'), settings: s, runs, met: atTarget?.met === true };
  printMixed(report);
  return report;
};

const printMixed = (r: MixedReport): void => {
  const rows = r.runs.map((run) => [
    run.target === 'service' ? 'service (PG)' : 'bare express+pg',
    String(run.rate),
    fmt(run.all.rps, 0),
    fmt(run.all.p50, 2),
    fmt(run.all.p90, 2),
    fmt(run.all.p99, 2),
    fmt(run.all.max, 1),
    `${run.all.failed}${run.all.unanswered > 0 ? ` (${run.all.unanswered} unanswered)` : ''}`,
    KINDS.map((k) => fmt(run.byKind[k].p99, 1)).join(' / '),
    fmt(run.cost.appCpuMs, 2),
    fmt(run.cost.dbCpuMs, 2),
    `${fmt(run.cost.othersBusy * 100, 0)} %`,
    run.met === undefined ? '' : run.met ? 'PASS' : 'FAIL',
  ]);
  const targetMeasured = r.runs.some((x) => x.target === 'service' && x.rate === TARGET_RATE);
  process.stdout.write(
    `\nMixed load at fixed rates (open loop, ${r.settings.seconds} s per rate after ${r.settings.warmup} s of warm-up): ` +
      `per cycle 1 create, 1 assign, 1 lookup, 10 status polls. Target: p99 < ${TARGET_P99_MS} ms at ${TARGET_RATE} req/s` +
      `${targetMeasured ? '' : ` (not measured: ${TARGET_RATE} is not among BENCH_MIXED_RATES)`}.\n` +
      `${r.command}\n\n` +
      `${table(
        [
          'target',
          'rate/s',
          'answered/s',
          'p50 ms',
          'p90 ms',
          'p99 ms',
          'max ms',
          'failed',
          'p99 ms create / assign / lookup / status',
          'app CPU ms/req',
          'db CPU ms/req',
          "others' CPU",
          'target',
        ],
        rows,
      )}\n`,
  );
};

const COMMAND = {
  name: 'mixed',
  usage: `Usage: node --import tsx bench/http/mixed.ts [-h | --help]

p99 of the service on PostgreSQL (and of bare express+pg) under an airport's
mix (create, assign, lookup, ten status polls) at fixed rates, open loop.
The same as BENCH_ONLY=mixed npm run bench:http. Takes no options; the
environment sets the run:

  BENCH_MIXED_RATES=250,500,1000   requests per second, one run each
  BENCH_MIXED_SECONDS=10           seconds measured per rate
  BENCH_MIXED_WARMUP=2             seconds of warm-up per rate
  BENCH_MIXED_DRAIN_S=10           how long the last answers are awaited
  BENCH_MIXED_BARE=1               0 leaves bare express+pg out
  BENCH_DATABASE_URL               admin URL of the server (default postgres://postgres@127.0.0.1:5432/test)
`,
  options: {},
} as const;

if (require.main === module) runMain(COMMAND, async () => void (await runMixed()));
