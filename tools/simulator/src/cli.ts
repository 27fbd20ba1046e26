import { resolve } from 'node:path';
import * as E from 'fp-ts/Either';
import { CHECK_DIGIT_SCHEMES, DEFAULT_GENERATOR, type CheckDigitScheme, type GeneratorSettings } from '@codedispatch/core';
import { readCommandLine, refuseCommandLine, runCommand, type CommandStreams } from '@codedispatch/postgres/command-line';
import { redactedUrl } from './amqp-stand-in';
import {
  DEFAULT_BEHAVIOUR,
  DEFAULT_STARTED_SERVICE,
  DEFAULT_TRACKER,
  type AreaLoad,
  type Progress,
  type SimulationOptions,
} from './options';
import { writeReport } from './output';
import { progressLine, stopOnSignals } from './progress';
import { summarise } from './report';
import { standInConfigHint, type SinkKind } from './service-config';
import { startSimulation } from './simulation';

/*
 * npm run simulate: the simulator's command line. Without options it starts
 * a service of its own (PGlite in a temporary directory) and runs 60 s of two
 * areas; with --url it drives running instances instead.
 */

const COMMAND = {
  name: 'simulate',
  usage: `Usage: npm run simulate [-- [options]]

Simulates airport taxi queues against codedispatch, through its public API:
passengers arrive (Poisson) and order; drivers queue, take the first
passenger and type the code (with typos, swaps and wrong codes); some
passengers cancel; a processing stand-in receives the events (webhook or
RabbitMQ) and calls drivers-lookup; a tracker stand-in answers acquire;
drivers long-poll their status. Prints a live progress line, then a report,
and writes it with CSV files and PNG charts into --out.

Without --url it starts one service instance itself (apps/http/dist/main.js
on PGlite in a temporary directory, its configuration generated with the
stand-ins' addresses and secrets of its own) and stops it at the end.

Load and behaviour
  --duration <s>                 how long passengers arrive (default 60); then a drain until every passenger has ended
  --areas <a,b,…>                areas (default svo_d,zenit)
  --rate <n | area=n,…>          passengers per hour per area (default 1800)
  --drivers <n | area=n,…>       drivers per area (default 15)
  --trip-s <s>                   mean time a driver is away on a ride (default ${DEFAULT_BEHAVIOUR.tripS})
  --walk-s <s>                   mean time from ordering to the queue (default ${DEFAULT_BEHAVIOUR.walkS})
  --typing-ms <ms>               mean time a driver takes to type a code (default ${DEFAULT_BEHAVIOUR.typingMs})
  --typo-rate <0..1>             entries with one character wrong (default ${DEFAULT_BEHAVIOUR.typoRate})
  --swap-rate <0..1>             entries with two neighbours swapped (default ${DEFAULT_BEHAVIOUR.swapRate})
  --wrong-code-rate <0..1>       entries of another well-formed code (default ${DEFAULT_BEHAVIOUR.wrongCodeRate})
  --cancel-rate <0..1>           passengers who cancel before a car takes them (default ${DEFAULT_BEHAVIOUR.cancelRate})
  --cancel-within-s <s>          they cancel at a uniform time this long after ordering (default ${DEFAULT_BEHAVIOUR.cancelWithinS})
  --wait-ms <ms>                 wait_ms of the drivers' code entries and status long-polls (default ${DEFAULT_BEHAVIOUR.waitMs})
  --seed <n>                     seed of every choice (default 1): the same seed, the same choices

Stand-ins
  --tracker-failure-rate <0..1>  acquires refused: not found, busy, out of area (default ${DEFAULT_TRACKER.refusalRate})
  --tracker-unavailable-rate <0..1>  acquires answered 503 (default ${DEFAULT_TRACKER.unavailableRate})
  --tracker-latency-ms <ms>      mean acquire latency, ±50 % (default ${DEFAULT_TRACKER.latencyMs})
  --sink <webhook|amqp|embedded> how events reach the processing stand-in (default webhook); embedded: the
                                 service runs the lookups itself
  --amqp-url <url>               the broker for --sink amqp (default $SIMULATE_AMQP_URL, else amqp://guest:guest@127.0.0.1:5672)
  --amqp-exchange <name>         processing_queue.amqp_exchange (default codedispatch; a service started
                                 here gets one of the run's own)
  --stand-in-host <host>         where the stand-ins listen (default 127.0.0.1; 0.0.0.0 for a service elsewhere)
  --tracker-port <port>          default: a free port; 9100 with --url
  --webhook-port <port>          default: a free port; 9200 with --url

The service
  --url <url,url,…>              running instances (default $SIMULATE_URLS); requests go to them in turn
  --service-token <token>        one of their auth.service_tokens (default $SIMULATE_SERVICE_TOKEN)
  --jwt-secret <secret>          their auth.driver_jwt.hs256_secret (default $SIMULATE_JWT_SECRET)
  --webhook-secret <secret>      their processing_queue.webhook_secret (default $SIMULATE_WEBHOOK_SECRET);
                                 without it the signatures are not checked
  --code-length <n>              the areas' code length: of the started service's generator, or of the running
                                 one's for making wrong codes (default 6)
  --check-digit <scheme>         none | damm | verhoeff | luhn_mod_n, likewise (default damm)
  --alphabet <chars>             the code alphabet, likewise (default 0123456789)
  --order-expire-s <s>           started service: areas' order_expire_s (default ${DEFAULT_STARTED_SERVICE.orderExpireS})
  --processing-timeout-s <s>     started service: areas' processing_timeout_s (default ${DEFAULT_STARTED_SERVICE.processingTimeoutS})
  --database-url <url>           started service: run on this PostgreSQL database instead of PGlite
  --instances <n>                started service: instances (default 1; more need --database-url)
  --print-config                 print what a running service must set to use the stand-ins, and exit

Output
  --out <dir>                    where the report, CSV files and charts go (default ./simulation-report)
  --no-charts                    no PNG charts
  --json                         print the summary as JSON on stdout (the progress stays on stderr)
  --request-timeout-ms <ms>      every request's deadline; long-polls get wait_ms more (default 5000)
  --drain-s <s>                  longest drain after the arrivals (default: order_expire_s + 15, at least 60)
  -h, --help                     this text

Exit: 0 the run is clean; 1 it found a 5xx other than a documented 503, a request past
its deadline, or a passenger that did not end assigned, cancelled or expired (or the
run failed); 2 usage error.
`,
  options: {
    duration: { type: 'string' },
    areas: { type: 'string' },
    rate: { type: 'string' },
    drivers: { type: 'string' },
    'trip-s': { type: 'string' },
    'walk-s': { type: 'string' },
    'typing-ms': { type: 'string' },
    'typo-rate': { type: 'string' },
    'swap-rate': { type: 'string' },
    'wrong-code-rate': { type: 'string' },
    'cancel-rate': { type: 'string' },
    'cancel-within-s': { type: 'string' },
    'wait-ms': { type: 'string' },
    seed: { type: 'string' },
    'tracker-failure-rate': { type: 'string' },
    'tracker-unavailable-rate': { type: 'string' },
    'tracker-latency-ms': { type: 'string' },
    sink: { type: 'string' },
    'amqp-url': { type: 'string' },
    'amqp-exchange': { type: 'string' },
    'stand-in-host': { type: 'string' },
    'tracker-port': { type: 'string' },
    'webhook-port': { type: 'string' },
    url: { type: 'string' },
    'service-token': { type: 'string' },
    'jwt-secret': { type: 'string' },
    'webhook-secret': { type: 'string' },
    'code-length': { type: 'string' },
    'check-digit': { type: 'string' },
    alphabet: { type: 'string' },
    'order-expire-s': { type: 'string' },
    'processing-timeout-s': { type: 'string' },
    'database-url': { type: 'string' },
    instances: { type: 'string' },
    'print-config': { type: 'boolean' },
    out: { type: 'string' },
    'no-charts': { type: 'boolean' },
    json: { type: 'boolean' },
    'request-timeout-ms': { type: 'string' },
    'drain-s': { type: 'string' },
  },
} as const;

