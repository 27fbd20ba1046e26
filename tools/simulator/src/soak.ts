import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import * as E from 'fp-ts/Either';
import { readCommandLine, refuseCommandLine, runCommand, type CommandStreams } from '@codedispatch/postgres/command-line';
import { stopOnSignals } from './progress';
import { redactedUrl } from './amqp-stand-in';
import { Reader } from './cli';
import type { AreaLoad, Progress } from './options';
import { formatReport } from './report';
import { ROOT } from './service-process';
import { renderSoakCharts } from './soak-charts';
import { formatSoakReport, MB, soakSamplesCsv, summariseSoak, type SoakContext } from './soak-report';
import { runSoak, type SoakSample } from './soak-run';
import { DEFAULT_FLATNESS } from './soak-verdict';

/*
 * npm run soak: a steady load held for ten minutes against instances started
 * here, their memory, event-loop delay and outbox sampled every few seconds,
 * and the verdict whether memory stayed flat (exit 0) or grew (exit 1).
 */

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const DEFAULT_AREAS = 'svo_d,zenit,led';
/*
 * The load is set for the machine, not for an airport (PDX peaks at about 400
 * rides an hour): three areas at 24 000 passengers an hour are some 80
 * requests a second, 12 000 orders in ten minutes, about 15 % of a core per
 * instance on 2 CPUs — every path of an order many thousand times over, with
 * room left on a shared machine, and the outbox near empty (steady, not
 * saturated). A driver is away about 25 s a ride: 200 per area keep a queue.
 */
const DEFAULT_RATE = 24_000;
const DEFAULT_DRIVERS = 200;

const COMMAND = {
  name: 'soak',
  usage: `Usage: npm run soak [-- [options]]

Starts codedispatch itself (the built apps/http/dist/main.js: by default two
instances on a scratch database of the local PostgreSQL, created and dropped
by the run), drives a steady simulated load through its public API (the
simulator's passengers, drivers, webhook receiver, processing and tracker
stand-ins) for the duration, and every --sample-s seconds reads each
instance's RSS, V8 heap, event-loop delay, CPU and outbox depth from its
/metrics (and VmRSS from /proc). Prints a live progress line, then a report,
and writes it with the samples as CSV and PNG charts into --out.

Memory is flat when, for every instance, a least-squares line through its RSS
and through its heap over the load's second half (after the warm-up) does
not grow by more than --max-growth-pct of the series' median per 10 minutes
while being more than ${DEFAULT_FLATNESS.minStandardErrors} standard errors of its slope above zero.

  --duration <s>           how long the load runs (default 600)
  --sample-s <s>           time between samples (default 5)
  --instances <n>          service instances (default 2; 1 with --pglite)
  --database-url <url>     the PostgreSQL server the scratch database is made on (default $TEST_DATABASE_URL,
                           else ${DEFAULT_DATABASE_URL}); only connected to, to create and drop it
  --pglite                 one instance on PGlite in a temporary directory instead
  --areas <a,b,…>          areas (default ${DEFAULT_AREAS})
  --rate <n | area=n,…>    passengers per hour per area (default ${DEFAULT_RATE})
  --drivers <n | area=n,…> drivers per area (default ${DEFAULT_DRIVERS})
  --seed <n>               seed of the simulation's choices (default 1)
  --max-growth-pct <pct>   growth per 10 minutes allowed, in % of the median (default ${DEFAULT_FLATNESS.maxGrowthShare * 100})
  --out <dir>              where the report, samples.csv and charts go (default ./simulation-report/soak)
  --no-charts              no PNG charts
  -h, --help               this text

Exit: 0 memory stayed flat; 1 it grew, the run was too short for a verdict
(fewer than ${DEFAULT_FLATNESS.minSamples} samples in the second half), or the run failed; 2 usage error.
`,
  options: {
    duration: { type: 'string' },
    'sample-s': { type: 'string' },
    instances: { type: 'string' },
    'database-url': { type: 'string' },
    pglite: { type: 'boolean' },
    areas: { type: 'string' },
    rate: { type: 'string' },
    drivers: { type: 'string' },
    seed: { type: 'string' },
    'max-growth-pct': { type: 'string' },
    out: { type: 'string' },
    'no-charts': { type: 'boolean' },
  },
} as const;

type Env = Readonly<Record<string, string | undefined>>;

const git = (...args: string[]): string | null => {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
};

const progressLine = (p: Progress | null, s: SoakSample | null, durationS: number): string => {
  const each = (pick: (x: SoakSample['instances'][number]) => number | null, scale: number, digits = 0) =>
    s === null
      ? '-'
      : s.instances
          .map((x) => {
            const v = pick(x);
            return v === null ? '-' : (v * scale).toFixed(digits);
          })
          .join('/');
  const at = p === null ? 0 : p.at / 1_000;
  const clock =
    p === null || p.phase === 'traffic'
      ? `${at.toFixed(0).padStart(4)}/${durationS} s`
      : `after ${(at - durationS).toFixed(0)} s`;
  return (
    `[${clock}] RSS ${each((x) => x.rssBytes, 1 / MB)} MB · heap ${each((x) => x.heapUsedBytes, 1 / MB)} MB` +
    ` · loop p99 ${each((x) => x.lagP99S, 1_000, 1)} ms · outbox ${each((x) => x.outboxDepth, 1)}` +
    (p === null
      ? ''
      : ` · passengers ${p.arrived} · rides ${p.rides} · requests ${p.requests} · 5xx ${p.serverErrors} · timeouts ${p.timeouts}`)
  );
};

