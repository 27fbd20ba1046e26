/*
 * npm run bench:http — the HTTP benchmarks, black-box over HTTP against the
 * built service (apps/http/dist/main.js), parts in this order:
 *
 *   startup    (startup.ts)   a fresh clone's `node apps/http/dist/main.js` to /ready; the build
 *   compare    (compare.ts)   the hot paths against bare express+pg and bare node:http+pg (bare.ts),
 *                             and on PGlite; rounds, alternating, medians
 *   mixed      (mixed.ts)     p99 of an airport's mix at fixed rates, open loop
 *   long-poll  (long-poll.ts) 10,000 concurrent long-polls: RSS, wake latency, time to open
 *   writes     (writes.ts)    writes/s of two instances on one database; pgbench with and without pg_notify
 *
 * Every figure is printed with the command that reproduces it; BENCH_JSON
 * writes them all as JSON. Exit code 0 whatever the figures: a missed target
 * is a result, printed as FAIL, not an error.
 */
import { writeFileSync } from 'node:fs';
import { fmt, log, revision, runMain, stamp } from './common';
import { runCompare, type CompareReport } from './compare';
import { runLongPoll, type LongPollReport } from './long-poll';
import { runMixed, type MixedReport } from './mixed';
import { runStartup, type StartupReport } from './startup';
import { runWrites, type WritesReport } from './writes';

const PARTS = ['startup', 'compare', 'mixed', 'long-poll', 'writes'] as const;
type Part = (typeof PARTS)[number];

interface Report {
  readonly at: string;
  readonly commit: string;
  startup?: StartupReport;
  compare?: CompareReport;
  mixed?: MixedReport;
  longPoll?: LongPollReport;
  writes?: WritesReport;
}

const COMMAND = {
  name: 'bench:http',
  usage: `Usage: npm run bench:http [-- -h | --help]

The HTTP benchmarks of the built service (about 20 minutes in full):
startup (fresh clone to ready; the build), compare (the hot paths against
bare express+pg and bare node:http+pg, and on PGlite), mixed (p99 of an
airport's mix at fixed rates), long-poll (10,000 concurrent long-polls),
writes (two instances on one database; pgbench with and without pg_notify).
Takes no options; the environment sets the run:

  BENCH_ONLY=startup,compare,mixed,long-poll,writes   the parts to run
  BENCH_JSON=<file>        also write every result there, as JSON
  BENCH_DATABASE_URL       admin URL of the server (default postgres://postgres@127.0.0.1:5432/test)
  BENCH_KEEP_SCRATCH=1     keep the temporary directory (service logs)

  compare and writes:
  BENCH_ROUNDS=3           rounds; the targets alternate, medians are reported
  BENCH_SECONDS=6          seconds measured per target and path (compare)
  BENCH_WRITES_SECONDS=8   seconds measured per setup (writes)
  BENCH_WARMUP=2           seconds of warm-up before each measurement
  BENCH_CONNECTIONS=16     autocannon connections (and pgbench clients)
  BENCH_SEED=200000        orders seeded per consuming path (BENCH_SEED_PGLITE=30000 on PGlite)
  BENCH_PGLITE=1           0 leaves the service on PGlite out
  BENCH_PATHS=create,assign,status,lookup   the paths compare loads
  BENCH_PGBENCH            pgbench binary (default /usr/lib/postgresql/15/bin/pgbench)

  mixed:
  BENCH_MIXED_RATES=250,500,1000   fixed rates, requests per second
  BENCH_MIXED_SECONDS=10   BENCH_MIXED_WARMUP=2   BENCH_MIXED_DRAIN_S=10
  BENCH_MIXED_BARE=1       0 leaves bare express+pg out

  long-poll:
  BENCH_LONGPOLL_COUNT=10000   BENCH_LONGPOLL_RATE=100   BENCH_LONGPOLL_WINDOW_S=5
  BENCH_LONGPOLL_CONNECTING=256

  startup:
  BENCH_STARTUP_RUNS=3     BENCH_STARTUP_BUILD=1 (0: do not time tsc -b --force)
`,
  options: {},
} as const;

runMain(COMMAND, async () => {
  const only = new Set((process.env.BENCH_ONLY ?? PARTS.join(',')).split(',').map((s) => s.trim()));
  const unknown = [...only].filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown part(s) ${unknown.join(', ')}; the parts are ${PARTS.join(', ')}`);
  const wanted = (p: Part) => only.has(p);
  const report: Report = { at: stamp(), commit: revision() };
  const started = Date.now();
  const verdicts: string[] = [];
  const save = (): void => {
    if (process.env.BENCH_JSON !== undefined) writeFileSync(process.env.BENCH_JSON, JSON.stringify(report, null, 2));
  };
  process.stdout.write(`bench:http at ${report.at}, commit ${report.commit}\n`);
  if (wanted('startup')) {
    report.startup = await runStartup();
    verdicts.push(`startup ${report.startup.met ? 'met' : 'MISSED'}`);
    save();
  }
  if (wanted('compare')) {
    report.compare = await runCompare();
    verdicts.push(`compare ${report.compare.met ? 'met' : 'MISSED'}`);
    save();
  }
  if (wanted('mixed')) {
    report.mixed = await runMixed();
    verdicts.push(`mixed ${report.mixed.met ? 'met' : 'MISSED'}`);
    save();
  }
  if (wanted('long-poll')) {
    report.longPoll = await runLongPoll();
    verdicts.push(`long-poll ${report.longPoll.met ? 'met' : 'MISSED'}`);
    save();
  }
  if (wanted('writes')) {
    report.writes = await runWrites();
    save();
  }
  log(`bench:http finished in ${fmt((Date.now() - started) / 1000, 0)} s`);
  process.stdout.write(`\nTargets: ${verdicts.length === 0 ? '(none measured)' : verdicts.join(', ')}\n`);
});