type Env = Readonly<Record<string, string | undefined>>;

const SINK_KINDS: readonly string[] = ['webhook', 'amqp', 'embedded'] satisfies readonly SinkKind[];
const isSinkKind = (s: string): s is SinkKind => SINK_KINDS.includes(s);

const nonEmpty = (...values: (string | undefined)[]): string | undefined => values.find((v) => v !== undefined && v !== '');

/** Reads the options into numbers and lists, or says which one is wrong. */
export class Reader {
  readonly problems: string[] = [];

  number(name: string, raw: string | undefined, fallback: number, check: (n: number) => boolean, expected: string): number {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || !check(n)) {
      this.problems.push(`--${name} ${JSON.stringify(raw)} is not ${expected}`);
      return fallback;
    }
    return n;
  }

  rate(name: string, raw: string | undefined, fallback: number): number {
    return this.number(name, raw, fallback, (n) => n >= 0 && n <= 1, 'a share between 0 and 1');
  }

  positive(name: string, raw: string | undefined, fallback: number): number {
    return this.number(name, raw, fallback, (n) => n > 0, 'a positive number');
  }

  nonNegative(name: string, raw: string | undefined, fallback: number): number {
    return this.number(name, raw, fallback, (n) => n >= 0, 'zero or more');
  }

  integer(name: string, raw: string | undefined, fallback: number, min: number): number {
    return this.number(name, raw, fallback, (n) => Number.isInteger(n) && n >= min, `an integer of at least ${min}`);
  }

  /** `n` for every area, or `area=n,…` (areas left out get the default). */
  perArea(
    name: string,
    raw: string | undefined,
    areas: readonly string[],
    fallback: number,
    integer: boolean,
  ): Map<string, number> {
    const values = new Map(areas.map((a) => [a, fallback]));
    if (raw === undefined) return values;
    const check = (n: number) => n >= 0 && (!integer || Number.isInteger(n));
    const expected = integer ? 'a whole number' : 'a number of zero or more';
    if (!raw.includes('=')) {
      const n = this.number(name, raw, fallback, check, expected);
      for (const a of areas) values.set(a, n);
      return values;
    }
    for (const part of raw.split(',')) {
      const [area, value] = part.split('=').map((s) => s.trim());
      if (area === undefined || value === undefined || !values.has(area)) {
        this.problems.push(`--${name}: ${JSON.stringify(part)} does not name an area of --areas`);
        continue;
      }
      values.set(area, this.number(name, value, fallback, check, expected));
    }
    return values;
  }
}

