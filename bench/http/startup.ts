/*
 * `npm start` on a fresh clone, to ready (part `startup` of npm run bench:http):
 * the time from spawning `node apps/http/dist/main.js` (already built; no
 * configuration, so the demo one; embedded PGlite in a data directory that
 * does not exist yet) to its first `GET /ready` 200, asked every 20 ms. Then
 * the same service started again on that data directory (a restart). Each
 * BENCH_STARTUP_RUNS times; medians, and the CPU time the service had used
 * by then (user + system, all its threads: steadier than the wall time on a
 * shared machine). Target: fresh start to ready < 5 s.
 *
 * The build is timed apart, once, in its two steps (unless
 * BENCH_STARTUP_BUILD=0): `tsc -b --force` (all packages, from scratch), and
 * making the PGlite template a new database starts from (into an empty
 * directory; `npm run build` makes it once per install). `npm ci` is not timed.
 *
 *   node --import tsx bench/http/startup.ts
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cpuMsOf, fmt, log, median, num, producedBy, ROOT, runMain, scratch, startService, table } from './common';

const startupSettings = () => ({
  runs: Math.max(1, num('BENCH_STARTUP_RUNS', 3)),
  build: process.env.BENCH_STARTUP_BUILD !== '0',
});

const TARGET_READY_S = 5;

export interface StartupReport {
  readonly command: string;
  readonly settings: ReturnType<typeof startupSettings>;
  /** `tsc -b --force`, in s (NaN when not timed). */
  readonly buildS: number;
  /** Making the PGlite template from scratch, in s (NaN when not timed). */
  readonly templateS: number;
  readonly freshS: readonly number[];
  readonly restartS: readonly number[];
  /** The service's CPU time when it was ready, in s, per start. */
  readonly freshCpuS: readonly number[];
  readonly restartCpuS: readonly number[];
  readonly met: boolean;
}

export const runStartup = async (): Promise<StartupReport> => {
  const s = startupSettings();
  let buildS = NaN;
  let templateS = NaN;
  if (s.build) {
    log('startup: timing the build from scratch (tsc -b --force)…');
    const started = performance.now();
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', '--force'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`tsc -b --force failed:\n${r.stdout}${r.stderr}`);
    buildS = (performance.now() - started) / 1000;
    log('startup: timing the PGlite template from scratch…');
    const cache = join(scratch(), 'pglite-template-cache');
    const made = performance.now();
    const t = spawnSync(process.execPath, [join(ROOT, 'packages/postgres/dist/cli/pglite-template.js'), cache], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (t.status !== 0 || !t.stdout.includes('made')) throw new Error(`pglite-template failed:\n${t.stdout}${t.stderr}`);
    templateS = (performance.now() - made) / 1000;
  }
  const freshS: number[] = [];
  const restartS: number[] = [];
  const freshCpuS: number[] = [];
  const restartCpuS: number[] = [];
  for (let run = 1; run <= s.runs; run++) {
    const dir = join(scratch(), `startup-${run}`, '.data', 'pglite');
    for (const [kind, into, cpuInto] of [
      ['fresh', freshS, freshCpuS],
      ['restart', restartS, restartCpuS],
    ] as const) {
      const service = await startService({ name: `startup-${run}-${kind}`, pgliteDataDir: dir, pollMs: 20 });
      const cpuS = cpuMsOf(service.pid) / 1000;
      into.push(service.readyMs / 1000);
      cpuInto.push(cpuS);
      await service.stop();
      log(`startup: run ${run}/${s.runs}, ${kind}: ready after ${fmt(service.readyMs / 1000, 2)} s, ${fmt(cpuS, 2)} s of CPU`);
    }
  }
  const report: StartupReport = {
    command: producedBy('startup'),
    settings: s,
    buildS,
    templateS,
    freshS,
    restartS,
    freshCpuS,
    restartCpuS,
    met: median(freshS) < TARGET_READY_S,
  };
  printStartup(report);
  return report;
};

const printStartup = (r: StartupReport): void => {
  const row = (what: string, values: readonly number[], target: string, cpu: readonly number[] = []) => [
    what,
    fmt(median(values), 2),
    values.map((v) => fmt(v, 2)).join(' / '),
    cpu.length === 0 ? '' : fmt(median(cpu), 2),
    target,
  ];
  process.stdout.write(
    `\nStart to ready: node apps/http/dist/main.js (demo configuration, embedded PGlite) until GET /ready answers 200; ` +
      `medians of ${r.settings.runs} runs; CPU: the service's, user + system, when it was ready.\n${r.command}\n\n` +
      `${table(
        ['what', 'seconds', 'by run', 'CPU s', 'target'],
        [
          row('fresh clone: new data directory', r.freshS, `< ${TARGET_READY_S} s: ${r.met ? 'PASS' : 'FAIL'}`, r.freshCpuS),
          row('restart on that data directory', r.restartS, '', r.restartCpuS),
          ...(Number.isNaN(r.buildS) ? [] : [row('build from scratch: tsc -b --force (once)', [r.buildS], '')]),
          ...(Number.isNaN(r.templateS) ? [] : [row('build: PGlite template from scratch (once)', [r.templateS], '')]),
        ],
      )}\n`,
  );
};

const COMMAND = {
  name: 'startup',
  usage: `Usage: node --import tsx bench/http/startup.ts [-h | --help]

How long the built service takes from start to ready on a fresh clone
(demo configuration, embedded PGlite, a new data directory), and on a
restart; and how long the build takes. The same as BENCH_ONLY=startup
npm run bench:http. Takes no options; the environment sets the run:

  BENCH_STARTUP_RUNS=3     starts of each kind
  BENCH_STARTUP_BUILD=1    0 leaves out timing the build (tsc -b --force,
                           the PGlite template)
`,
  options: {},
} as const;

if (require.main === module) runMain(COMMAND, async () => void (await runStartup()));
