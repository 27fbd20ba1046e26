/*
 * 10,000 concurrent status long-polls on one service instance (PostgreSQL):
 *
 *   1. seed 10,000 orders in `processing`, each held by its own driver;
 *   2. each driver opens GET /v1/assignment/status?order_id=…&wait_ms=10000
 *      (plain http.request, one keep-alive agent with maxSockets: Infinity);
 *   3. once the service is idle again, POST /v1/drivers-lookup (processing →
 *      assigned) at a fixed rate for a fixed window (BENCH_LONGPOLL_RATE per
 *      second, default 100, for BENCH_LONGPOLL_WINDOW_S, default 5 s, so every
 *      change lands well inside its poll's 10 s wait), on orders spread evenly
 *      over all the open polls, and for each take the time from the lookup's
 *      response to the long-poll's answer. The rate is kept below what the
 *      service can take on this kind of machine (a lookup plus a wake cost it
 *      ~4 ms of CPU here): past that the figure is queueing, not waking. On a
 *      faster machine, BENCH_LONGPOLL_RATE=2000 wakes all 10,000 in 5 s;
 *   4. report p50/p99 of that wake latency and the service's peak RSS
 *      (VmHWM of /proc/<pid>/status). Targets: p99 ≤ 50 ms, RSS < 512 MB.
 *
 *   npx tsx bench/http/long-poll.ts   (BENCH_LONGPOLL_COUNT, BENCH_LONGPOLL_RATE)
 */
import { Agent, request } from 'node:http';
import {
  cpuMsOf,
  createScratchDatabase,
  driverJwt,
  fmt,
  HOST,
  log,
  memoryOf,
  openFileLimit,
  percentile,
  runMain,
  SERVICE_TOKEN,
  seedDatabase,
  sleep,
  sortedOf,
  stamp,
  startService,
  startSink,
  table,
  writeConfig,
} from './common';

const WANTED = Number(process.env.BENCH_LONGPOLL_COUNT ?? 10_000);
/** Lookups per second, for the window: all inside the polls' 10 s wait. */
const TRIGGER_RATE = Number(process.env.BENCH_LONGPOLL_RATE ?? 100);
const WINDOW_S = Number(process.env.BENCH_LONGPOLL_WINDOW_S ?? 5);
const WAIT_MS = 10_000;
const TARGET_P99_MS = 50;
const TARGET_RSS_MB = 512;
/** File descriptors a process needs besides the polls' sockets. */
const FD_HEADROOM = 512;

