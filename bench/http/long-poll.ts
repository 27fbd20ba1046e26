/*
 * 10,000 concurrent status long-polls on one service instance (part
 * `long-poll` of npm run bench:http):
 *
 *   1. seed 10,000 orders in `processing`, each held by its own driver;
 *   2. open one keep-alive connection per driver and send
 *      GET /v1/assignment/status?order_id=…&wait_ms=10000 on it. The loader
 *      writes raw HTTP/1.1 on plain sockets (the cheapest client there is),
 *      with at most BENCH_LONGPOLL_CONNECTING connections being set up at a
 *      time, so the service's accept queue never overflows; a poll that comes
 *      back unchanged (its wait ran out) is sent again at once, as a driver's
 *      app would, so all 10,000 stay open;
 *   3. once the service is idle again (or after 30 s), change orders spread
 *      over all the polls with POST /v1/drivers-lookup (processing →
 *      assigned), BENCH_LONGPOLL_RATE per second for BENCH_LONGPOLL_WINDOW_S,
 *      and for each take the time from the lookup's response to the answer
 *      `assigned` on its poll (the wake latency);
 *   4. report wake p50/p99, the service's RSS (with all polls open, and its
 *      peak, VmHWM), how long the loader took to send every poll, and how
 *      long the first polls that came back unchanged took from being sent to
 *      their answer: wait_ms (10 s) when the service keeps up, more when
 *      requests queue in it. Targets: RSS < 512 MB, wake p99 < 50 ms.
 *
 *   node --import tsx bench/http/long-poll.ts
 */
import { connect, type Socket } from 'node:net';
import { parseResponse } from './raw-http';
import {
  cpuMsOf,
  createScratchDatabase,
  driverJwt,
  fmt,
  HOST,
  log,
  memoryOf,
  num,
  openFileLimit,
  percentile,
  producedBy,
  runMain,
  SERVICE_TOKEN,
  seedDatabase,
  sleep,
  sortedOf,
  startService,
  startSink,
  table,
  writeConfig,
} from './common';

const longPollSettings = () => ({
  polls: num('BENCH_LONGPOLL_COUNT', 10_000),
  rate: num('BENCH_LONGPOLL_RATE', 100),
  windowS: num('BENCH_LONGPOLL_WINDOW_S', 5),
  connecting: num('BENCH_LONGPOLL_CONNECTING', 256),
});

const WAIT_MS = 10_000;
const TARGET_P99_MS = 50;
const TARGET_RSS_MB = 512;
/** File descriptors a process needs besides the polls' sockets. */
const FD_HEADROOM = 512;
/** How long to wait for the service to go idle after the polls were sent, before changing orders anyway. */
const CALM_DEADLINE_MS = 30_000;
/** Windows of 200 ms under 10 % of a core in a row that make the service idle. */
const CALM_WINDOWS = 5;

const MIB_IN_MB = 1.048576;

export interface LongPollReport {
  readonly command: string;
  readonly settings: ReturnType<typeof longPollSettings>;
  readonly polls: number;
  readonly fdLimit: number;
  /** From the first connection to the last request written, by the loader. */
  readonly sentAllS: number;
  /** The loader's own CPU for that, in ms. */
  readonly loaderCpuMs: number;
  /** First polls that came back unchanged: how many, and seconds from sent to answered (wait_ms when nothing queues). */
  readonly firstCycles: number;
  readonly firstCycleP50S: number;
  readonly firstCycleP99S: number;
  readonly firstCycleMaxS: number;
  /** Whether the service went idle within 30 s after the polls were sent (else the orders were changed anyway). */
  readonly calm: boolean;
  /** Orders changed (one lookup each), and how many of their polls answered `assigned` before the end. */
  readonly triggered: number;
  readonly woken: number;
  /** Answers that arrived before the lookup's own response (counted as 0). */
  readonly beforeTrigger: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  /** Polls sent again after coming back unchanged, connections that had to be reopened, and answers other than 200. */
  readonly renewed: number;
  readonly reconnects: number;
  readonly pollErrors: number;
  readonly pollErrorSample: string;
  readonly triggerFailures: number;
  readonly rssBeforeMiB: number;
  readonly rssOpenMiB: number;
  readonly rssPeakMiB: number;
  readonly rssMet: boolean;
  readonly wakeMet: boolean;
  readonly met: boolean;
}

/** One keep-alive connection carrying one poll at a time. */
class PollConnection {
  private socket: Socket | null = null;
  private buffered: Buffer = Buffer.alloc(0);