export const main = async (
  argv: readonly string[] = process.argv.slice(2),
  io: CommandStreams & { readonly stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number } } = process,
  env: Env = process.env,
): Promise<number> => {
  const line = readCommandLine(COMMAND, argv, io);
  if (E.isLeft(line)) return line.left;
  const v = line.right.values;
  const read = new Reader();
  const areas = (v.areas ?? 'svo_d,zenit')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  if (areas.length === 0) read.problems.push('--areas names no area');
  if (new Set(areas).size !== areas.length) read.problems.push('--areas names an area twice');
  const rates = read.perArea('rate', v.rate, areas, 1_800, false);
  const drivers = read.perArea('drivers', v.drivers, areas, 15, true);
  const sinkOption = v.sink ?? 'webhook';
  if (!isSinkKind(sinkOption)) read.problems.push(`--sink ${JSON.stringify(sinkOption)} is not webhook, amqp or embedded`);
  const sink: SinkKind = isSinkKind(sinkOption) ? sinkOption : 'webhook';
  const checkDigit = (v['check-digit'] ?? DEFAULT_GENERATOR.checkDigit) as CheckDigitScheme;
  if (!CHECK_DIGIT_SCHEMES.includes(checkDigit))
    read.problems.push(`--check-digit ${JSON.stringify(checkDigit)} is not one of ${CHECK_DIGIT_SCHEMES.join(', ')}`);
  const codeLength = read.integer('code-length', v['code-length'], DEFAULT_GENERATOR.length, 2);
  const alphabet = v.alphabet ?? DEFAULT_GENERATOR.alphabet;
  const urls =
    nonEmpty(v.url, env.SIMULATE_URLS)
      ?.split(',')
      .map((u) => u.trim())
      .filter((u) => u !== '') ?? [];
  for (const u of urls) if (!URL.canParse(u)) read.problems.push(`--url ${JSON.stringify(u)} is not a URL`);
  const external = urls.length > 0;
  const serviceToken = nonEmpty(v['service-token'], env.SIMULATE_SERVICE_TOKEN);
  const jwtSecret = nonEmpty(v['jwt-secret'], env.SIMULATE_JWT_SECRET);
  const webhookSecret = nonEmpty(v['webhook-secret'], env.SIMULATE_WEBHOOK_SECRET) ?? null;
  if (external && !v['print-config']) {
    if (serviceToken === undefined) read.problems.push('--url needs --service-token (or SIMULATE_SERVICE_TOKEN)');
    if (jwtSecret === undefined) read.problems.push('--url needs --jwt-secret (or SIMULATE_JWT_SECRET)');
  }
  const instances = read.integer('instances', v.instances, 1, 1);
  const databaseUrl = nonEmpty(v['database-url']);
  if (instances > 1 && databaseUrl === undefined)
    read.problems.push('--instances above 1 needs --database-url (PGlite serves one process)');
  if (external && (v.instances !== undefined || databaseUrl !== undefined))
    read.problems.push('--instances and --database-url are for a service started here, not with --url');
  const behaviour = {
    typoRate: read.rate('typo-rate', v['typo-rate'], DEFAULT_BEHAVIOUR.typoRate),
    swapRate: read.rate('swap-rate', v['swap-rate'], DEFAULT_BEHAVIOUR.swapRate),
    wrongCodeRate: read.rate('wrong-code-rate', v['wrong-code-rate'], DEFAULT_BEHAVIOUR.wrongCodeRate),
    cancelRate: read.rate('cancel-rate', v['cancel-rate'], DEFAULT_BEHAVIOUR.cancelRate),
    cancelWithinS: read.nonNegative('cancel-within-s', v['cancel-within-s'], DEFAULT_BEHAVIOUR.cancelWithinS),
    walkS: read.nonNegative('walk-s', v['walk-s'], DEFAULT_BEHAVIOUR.walkS),
    typingMs: read.nonNegative('typing-ms', v['typing-ms'], DEFAULT_BEHAVIOUR.typingMs),
    tripS: read.nonNegative('trip-s', v['trip-s'], DEFAULT_BEHAVIOUR.tripS),
    waitMs: read.integer('wait-ms', v['wait-ms'], DEFAULT_BEHAVIOUR.waitMs, 0),
  };
  if (behaviour.typoRate + behaviour.swapRate + behaviour.wrongCodeRate > 1)
    read.problems.push('--typo-rate, --swap-rate and --wrong-code-rate add up to more than 1');
  const tracker = {
    refusalRate: read.rate('tracker-failure-rate', v['tracker-failure-rate'], DEFAULT_TRACKER.refusalRate),
    unavailableRate: read.rate('tracker-unavailable-rate', v['tracker-unavailable-rate'], DEFAULT_TRACKER.unavailableRate),
    latencyMs: read.nonNegative('tracker-latency-ms', v['tracker-latency-ms'], DEFAULT_TRACKER.latencyMs),
  };
  if (tracker.refusalRate + tracker.unavailableRate > 1)
    read.problems.push('--tracker-failure-rate and --tracker-unavailable-rate add up to more than 1');
  const port = (name: string, raw: string | undefined, fallback: number) =>
    read.number(name, raw, fallback, (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'a port number');
  const durationS = read.positive('duration', v.duration, 60);
  const seed = read.integer('seed', v.seed, 1, 0);
  const orderExpireS = read.integer('order-expire-s', v['order-expire-s'], DEFAULT_STARTED_SERVICE.orderExpireS, 1);
  const processingTimeoutS = read.integer(
    'processing-timeout-s',
    v['processing-timeout-s'],
    DEFAULT_STARTED_SERVICE.processingTimeoutS,
    1,
  );
  const requestTimeoutMs = read.integer('request-timeout-ms', v['request-timeout-ms'], 5_000, 1);
  const drainS = v['drain-s'] === undefined ? undefined : read.positive('drain-s', v['drain-s'], 60);
  const standIns = {
    host: v['stand-in-host'] ?? '127.0.0.1',
    trackerPort: port('tracker-port', v['tracker-port'], external ? 9100 : 0),
    webhookPort: port('webhook-port', v['webhook-port'], external ? 9200 : 0),
  };
  const amqpUrl = nonEmpty(v['amqp-url'], env.SIMULATE_AMQP_URL) ?? 'amqp://guest:guest@127.0.0.1:5672';
  const amqpExchange = v['amqp-exchange'];
  if (read.problems.length > 0) return refuseCommandLine(COMMAND, io, read.problems.join('\n'));

  const areaLoads: AreaLoad[] = areas.map((id) => ({ id, ratePerHour: rates.get(id) ?? 0, drivers: drivers.get(id) ?? 0 }));
  const generator: GeneratorSettings = { ...DEFAULT_GENERATOR, length: codeLength, alphabet, checkDigit, group: [codeLength] };
  const say = (text: string) => io.stderr.write(`${text}\n`);

  if (v['print-config']) {
    const shown = standIns.host === '0.0.0.0' ? '<this host>' : standIns.host;
    io.stdout.write(
      `${standInConfigHint(
        `http://${shown}:${standIns.trackerPort || 9100}`,
        { kind: sink, webhookUrl: `http://${shown}:${standIns.webhookPort || 9200}/events`, amqpExchange },
        areas,
      )}\n`,
    );
    return 0;
  }

  const { stop, detach } = stopOnSignals(say, 'no more arrivals; reading the records and writing the report');

  const tty = io.stderr.isTTY === true;
  let lastPrinted = 0;
  const onProgress = (p: Progress): void => {
    // One line, cut to the terminal's width, rewritten in place.
    if (tty) io.stderr.write(`\r\x1b[2K${progressLine(p).slice(0, Math.max(20, (io.stderr.columns ?? 200) - 1))}`);
    else if (p.at - lastPrinted >= 10_000) {
      lastPrinted = p.at;
      say(progressLine(p));
    }
  };
  const options: SimulationOptions = {
    target: external
      ? {
          kind: 'urls',
          urls,
          credentials: {
            serviceToken: serviceToken as string,
            processingToken: serviceToken as string,
            jwtSecret: jwtSecret as string,
            webhookSecret,
          },
          generator,
        }
      : {
          kind: 'start',
          instances,
          ...(databaseUrl !== undefined ? { databaseUrl } : {}),
          settings: {
            generator: { length: codeLength, alphabet, checkDigit },
            orderExpireS,
            processingTimeoutS,
          },
        },
    areas: areaLoads,
    durationMs: durationS * 1_000,
    signal: stop.signal,
    seed,
    behaviour,
    tracker,
    sink:
      sink === 'amqp'
        ? { kind: 'amqp', url: amqpUrl, ...(amqpExchange !== undefined ? { exchange: amqpExchange } : {}) }
        : { kind: sink },
    standIns,
    requestTimeoutMs,
    ...(drainS !== undefined ? { drainMs: drainS * 1_000 } : {}),
    onProgress,
    log: say,
  };
  say(
    `simulate: ${durationS} s, ${areaLoads.map((a) => `${a.id} ${a.ratePerHour}/h with ${a.drivers} drivers`).join(', ')}; ` +
      `sink ${sink}${sink === 'amqp' ? ` (${redactedUrl(amqpUrl)})` : ''}; seed ${seed}`,
  );
  try {
    const running = await startSimulation(options);
    if (external) {
      say(
        `the service must be configured to use the stand-ins:\n${standInConfigHint(
          running.tracker.url,
          {
            kind: sink,
            ...(running.webhookReceiver !== null ? { webhookUrl: running.webhookReceiver.url } : {}),
            amqpExchange,
          },
          areas,
        )
          .split('\n')
          .map((l) => `  ${l}`)
          .join('\n')}`,
      );
      if (webhookSecret === null && sink === 'webhook') say("  (no --webhook-secret: the events' signatures are not checked)");
    }
    const result = await running.done;
    if (tty) io.stderr.write('\n');
    const out = resolve(v.out ?? 'simulation-report');
    const written = await writeReport(result, out, { charts: v['no-charts'] !== true });
    const summary = summarise(result);
    if (v.json) io.stdout.write(`${JSON.stringify({ settings: result.settings, summary }, null, 2)}\n`);
    else io.stdout.write(`\n${written.text}`);
    say(`\nwritten to ${out}: ${written.files.map((f) => f.slice(out.length + 1)).join(', ')}`);
    const loose = summary.all.outcomes.unfinished + summary.all.outcomes.unknown;
    return summary.undocumented5xx > 0 || summary.pastDeadline > 0 || (loose > 0 && result.stoppedBy === 'duration') ? 1 : 0;
  } catch (e) {
    if (tty) io.stderr.write('\n');
    say(`simulate failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    detach();
  }
};

if (require.main === module) runCommand(() => main());
