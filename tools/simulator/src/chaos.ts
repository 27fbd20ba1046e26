#!/usr/bin/env node
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { promisify } from 'node:util';
import * as E from 'fp-ts/Either';
import { Client } from 'pg';
import { readCommandLine, refuseCommandLine, runCommand, type CommandStreams } from '@codedispatch/postgres/command-line';
import { redactedUrl } from './amqp-stand-in';
import { allViolations, readDatabaseFacts, type DatabaseFacts, type Violation } from './chaos-checks';
import { defaultPlan, inject, rabbitmqctl, Repairs, type FaultPlan, type FaultWindow } from './chaos-faults';
import type { AreaLoad } from './options';
import { writeReport } from './output';
import { progressLine } from './progress';
import { summarise } from './report';
import type { SimulationResult } from './result';
import { SERVICE_MAIN } from './service-process';
import { startSimulation, type RunningSimulation } from './simulation';
import { ThrowawayPostgres } from './throwaway-postgres';

/*
 * `npm run chaos`: the simulator at ten times a big airport's peak in five
 * areas, against three instances on one PostgreSQL (a throwaway server of the
 * run's own, so that it can be restarted), relaying to RabbitMQ and to a
 * webhook receiver; meanwhile, one after another: an instance killed and
 * restarted, PostgreSQL restarted, RabbitMQ stopped and started, the tracker
 * hanging past its timeout, the webhook receiver failing. Then it checks,
 * with SQL and the consumers' records, that nothing was lost or doubled, and
 * exits non-zero on any violation. It stops by itself within ten minutes and
 * puts back everything it stopped, even when it fails.
 */