  constructor(
    private readonly port: number,
    private readonly request: Buffer,
    private readonly onAnswer: (status: number, body: string) => void,
    private readonly onLost: () => void,
  ) {}

  /** Connects and sends the poll; resolves once it is written. */
  open(): Promise<void> {
    return new Promise((resolve) => {
      const socket = connect({ host: HOST, port: this.port, noDelay: true });
      this.socket = socket;
      this.buffered = Buffer.alloc(0);
      socket.once('connect', () => {
        socket.write(this.request);
        resolve();
      });
      socket.on('data', (chunk: Buffer) => this.read(chunk));
      socket.on('error', () => undefined);
      socket.once('close', () => {
        resolve();
        if (this.socket === socket) {
          this.socket = null;
          this.onLost();
        }
      });
    });
  }

  send(): void {
    this.socket?.write(this.request);
  }

  close(): void {
    const s = this.socket;
    this.socket = null;
    s?.destroy();
  }

  private read(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    for (let r = parseResponse(this.buffered); r !== null; r = parseResponse(this.buffered)) {
      this.buffered = this.buffered.subarray(r.length);
      this.onAnswer(r.status, r.body);
    }
  }
}

/** POST /v1/drivers-lookup for one order: its HTTP status, or 0 when the request failed. */
const lookup = async (url: string, orderId: string): Promise<number> => {
  try {
    const r = await fetch(`${url}/v1/drivers-lookup`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ order_id: orderId }),
    });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
};