export const main = async (
  argv: readonly string[] = process.argv.slice(2),
  io: CommandStreams & { readonly stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number } } = process,
  env: Env = process.env,
): Promise<number> => {
  const line = readCommandLine(COMMAND, argv, io);
  if (E.isLeft(line)) return line.left;
  const v = line.right.values;
  const read = new Reader();
  const problems = read.problems;
  const durationS = read.positive('duration', v.duration, 600);
  const sampleS = read.positive('sample-s', v['sample-s'], 5);
  if (sampleS * 2 > durationS) problems.push('--sample-s must be at most half of --duration');
  const pglite = v.pglite === true;
  const instances = read.integer('instances', v.instances, pglite ? 1 : 2, 1);
  if (pglite && instances > 1) problems.push('--instances above 1 needs PostgreSQL, not --pglite (PGlite serves one process)');
  if (pglite && v['database-url'] !== undefined) problems.push('--database-url and --pglite exclude each other');
  const serverUrl = [v['database-url'], env.TEST_DATABASE_URL].find((u) => u !== undefined && u !== '') ?? DEFAULT_DATABASE_URL;
  if (!pglite && (!/^postgres(ql)?:\/\//.test(serverUrl) || !URL.canParse(serverUrl)))
    problems.push(`--database-url ${JSON.stringify(serverUrl)} is not a postgres:// URL`);
  const areas = (v.areas ?? DEFAULT_AREAS)
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  if (areas.length === 0) problems.push('--areas names no area');
  if (new Set(areas).size !== areas.length) problems.push('--areas names an area twice');
  const rates = read.perArea('rate', v.rate, areas, DEFAULT_RATE, false);
  const drivers = read.perArea('drivers', v.drivers, areas, DEFAULT_DRIVERS, true);
  const seed = read.integer('seed', v.seed, 1, 0);
  const maxGrowthPct = read.positive('max-growth-pct', v['max-growth-pct'], DEFAULT_FLATNESS.maxGrowthShare * 100);
  if (problems.length > 0) return refuseCommandLine(COMMAND, io, problems.join('\n'));

  const areaLoads: AreaLoad[] = areas.map((id) => ({ id, ratePerHour: rates.get(id) ?? 0, drivers: drivers.get(id) ?? 0 }));
  const rule = { ...DEFAULT_FLATNESS, maxGrowthShare: maxGrowthPct / 100 };
  const out = resolve(v.out ?? join('simulation-report', 'soak'));
  const say = (text: string) => io.stderr.write(`${text}\n`);

  const { stop, detach } = stopOnSignals(say, 'the load ends now; the samples so far are judged');

  const tty = io.stderr.isTTY === true;
  let lastProgress: Progress | null = null;
  let lastSample: SoakSample | null = null;
  let lastPrinted = -Infinity;
  const show = (): void => {
    const text = progressLine(lastProgress, lastSample, durationS);
    if (tty) io.stderr.write(`\r\x1b[2K${text.slice(0, Math.max(20, (io.stderr.columns ?? 200) - 1))}`);
    else if ((lastProgress?.at ?? 0) - lastPrinted >= 30_000) {
      lastPrinted = lastProgress?.at ?? 0;
      say(text);
    }
  };
  const context = {
    startedAt: new Date().toISOString(),
    commit: git('rev-parse', '--short=12', 'HEAD'),
    dirty: (git('status', '--porcelain', '--untracked-files=no') ?? '') !== '',
    node: process.version,
    cpus: availableParallelism(),
    loadBefore: loadavg(),
  };
  say(
    `soak: ${durationS} s, sample every ${sampleS} s; ${instances} instance${instances === 1 ? '' : 's'} on ` +
      `${pglite ? 'PGlite' : `a scratch database on ${redactedUrl(serverUrl)}`}; ` +
      `${areaLoads.map((a) => `${a.id} ${a.ratePerHour}/h with ${a.drivers} drivers`).join(', ')}; seed ${seed}; ` +
      `load average ${context.loadBefore.map((l) => l.toFixed(2)).join(', ')}`,
  );
  try {
    const result = await runSoak({
      storage: pglite ? { kind: 'pglite' } : { kind: 'postgres', serverUrl },
      instances,
      areas: areaLoads,
      durationMs: durationS * 1_000,
      sampleMs: sampleS * 1_000,
      seed,
      signal: stop.signal,
      onSample: (s) => {
        lastSample = s;
        show();
      },
      onProgress: (p) => {
        lastProgress = p;
        show();
      },
      log: say,
    });
    if (tty) io.stderr.write('\n');
    const summary = summariseSoak(result, rule);
    const full: SoakContext = { ...context, loadAfter: loadavg() };
    const text = formatSoakReport(result, summary, full);
    mkdirSync(out, { recursive: true });
    const files: string[] = [];
    const write = (name: string, content: string | Buffer): void => {
      writeFileSync(join(out, name), content);
      files.push(name);
    };
    write('report.txt', text);
    write('samples.csv', soakSamplesCsv(result));
    write('simulation.txt', formatReport(result.simulation));
    write(
      'summary.json',
      `${JSON.stringify(
        {
          context: full,
          settings: {
            instances,
            storage: result.storage,
            areas: areaLoads,
            durationMs: result.durationMs,
            sampleMs: result.sampleMs,
            seed,
          },
          loadMs: result.loadMs,
          summary,
        },
        null,
        2,
      )}\n`,
    );
    if (v['no-charts'] !== true) for (const [name, png] of await renderSoakCharts(result, summary)) write(name, png);
    io.stdout.write(`\n${text}`);
    say(`\nwritten to ${out}: ${files.join(', ')}`);
    return summary.verdict === 'flat' ? 0 : 1;
  } catch (e) {
    if (tty) io.stderr.write('\n');
    say(`soak failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    detach();
  }
};

if (require.main === module) runCommand(() => main());