const COMMAND = {
  name: 'chaos',
  usage: `Usage: npm run chaos -- [options]

Runs the simulator against 3 service instances on a throwaway PostgreSQL while
it kills an instance, restarts PostgreSQL, stops RabbitMQ (rabbitmqctl
stop_app/start_app), hangs the tracker and fails the webhook receiver; then
checks that nothing is lost. Needs root (rabbitmqctl, the PostgreSQL server
runs as postgres), the PostgreSQL 15 server binaries, and RabbitMQ running.

  --duration <s>       arrivals last this long, at most 420 (default 270: the faults end at 235 s)
  --rate <n>           rides per hour per area (default 4000: 10 x Portland's ~400 at peak)
  --areas <n>          areas (default 5)
  --instances <n>      service instances (default 3)
  --amqp-url <url>     RabbitMQ (default $TEST_AMQP_URL, else amqp://guest:guest@127.0.0.1:5672)
  --seed <n>           the simulation's seed (default 1)
  --out <dir>          the report, CSV, charts and chaos.json (default chaos-report)
  -h, --help           this text

Exit: 0 no violation, 1 violations (or the run failed), 2 usage error.
`,
  options: {
    duration: { type: 'string' },
    rate: { type: 'string' },
    areas: { type: 'string' },
    instances: { type: 'string' },
    'amqp-url': { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
  },
} as const;

/** The whole run is bounded: past this it stops the traffic, checks what it has and restores. */
const HARD_LIMIT_MS = 9.5 * 60_000;

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const positive = (option: string, value: string | undefined, fallback: number, max: number): E.Either<string, number> => {
  if (value === undefined) return E.right(fallback);
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= max
    ? E.right(n)
    : E.left(`--${option} ${JSON.stringify(value)}: expected an integer 1..${max}`);
};

/** Drivers enough for the rate: a ride takes them ~35 s (walk, typing, the lookup, a 20 s trip), with a third spare. */
export const driversFor = (ridesPerHour: number): number => Math.max(5, Math.ceil((ridesPerHour / 3600) * 35 * 1.35));

/** What is needed before anything is started or stopped. */
const preflight = async (amqpUrl: string): Promise<string[]> => {
  const problems: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    problems.push('run as root: rabbitmqctl and the throwaway PostgreSQL server need it');
  if (!ThrowawayPostgres.available) problems.push('the PostgreSQL 15 server binaries are not in /usr/lib/postgresql/15/bin');
  await run('rabbitmqctl', ['status'], { timeout: 30_000 }).catch(() =>
    problems.push(`rabbitmqctl status failed: is RabbitMQ running (${redactedUrl(amqpUrl)})?`),
  );
  await run(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(SERVICE_MAIN)})`]).catch(() =>
    problems.push(`${SERVICE_MAIN} is missing: npm run build`),
  );
  return problems;
};

export interface ChaosReport {
  readonly faults: readonly FaultWindow[];
  readonly figures: Readonly<Record<string, number>>;
  readonly violations: readonly Violation[];
}

/** The run's figures: requests, faults, events produced and delivered. */
export const chaosFigures = (
  result: SimulationResult,
  facts: DatabaseFacts,
  faults: readonly FaultWindow[],
): Record<string, number> => {
  const answered = result.requests.filter((q) => q.outcome === 'answered');
  const entered = facts.outbox.filter((e) => e.type === 'code_dispatch.code_entered');
  const byOutcome = (o: string): number => result.requests.filter((q) => q.outcome === o).length;
  return {
    requests: result.requests.length,
    answered_2xx: answered.filter((q) => (q.status ?? 0) < 300).length,
    answered_4xx: answered.filter((q) => (q.status ?? 0) >= 400 && (q.status ?? 0) < 500).length,
    answered_503: answered.filter((q) => q.status === 503).length,
    answered_other_5xx: answered.filter((q) => (q.status ?? 0) >= 500 && q.status !== 503).length,
    connection_errors: byOutcome('network_error'),
    timeouts: byOutcome('timeout'),
    faults_injected: faults.length,
    passengers: result.passengers.length,
    orders_in_database: facts.assignments.length,
    events_produced: entered.length,
    events_delivered: entered.filter((e) => e.delivered).length,
    events_received: result.events.length,
    deliveries_received: result.events.reduce((n, e) => n + e.deliveries, 0),
    events_redelivered: result.events.filter((e) => e.deliveries > 1).length,
    events_dead: entered.filter((e) => e.dead).length,
  };
};

export const formatChaos = (report: ChaosReport): string => {
  const f = report.figures;
  const lines = [
    'Chaos',
    ...report.faults.map(
      (w) =>
        `  ${(w.startAt / 1000).toFixed(0).padStart(4)}–${(w.endAt / 1000).toFixed(0).padEnd(4)} s  ${w.fault.padEnd(18)} ${w.what}`,
    ),
    `  requests ${f.requests}: 2xx ${f.answered_2xx}, 4xx ${f.answered_4xx}, 503 ${f.answered_503}, other 5xx ${f.answered_other_5xx}, connection errors ${f.connection_errors}, past deadline ${f.timeouts}`,
    `  orders ${f.orders_in_database} (passengers ${f.passengers}); code_entered events produced ${f.events_produced}, delivered ${f.events_delivered}, dead ${f.events_dead}`,
    `  consumers received ${f.events_received} events in ${f.deliveries_received} deliveries (${f.events_redelivered} redelivered)`,
    `  violations: ${report.violations.length}`,
    ...report.violations.slice(0, 50).map((v) => `    ${v.check}: ${v.detail}`),
    ...(report.violations.length > 50 ? [`    … and ${report.violations.length - 50} more (chaos.json)`] : []),
  ];
  return `${lines.join('\n')}\n`;
};

export const main = async (
  argv: readonly string[] = process.argv.slice(2),
  io: CommandStreams & { readonly stderr: { write(text: string): unknown; isTTY?: boolean } } = process,
): Promise<number> => {
  const line = readCommandLine(COMMAND, argv, io);
  if (E.isLeft(line)) return line.left;
  const v = line.right.values;
  const numbers = {
    duration: positive('duration', v.duration, 270, 420),
    rate: positive('rate', v.rate, 4000, 100_000),
    areas: positive('areas', v.areas, 5, 50),
    instances: positive('instances', v.instances, 3, 8),
    seed: positive('seed', v.seed, 1, 2 ** 31),
  };
  for (const n of Object.values(numbers)) if (E.isLeft(n)) return refuseCommandLine(COMMAND, io, n.left);
  const value = (e: E.Either<string, number>): number => (E.isRight(e) ? e.right : NaN);
  const durationMs = value(numbers.duration) * 1000;
  const instances = value(numbers.instances);
  if (instances < 2) return refuseCommandLine(COMMAND, io, '--instances: at least 2 (one is killed)');
  const amqpUrl = v['amqp-url'] ?? (process.env.TEST_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672');
  const out = resolve(v.out ?? 'chaos-report');
  const say = (text: string): void => void io.stderr.write(`${text}\n`);

  const problems = await preflight(amqpUrl);
  if (problems.length > 0) {
    say(`chaos: cannot run:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    return 1;
  }
  const plan: FaultPlan[] = defaultPlan().filter((p) => p.at + p.forMs < durationMs);
  const areas: AreaLoad[] = Array.from({ length: value(numbers.areas) }, (_, i) => ({
    id: `area_${i + 1}`,
    ratePerHour: value(numbers.rate),
    drivers: driversFor(value(numbers.rate)),
  }));

  const repairs = new Repairs();
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    say(signals === 1 ? '\nchaos: stopping; restoring what was stopped…' : '\nchaos: stopping harder');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const hardLimit = setTimeout(() => {
    say(`\nchaos: ${HARD_LIMIT_MS / 60_000} minutes are up: stopping the traffic`);
    stop.abort();
  }, HARD_LIMIT_MS);
  hardLimit.unref();

  let simulation: RunningSimulation | null = null;
  let lastPrinted = 0;
  let postgres: ThrowawayPostgres | null = null;
  try {
    say('chaos: a throwaway PostgreSQL server…');
    postgres = await ThrowawayPostgres.start();
    say(
      `chaos: PostgreSQL on port ${postgres.port}; starting ${instances} instances, ${areas.length} areas at ${value(numbers.rate)} rides/h each…`,
    );
    simulation = await startSimulation({
      target: {
        kind: 'start',
        instances,
        databaseUrl: postgres.url(),
        settings: { orderExpireS: 60, processingTimeoutS: 30 },
      },
      areas,
      durationMs,
      signal: stop.signal,
      seed: value(numbers.seed),
      sink: { kind: 'mixed', url: amqpUrl },
      drainMs: 100_000,
      log: say,
      onProgress: (p) => {
        if (io.stderr.isTTY === true) io.stderr.write(`\r\x1b[2K${progressLine(p).slice(0, 200)}`);
        else if (p.at - lastPrinted >= 15_000) {
          lastPrinted = p.at;
          say(progressLine(p));
        }
      },
    });
    const started = performance.now();
    const sim = simulation;
    const world = {
      simulation: sim,
      postgres,
      repairs,
      now: () => performance.now() - started,
      log: (l: string) => say(`\nchaos: ${l}`),
    };
    const windows: FaultWindow[] = [];
    const faults = (async () => {
      for (const p of plan) {
        const wait = p.at - world.now();
        if (wait > 0)
          await Promise.race([sleep(wait), new Promise((r) => stop.signal.addEventListener('abort', r, { once: true }))]);
        if (stop.signal.aborted) return;
        windows.push(await inject(p, world));
        world.log(`${p.fault} over`);
      }
    })();
    const result = await sim.done;
    await faults;
    // Put back whatever a stopped run left broken before reading the database.
    await repairs.runAll(say);
    if (io.stderr.isTTY === true) io.stderr.write('\n');

    const client = new Client({ connectionString: postgres.url('chaos-checks') });
    await client.connect();
    let facts: DatabaseFacts;
    try {
      facts = await readDatabaseFacts(client);
    } finally {
      await client.end();
    }
    const violations = [
      ...allViolations(facts, result, windows),
      ...(result.stoppedBy === 'signal' ? [{ check: 'run complete', detail: 'the traffic was stopped early' }] : []),
      ...(windows.length < plan.length
        ? [{ check: 'run complete', detail: `${windows.length} of ${plan.length} faults injected` }]
        : []),
    ];
    const report: ChaosReport = { faults: windows, figures: chaosFigures(result, facts, windows), violations };
    const labels: Record<FaultWindow['fault'], string> = {
      instance_killed: 'kill',
      postgres_restarted: 'PG down',
      rabbitmq_stopped: 'RabbitMQ down',
      tracker_hung: 'tracker hangs',
      webhook_failing: 'webhook 503s',
    };
    const spans = windows.map((w) => ({ label: labels[w.fault], startS: w.startAt / 1000, endS: w.endAt / 1000 }));
    const written = await writeReport(result, out, { spans });
    const text = `${written.text}\n${formatChaos(report)}`;
    writeFileSync(join(out, 'report.txt'), text);
    writeFileSync(join(out, 'chaos.json'), `${JSON.stringify(report, null, 2)}\n`);
    io.stdout.write(`\n${text}`);
    say(
      `\nwritten to ${out}; the run took ${(result.elapsedMs / 1000).toFixed(0)} s of traffic and drain; summary ${summarise(result).all.outcomes.assigned} rides`,
    );
    return violations.length === 0 ? 0 : 1;
  } catch (e) {
    say(`\nchaos failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  } finally {
    clearTimeout(hardLimit);
    simulation?.stop();
    await simulation?.done.catch(() => undefined);
    await repairs.runAll(say);
    // RabbitMQ back for everyone else, whatever happened above.
    await rabbitmqctl('start_app').catch(() => undefined);
    await postgres?.destroy();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
};

if (require.main === module) runCommand(() => main());