export const runLongPoll = async (): Promise<LongPollReport> => {
  const s = longPollSettings();
  const fdLimit = openFileLimit();
  let polls = s.polls;
  if (fdLimit < polls + FD_HEADROOM) {
    polls = Math.max(100, fdLimit - FD_HEADROOM);
    log(
      `long-poll: ulimit -n is ${fdLimit}: too low for ${s.polls} sockets per process (+${FD_HEADROOM}); ` +
        `running ${polls} long-polls instead. Raise it in the shell (ulimit -n ${s.polls + 2 * FD_HEADROOM}) for the full run.`,
    );
  }
  const db = await createScratchDatabase('longpoll', 'service');
  const sink = await startSink();
  log(`long-poll: seeding ${polls} orders in processing…`);
  await seedDatabase({ databaseUrl: db.url }, { processing: [{ prefix: 'w', count: polls, codeStart: 0 }] });
  const service = await startService({ name: 'service-longpoll', configPath: writeConfig(sink.url), databaseUrl: db.url });
  const port = Number(new URL(service.url).port);

  const sentAt = new Float64Array(polls).fill(NaN);
  const firstAnswerAt = new Float64Array(polls).fill(NaN);
  const triggeredAt = new Float64Array(polls).fill(NaN);
  const wokenAt = new Float64Array(polls).fill(NaN);
  let renewed = 0;
  let reconnects = 0;
  let pollErrors = 0;
  let pollErrorSample = '';
  let stopped = false;
  const connections: PollConnection[] = [];
  for (let i = 0; i < polls; i++) {
    const request = Buffer.from(
      `GET /v1/assignment/status?order_id=w-${i}&wait_ms=${WAIT_MS} HTTP/1.1\r\nHost: ${HOST}:${port}\r\n` +
        `Authorization: Bearer ${driverJwt(`w${i}`)}\r\n\r\n`,
    );
    const onAnswer = (status: number, body: string): void => {
      if (stopped) return;
      const state = status === 200 ? (JSON.parse(body) as { status?: string }).status : undefined;
      if (state === 'assigned') {
        if (Number.isNaN(wokenAt[i] as number)) wokenAt[i] = performance.now();
        return;
      }
      if (state === 'processing') {
        if (Number.isNaN(firstAnswerAt[i] as number)) firstAnswerAt[i] = performance.now();
        renewed++;
        connections[i]?.send();
        return;
      }
      pollErrors++;
      if (pollErrorSample === '') pollErrorSample = `${status} ${body.slice(0, 200)}`;
    };
    const onLost = (): void => {
      // A service that refuses connections would make this loop forever: give up after `polls` reopenings.
      if (stopped || !Number.isNaN(wokenAt[i] as number) || reconnects >= polls) return;
      reconnects++;
      void connections[i]?.open();
    };
    connections.push(new PollConnection(port, request, onAnswer, onLost));
  }

  const rssBeforeMiB = memoryOf(service.pid).rssMiB;
  let report: LongPollReport;
  try {
    log(`long-poll: opening ${polls} long-polls (wait_ms=${WAIT_MS}, at most ${s.connecting} connecting at a time)…`);
    const cpuBefore = process.cpuUsage();
    const openStart = performance.now();
    let nextToOpen = 0;
    const opener = async (): Promise<void> => {
      for (let i = nextToOpen++; i < polls; i = nextToOpen++) {
        await connections[i]?.open();
        sentAt[i] = performance.now();
      }
    };
    await Promise.all(Array.from({ length: Math.min(s.connecting, polls) }, opener));
    const sentAllS = (performance.now() - openStart) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const loaderCpuMs = (cpu.user + cpu.system) / 1000;
    log(`long-poll: the loader sent all ${polls} polls in ${fmt(sentAllS, 2)} s (${fmt(loaderCpuMs, 0)} ms of its CPU)`);

    // The service has taken every poll once it is idle again: five windows of 200 ms in a row in which
    // it used under 10 % of a core. If renewing the polls keeps it busy, go on after 30 s anyway.
    let calm = 0;
    for (const deadline = performance.now() + CALM_DEADLINE_MS; calm < CALM_WINDOWS && performance.now() < deadline;) {
      const before = cpuMsOf(service.pid);
      await sleep(200);
      calm = cpuMsOf(service.pid) - before < 20 ? calm + 1 : 0;
    }
    const rssOpenMiB = memoryOf(service.pid).rssMiB;

    const count = Math.min(polls, Math.max(1, Math.round(s.rate * s.windowS)));
    const chosen = Array.from({ length: count }, (_, k) => Math.floor(((k + 0.5) * polls) / count));
    log(
      `long-poll: ${calm >= CALM_WINDOWS ? 'service idle' : 'service still busy after 30 s'}, RSS ${fmt(rssOpenMiB, 0)} MiB; ` +
        `changing ${count} orders at ${s.rate}/s over ${s.windowS} s`,
    );
    let triggerFailures = 0;
    const triggers: Promise<void>[] = [];
    const start = performance.now();
    for (let n = 0; n < count;) {
      const due = Math.min(count, Math.floor(((performance.now() - start) * s.rate) / 1000) + 1);
      for (; n < due; n++) {
        const k = chosen[n] as number;
        triggers.push(
          lookup(service.url, `w-${k}`).then((status) => {
            triggeredAt[k] = performance.now();
            if (status !== 200) triggerFailures++;
          }),
        );
      }
      await sleep(1);
    }
    await Promise.all(triggers);
    // A woken poll answers within its wait; a poll sent again just after its order changed waits it out.
    for (const deadline = performance.now() + WAIT_MS + 2_000; performance.now() < deadline; await sleep(100)) {
      const firstAnswersDue = firstAnswerAt.every((t, i) => !Number.isNaN(t) || !Number.isNaN(wokenAt[i] as number));
      if (firstAnswersDue && chosen.every((k) => !Number.isNaN(wokenAt[k] as number))) break;
    }
    stopped = true;
    const rssPeakMiB = memoryOf(service.pid).peakMiB;

    const latencies: number[] = [];
    let beforeTrigger = 0;
    for (const k of chosen) {
      const d = (wokenAt[k] as number) - (triggeredAt[k] as number);
      if (Number.isNaN(d)) continue;
      if (d < 0) beforeTrigger++;
      latencies.push(Math.max(0, d));
    }
    const cycles = sortedOf([...firstAnswerAt].flatMap((t, i) => (Number.isNaN(t) ? [] : [(t - (sentAt[i] as number)) / 1000])));
    const sorted = sortedOf(latencies);
    const p99 = percentile(sorted, 0.99);
    const rssMet = rssPeakMiB * MIB_IN_MB < TARGET_RSS_MB;
    const wakeMet = latencies.length === count && p99 < TARGET_P99_MS && triggerFailures === 0;
    report = {
      command: producedBy('long-poll'),
      settings: s,
      polls,
      fdLimit,
      sentAllS,
      loaderCpuMs,
      firstCycles: cycles.length,
      firstCycleP50S: percentile(cycles, 0.5),
      firstCycleP99S: percentile(cycles, 0.99),
      firstCycleMaxS: cycles.length > 0 ? (cycles[cycles.length - 1] as number) : NaN,
      calm: calm >= CALM_WINDOWS,
      triggered: count,
      woken: latencies.length,
      beforeTrigger,
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p99,
      max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : NaN,
      renewed,
      reconnects,
      pollErrors,
      pollErrorSample,
      triggerFailures,
      rssBeforeMiB,
      rssOpenMiB,
      rssPeakMiB,
      rssMet,
      wakeMet,
      met: rssMet && wakeMet && polls >= s.polls && pollErrors === 0,
    };
  } finally {
    stopped = true;
    for (const c of connections) c.close();
    // Stopping the service answers the polls still waiting (graceful shutdown); nothing more is measured.
    await service.stop();
    await sink.stop();
    await db.drop();
  }
  printLongPoll(report);
  return report;
};