export interface LongPollReport {
  readonly at: string;
  readonly polls: number;
  readonly fdLimit: number;
  readonly triggerRate: number;
  /** Orders changed (one lookup each). */
  readonly triggered: number;
  readonly woken: number;
  readonly missing: number;
  /** How long the changes were spread over. */
  readonly windowS: number;
  /** The changed orders were among polls firstChosen…polls-1 (the later ones when opening took long). */
  readonly firstChosen: number;
  /** Polls answered without a change before the end (a wait that ran out: should be 0). */
  readonly unchanged: number;
  readonly pollErrors: number;
  readonly triggerFailures: number;
  /** Answers that arrived before the lookup's own response (counted as 0 in the percentiles). */
  readonly beforeTrigger: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly openSeconds: number;
  readonly rssBeforeMiB: number;
  readonly rssPeakMiB: number;
  readonly rssWhileWaitingMiB: number;
  readonly met: boolean;
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

const get = (agent: Agent, port: string, path: string, headers: Record<string, string>, body?: string) =>
  new Promise<Answer>((resolve, reject) => {
    const req = request({ host: HOST, port, path, method: body === undefined ? 'GET' : 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });

/** One run with `polls` long-polls. */
const runOnce = async (polls: number, fdLimit: number): Promise<LongPollReport> => {
  const db = await createScratchDatabase('longpoll');
  const sink = await startSink();
  log(`long-poll: seeding ${polls} orders in processing…`);
  await seedDatabase({ databaseUrl: db.url }, { processing: [{ prefix: 'w', count: polls, codeStart: 0 }] });
  const service = await startService({ name: 'service-longpoll', configPath: writeConfig(sink.url), databaseUrl: db.url });
  const { port } = new URL(service.url);
  const pollAgent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const triggerAgent = new Agent({ keepAlive: true, maxSockets: 32 });
  const tokens = Array.from({ length: polls }, (_, i) => driverJwt(`w${i}`));
  const triggeredAt = new Float64Array(polls).fill(NaN);
  const answeredAt = new Float64Array(polls).fill(NaN);
  let chosen: number[] = [];
  let pollErrors = 0;
  let unchanged = 0;
  let triggerFailures = 0;
  let outstanding = Number.POSITIVE_INFINITY;
  let allAnswered: () => void = () => undefined;
  const answered = new Promise<void>((r) => (allAnswered = r));
  let stopped = false;
  let rssWhileWaitingMiB = NaN;
  let rssPeakMiB = NaN;
  let openSeconds = NaN;
  let windowS = 0;
  let firstChosen = 0;

  const poll = (i: number): void => {
    get(pollAgent, port, `/v1/assignment/status?order_id=w-${i}&wait_ms=${WAIT_MS}`, { authorization: `Bearer ${tokens[i]}` })
      .then(({ status, body }) => {
        if (stopped) return;
        const state = status === 200 ? (JSON.parse(body) as { status?: string }).status : undefined;
        if (state === 'assigned') {
          answeredAt[i] = performance.now();
          if (--outstanding === 0) allAnswered();
        } else if (status === 200) unchanged++;
        else pollErrors++;
      })
      .catch(() => {
        if (!stopped) pollErrors++;
      });
  };

  const rssBeforeMiB = memoryOf(service.pid).rssMiB;
  try {
    log(`long-poll: opening ${polls} long-polls (wait_ms=${WAIT_MS})…`);
    const openStart = performance.now();
    for (let i = 0; i < polls; i += 250) {
      for (let k = i; k < Math.min(polls, i + 250); k++) poll(k);
      await sleep(25);
    }
    // Every poll has had its first snapshot once the service is idle again: two windows of 200 ms
    // in a row in which it used under 10 % of a core.
    for (let calm = 0, deadline = performance.now() + 60_000; calm < 2 && performance.now() < deadline;) {
      const before = cpuMsOf(service.pid);
      await sleep(200);
      calm = cpuMsOf(service.pid) - before < 20 ? calm + 1 : 0;
    }
    const settled = performance.now();
    openSeconds = (settled - 400 - openStart) / 1000;
    rssWhileWaitingMiB = memoryOf(service.pid).rssMiB;

    // The orders to change: spread evenly over the polls whose wait (which began when the service
    // took them, about evenly over the opening) lasts at least a second past the window. When opening
    // took long, that leaves only the later polls, and the first ones time out during the window.
    windowS = WINDOW_S;
    const first = Math.min(0.95, Math.max(0, (openSeconds + windowS + 1 - WAIT_MS / 1000) / openSeconds));
    const from = Math.floor(first * polls);
    const count = Math.min(polls - from, Math.max(1, Math.round(TRIGGER_RATE * windowS)));
    chosen = Array.from({ length: count }, (_, k) => from + Math.floor((k * (polls - from)) / count));
    outstanding = count;
    firstChosen = from;
    log(
      `long-poll: all open after ${fmt(openSeconds)} s (service RSS ${fmt(rssWhileWaitingMiB, 0)} MiB); ` +
        `${count} lookups at ${TRIGGER_RATE}/s over ${fmt(windowS)} s, on polls ${from}…${polls - 1}`,
    );

    const triggers: Promise<void>[] = [];
    const start = performance.now();
    for (let n = 0; n < count;) {
      const due = Math.min(count, Math.floor(((performance.now() - start) * TRIGGER_RATE) / 1000) + 1);
      for (; n < due; n++) {
        const k = chosen[n] as number;
        triggers.push(
          get(
            triggerAgent,
            port,
            '/v1/drivers-lookup',
            { authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'application/json' },
            JSON.stringify({ order_id: `w-${k}` }),
          )
            .then(({ status }) => {
              triggeredAt[k] = performance.now();
              if (status !== 200) triggerFailures++;
            })
            .catch(() => {
              triggerFailures++;
            }),
        );
      }
      await sleep(1);
    }
    await Promise.all(triggers);
    // Wait for the woken polls (their waits run out 10 s after they were taken at the latest).
    await Promise.race([answered, sleep(WAIT_MS)]);
  } finally {
    stopped = true;
    rssPeakMiB = memoryOf(service.pid).peakMiB;
    // Stopping the service answers the polls still waiting (graceful shutdown); nothing more is measured.
    await service.stop();
    pollAgent.destroy();
    triggerAgent.destroy();
    await sink.stop();
    await db.drop();
  }

  const latencies: number[] = [];
  let beforeTrigger = 0;
  for (const i of chosen) {
    const d = (answeredAt[i] as number) - (triggeredAt[i] as number);
    if (Number.isNaN(d)) continue;
    if (d < 0) beforeTrigger++;
    latencies.push(Math.max(0, d));
  }
  const sorted = sortedOf(latencies);
  const p99 = percentile(sorted, 0.99);
  const missing = chosen.length - latencies.length;
  const report: LongPollReport = {
    at: stamp(),
    polls,
    fdLimit,
    triggerRate: TRIGGER_RATE,
    windowS,
    triggered: chosen.length,
    firstChosen,
    woken: latencies.length,
    missing,
    unchanged,
    pollErrors,
    triggerFailures,
    beforeTrigger,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99,
    max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : NaN,
    openSeconds,
    rssBeforeMiB,
    rssPeakMiB,
    rssWhileWaitingMiB,
    met: chosen.length > 0 && p99 <= TARGET_P99_MS && rssPeakMiB * 1.048576 < TARGET_RSS_MB && missing === 0 && polls >= WANTED,
  };
  printLongPoll(report);
  return report;
};

/** Polls of the second run, when the first showed the instance saturated by renewing its polls alone. */
const CALM_POLLS = Number(process.env.BENCH_LONGPOLL_CALM ?? 1_000);

export type LongPollResult = LongPollReport & { readonly calm?: LongPollReport };

/**
 * The 10,000-poll run; then, if opening them took the service more than 4 s
 * (so that renewing 10,000 polls every 10 s is about all it can do, and the
 * wake latency above is mostly queueing), a run with 1,000 polls, to show
 * the wake path itself.
 */
export const runLongPoll = async (): Promise<LongPollResult> => {
  const fdLimit = openFileLimit();
  let polls = WANTED;
  if (fdLimit < WANTED + FD_HEADROOM) {
    polls = Math.max(100, fdLimit - FD_HEADROOM);
    log(
      `long-poll: ulimit -n is ${fdLimit}: too low for ${WANTED} sockets per process (+${FD_HEADROOM}); ` +
        `running ${polls} long-polls instead. Raise it in the shell (ulimit -n ${WANTED + 2 * FD_HEADROOM}) for the full run.`,
    );
  }
  const main = await runOnce(polls, fdLimit);
  if (main.openSeconds <= 4 || CALM_POLLS <= 0 || CALM_POLLS >= polls) return main;
  log(
    `long-poll: opening ${polls} polls took ${fmt(main.openSeconds)} s, so renewing them every ${WAIT_MS / 1000} s is ` +
      `about all this instance can do here; again with ${CALM_POLLS} polls to see the wake path without that load`,
  );
  return { ...main, calm: await runOnce(CALM_POLLS, fdLimit) };
};

export const printLongPoll = (r: LongPollReport): void => {
  const mb = (mib: number) => `${fmt(mib, 0)} MiB (${fmt(mib * 1.048576, 0)} MB)`;
  process.stdout.write(
    `\nLong-polls: ${r.polls} concurrent status long-polls (wait_ms=${WAIT_MS}) on one service (PostgreSQL), ` +
      `${r.triggered} of them (among polls ${r.firstChosen}…${r.polls - 1}) woken by drivers-lookup at ${r.triggerRate}/s over ${fmt(r.windowS)} s (${r.at}):\n\n` +
      `${table(
        ['measure', 'value', 'target'],
        [
          ['wake latency p50', `${fmt(r.p50, 2)} ms`, ''],
          ['wake latency p90', `${fmt(r.p90, 2)} ms`, ''],
          [
            'wake latency p99',
            `${fmt(r.p99, 2)} ms`,
            r.missing > 0 || r.triggered === 0
              ? `≤ ${TARGET_P99_MS} ms: FAIL (${r.missing} of ${r.triggered} changed orders' polls never woke)`
              : `≤ ${TARGET_P99_MS} ms: ${r.p99 <= TARGET_P99_MS ? 'PASS' : 'FAIL'}`,
          ],
          ['wake latency max', `${fmt(r.max, 1)} ms`, ''],
          ['service RSS before polls', mb(r.rssBeforeMiB), ''],
          ['service RSS with all polls open', mb(r.rssWhileWaitingMiB), ''],
          [
            'service peak RSS (VmHWM)',
            mb(r.rssPeakMiB),
            `< ${TARGET_RSS_MB} MB: ${r.rssPeakMiB * 1.048576 < TARGET_RSS_MB ? 'PASS' : 'FAIL'}`,
          ],
          ['time until the service had taken every poll', `${fmt(r.openSeconds, 1)} s`, ''],
          ['changed orders: poll answered / missing', `${r.woken} / ${r.missing}`, ''],
          ['answered before the lookup response', String(r.beforeTrigger), ''],
          ['polls answered unchanged (wait ran out) / poll errors', `${r.unchanged} / ${r.pollErrors}`, ''],
          ['lookups not 200', String(r.triggerFailures), ''],
        ],
      )}\n`,
  );
  if (r.polls < WANTED && r.fdLimit < WANTED + FD_HEADROOM)
    process.stdout.write(`(reduced from ${WANTED}: ulimit -n is ${r.fdLimit})\n`);
};

const COMMAND = {
  name: 'long-poll',
  usage: `Usage: npx tsx bench/http/long-poll.ts [-h | --help]

Concurrent status long-polls on one service (PostgreSQL), woken by lookups:
wake latency and the service's peak RSS. Takes no options; the environment
sets the run:

  BENCH_LONGPOLL_COUNT=10000   polls (fewer when ulimit -n is lower)
  BENCH_LONGPOLL_RATE=100      lookups per second, for the window
  BENCH_LONGPOLL_WINDOW_S=5    seconds of lookups
  BENCH_LONGPOLL_CALM=1000     polls of the second run, when the first saturated the service
  BENCH_DATABASE_URL           admin URL of the server (default postgres://postgres@127.0.0.1:5432/test)
`,
  options: {},
} as const;

if (require.main === module) runMain(COMMAND, async () => void (await runLongPoll()));