const printLongPoll = (r: LongPollReport): void => {
  const mb = (mib: number) => `${fmt(mib, 0)} MiB (${fmt(mib * MIB_IN_MB, 0)} MB)`;
  const verdict = (met: boolean) => (met ? 'PASS' : 'FAIL');
  process.stdout.write(
    `\nLong-polls: ${r.polls} concurrent GET /v1/assignment/status?wait_ms=${WAIT_MS} on one service (PostgreSQL), ` +
      `${r.triggered} of them woken by drivers-lookup at ${r.settings.rate}/s over ${r.settings.windowS} s.` +
      `${r.polls < r.settings.polls ? ` Reduced from ${r.settings.polls}: ulimit -n is ${r.fdLimit}.` : ''}\n` +
      `${r.command}\n\n` +
      `${table(
        ['measure', 'value', 'target'],
        [
          ['loader: all polls sent after', `${fmt(r.sentAllS, 2)} s (loader CPU ${fmt(r.loaderCpuMs, 0)} ms)`, ''],
          [
            'first unchanged answer after sending: p50 / p99 / max',
            `${fmt(r.firstCycleP50S, 1)} / ${fmt(r.firstCycleP99S, 1)} / ${fmt(r.firstCycleMaxS, 1)} s (${r.firstCycles} polls; ${WAIT_MS / 1000} s if nothing queues)`,
            '',
          ],
          ['service idle again before the changes', r.calm ? 'yes' : 'no: still busy 30 s after the polls were sent', ''],
          ['wake latency p50', `${fmt(r.p50, 2)} ms`, ''],
          ['wake latency p90', `${fmt(r.p90, 2)} ms`, ''],
          [
            'wake latency p99',
            `${fmt(r.p99, 2)} ms`,
            `< ${TARGET_P99_MS} ms, every changed order's poll woken: ${verdict(r.wakeMet)}`,
          ],
          ['wake latency max', `${fmt(r.max, 1)} ms`, ''],
          ['changed orders whose poll answered assigned', `${r.woken} of ${r.triggered}`, ''],
          ['  of them before the lookup response (counted as 0)', String(r.beforeTrigger), ''],
          ['service RSS before the polls', mb(r.rssBeforeMiB), ''],
          ['service RSS with all polls open', mb(r.rssOpenMiB), ''],
          ['service peak RSS (VmHWM)', mb(r.rssPeakMiB), `< ${TARGET_RSS_MB} MB: ${verdict(r.rssMet)}`],
          ['polls sent again after their wait ran out', String(r.renewed), ''],
          ['connections reopened / answers not 200', `${r.reconnects} / ${r.pollErrors}`, ''],
          ['lookups not 200', String(r.triggerFailures), ''],
        ],
      )}\n` +
      (r.pollErrorSample === '' ? '' : `first answer not 200: ${r.pollErrorSample}\n`),
  );
};

const COMMAND = {
  name: 'long-poll',
  usage: `Usage: node --import tsx bench/http/long-poll.ts [-h | --help]

Concurrent status long-polls on one service (PostgreSQL), woken by lookups:
wake latency, the service's RSS, how long opening took. The same as
BENCH_ONLY=long-poll npm run bench:http. Takes no options; the environment
sets the run:

  BENCH_LONGPOLL_COUNT=10000     polls (fewer when ulimit -n is lower)
  BENCH_LONGPOLL_RATE=100        lookups per second, for the window
  BENCH_LONGPOLL_WINDOW_S=5      seconds of lookups
  BENCH_LONGPOLL_CONNECTING=256  connections the loader sets up at a time
  BENCH_DATABASE_URL             admin URL of the server (default postgres://postgres@127.0.0.1:5432/test)
`,
  options: {},
} as const;

if (require.main === module) runMain(COMMAND, async () => void (await runLongPoll()));
